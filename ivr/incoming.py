"""The `incoming` FastAGI route: who is calling, record the arrival, hand the call to a seat.

This is the foundation's call path: the caller hears ringback while free seats are
rung one after another inside the three-ring window (15 s); if nobody answers, the
IVR answers and says the seats are busy. The ACD issue replaces the hunt with the
Redis waiting line and callbacks.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from acd.seat_board import SeatBoard
from ivr.caller import CallerId, decode_caller
from ivr.fastagi import AgiSession

log = logging.getLogger(__name__)

RING_WINDOW_S = 15  # three rings of the cn cadence (1 s on, 4 s off)


@dataclass(frozen=True)
class Arrival:
    """One call as it reached the IVR."""

    uniqueid: str
    channel: str
    caller: str
    caller_name: str
    caller_raw: str
    origin: str  # "trunk" or "terminal" (elderly one-touch)
    arrived_at: float


ArrivalSink = Callable[[Arrival], Awaitable[None]]


async def read_caller(agi: AgiSession) -> CallerId:
    number_b64 = await agi.get_variable("HOTLINE_CID_NUM_B64")
    name_b64 = await agi.get_variable("HOTLINE_CID_NAME_B64")
    return decode_caller(number_b64, name_b64, agi.headers.get("agi_callerid", ""))


class RedisArrivals:
    """Arrivals go to a capped Redis stream the ACD, wallboard and tests read."""

    def __init__(self, redis, prefix: str) -> None:
        self.redis = redis
        self.key = f"{prefix}:arrivals"

    async def __call__(self, arrival: Arrival) -> None:
        fields = {k: json.dumps(v) if not isinstance(v, str) else v
                  for k, v in asdict(arrival).items()}
        await self.redis.xadd(self.key, fields, maxlen=10000, approximate=True)


class IncomingRoute:
    """FastAGI `incoming`: identify, record, then ring free seats longest-idle first."""

    def __init__(self, board: SeatBoard, sinks: list[ArrivalSink],
                 ring_window_s: float = RING_WINDOW_S) -> None:
        self.board = board
        self.sinks = sinks
        self.ring_window_s = ring_window_s

    async def handle(self, agi: AgiSession) -> None:
        arrived_at = time.time()
        caller = await read_caller(agi)
        origin = "terminal" if await agi.get_variable("HOTLINE_ORIGIN") == "terminal" else "trunk"
        arrival = Arrival(
            uniqueid=agi.headers.get("agi_uniqueid", ""),
            channel=agi.headers.get("agi_channel", ""),
            caller=caller.number,
            caller_name=caller.name,
            caller_raw=caller.raw,
            origin=origin,
            arrived_at=arrived_at,
        )
        log.info("call %s from %r (%s)", arrival.uniqueid, caller.number, origin)
        for sink in self.sinks:
            await sink(arrival)
        if await self.ring_seats(agi, deadline=arrived_at + self.ring_window_s):
            return
        await self.seats_busy(agi)

    async def ring_seats(self, agi: AgiSession, deadline: float) -> bool:
        """Ring each free seat in turn until one answers or the window closes."""
        await agi.exec("Ringing")
        tried: set[str] = set()
        while (remaining := deadline - time.time()) >= 1:
            free = [seat for seat in await self.board.available() if seat not in tried]
            if not free:
                await agi.exec("Wait", "1")
                continue
            seat = free[0]
            tried.add(seat)
            await agi.exec("Dial", f"PJSIP/{seat}", str(int(remaining)), "r")
            status = await agi.get_variable("DIALSTATUS")
            if status == "ANSWER":
                return True
        return False

    async def seats_busy(self, agi: AgiSession) -> None:
        await agi.command("ANSWER")
        await agi.exec("Playback", "hotline/seats-busy&beep")
        await agi.command("HANGUP")

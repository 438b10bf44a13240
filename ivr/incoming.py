"""The `incoming` FastAGI route: identify the caller, ring a seat within three rings, or
take the request and owe a callback.

The caller hears ringback while the ACD finds a seat; each offered seat rings (for at
most `seat_ring_s`), and a seat that does not answer hands the caller back to the line
with their place kept. When the three-ring window closes the IVR answers, offers the
callback (1 or silence = yes, 2 = no), records the request after the tone, confirms
the number to call back (or takes another by DTMF) and hangs up.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from acd.engine import Acd
from acd.line import Entry
from ivr.caller import CallerId, decode_caller, dialable
from ivr.fastagi import AgiHangup, AgiSession

log = logging.getLogger(__name__)

POLL_S = 1.0  # how often a waiting caller's channel is checked for a hang-up
IVR_MARGIN_S = 1.0  # the IVR answers this much before the third ring ends
RECORD_MS = 60000
RECORD_SILENCE_S = 2


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
RequestHandler = Callable[[Entry, str], Awaitable[None]]  # callback entry, recording path


async def read_caller(agi: AgiSession) -> CallerId:
    number_b64 = await agi.get_variable("HOTLINE_CID_NUM_B64")
    name_b64 = await agi.get_variable("HOTLINE_CID_NAME_B64")
    return decode_caller(number_b64, name_b64, agi.headers.get("agi_callerid", ""))


class RedisArrivals:
    """Arrivals go to a capped Redis stream the wallboard and tests read."""

    def __init__(self, redis, prefix: str) -> None:
        self.redis = redis
        self.key = f"{prefix}:arrivals"

    async def __call__(self, arrival: Arrival) -> None:
        fields = {k: json.dumps(v) if not isinstance(v, str) else v
                  for k, v in asdict(arrival).items()}
        await self.redis.xadd(self.key, fields, maxlen=10000, approximate=True)


def chosen_number(caller_number: str, keyed: str) -> str:
    """The number to call back: the caller's, unless they keyed a plausible other one."""
    digits = dialable(keyed.replace("#", "").replace("*", ""))
    if digits in ("", "1") or not 5 <= len(digits) <= 15:
        return caller_number
    return digits


class IncomingRoute:
    """FastAGI `incoming`."""

    def __init__(self, acd: Acd, sinks: list[ArrivalSink], recordings_dir: str,
                 on_request: RequestHandler | None = None) -> None:
        self.acd = acd
        self.sinks = sinks
        self.recordings_dir = recordings_dir  # as Asterisk sees it
        self.on_request = on_request
        self.settings = acd.settings

    async def handle(self, agi: AgiSession) -> None:
        arrived_at = time.time()
        caller = await read_caller(agi)
        origin = "terminal" if await agi.get_variable("HOTLINE_ORIGIN") == "terminal" else "trunk"
        arrival = Arrival(uniqueid=agi.headers.get("agi_uniqueid", ""),
                          channel=agi.headers.get("agi_channel", ""), caller=caller.number,
                          caller_name=caller.name, caller_raw=caller.raw, origin=origin,
                          arrived_at=arrived_at)
        log.info("call %s from %r (%s)", arrival.uniqueid, caller.number, origin)
        entry = await self.acd.arrive(arrival.uniqueid, caller.number, caller.name, origin,
                                      arrived_at)
        for sink in self.sinks:
            await sink(arrival)
        try:
            deadline = arrived_at + self.settings.ring_window_s - IVR_MARGIN_S
            if await self.ring_seats(agi, entry, deadline):
                return
        except AgiHangup:
            await self.acd.give_up(entry, "abandoned")
            raise
        await self.acd.give_up(entry, "window")
        await self.take_request(agi, entry)

    async def _alive(self, agi: AgiSession) -> bool:
        result = await agi.command("CHANNEL STATUS")
        return "error" not in result and result.get("result", ("-1", ""))[0] != "-1"

    async def ring_seats(self, agi: AgiSession, entry: Entry, deadline: float) -> bool:
        """Ringback while the ACD offers seats; True once a seat answered (call is over)."""
        await agi.exec("Ringing")
        while time.time() < deadline:
            seat = await self.acd.next_seat(entry, min(deadline, time.time() + POLL_S))
            if seat is None:
                if not await self._alive(agi):
                    raise AgiHangup("caller hung up while waiting")
                continue
            ring_s = max(2, min(self.settings.seat_ring_s, int(deadline - time.time()) + 1))
            await agi.exec("Dial", f"PJSIP/{seat}", str(ring_s), "r")
            ended = time.time()
            status = (await agi.get_variable("DIALSTATUS") or "").upper()
            answered_ms = _int(await agi.get_variable("ANSWEREDTIME_MS"))
            dialed_ms = _int(await agi.get_variable("DIALEDTIME_MS"))
            answered_at = ended - answered_ms / 1000 if status == "ANSWER" else None
            rang_ms = max(0, dialed_ms - answered_ms)
            log.info("call %s: seat %s -> %s after %d ms", entry.uniqueid, seat, status, rang_ms)
            if await self.acd.seat_result(entry, seat, status, rang_ms, answered_at, ended):
                return True
            if status == "CANCEL":
                raise AgiHangup("caller hung up while a seat rang")
        return False

    async def take_request(self, agi: AgiSession, entry: Entry) -> None:
        """Seats busy: answer, offer the callback, record the request, confirm the number."""
        number = entry.caller
        recording = f"{self.recordings_dir}/{_safe(entry.uniqueid) or entry.id}"
        wants_callback = True
        try:
            await agi.command("ANSWER")
            digit = await agi.command('GET DATA hotline/seats_busy 5000 1')
            wants_callback = digit.get("result", ("", ""))[0] != "2"
            await agi.exec("Playback", "hotline/record_after_tone")
            await agi.command(f'RECORD FILE {recording} wav "#" {RECORD_MS} BEEP '
                              f's={RECORD_SILENCE_S}')
            if wants_callback:
                number = await self.confirm_number(agi, number)
                await agi.exec("Playback", "hotline/callback_registered")
            await agi.exec("Playback", "hotline/thanks_goodbye")
            await agi.command("HANGUP")
        except AgiHangup:
            log.info("call %s: caller hung up in the IVR; the request is kept", entry.uniqueid)
        await self._keep_request(entry, number if wants_callback else "", f"{recording}.wav")

    async def confirm_number(self, agi: AgiSession, number: str) -> str:
        if number:
            await agi.command(f"SAY DIGITS {dialable(number).lstrip('+') or '0'} \"\"")
        reply = await agi.command("GET DATA beep 6000 15")
        keyed = reply.get("result", ("", ""))[0]
        return chosen_number(number, keyed if keyed not in ("-1", "(timeout)") else "")

    async def _keep_request(self, entry: Entry, number: str, recording: str) -> None:
        if number:
            callback = await self.acd.request_callback(entry, number, recording)
        else:
            callback = entry
            await self.acd.record_call(entry.uniqueid, outcome="ivr_handled",
                                       ended_at=time.time())
        if self.on_request:
            await self.on_request(callback, recording)


def _int(value: str | None) -> int:
    try:
        return int(float(value or 0))
    except ValueError:
        return 0


def _safe(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum() or ch in ".-")[:64]

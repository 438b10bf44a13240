"""The `incoming` FastAGI route: identify the caller, ring a seat within three rings, or
take the request and owe a callback.

The caller hears ringback while the ACD finds a seat; each offered seat rings (for at
most `seat_ring_s`), and a seat that does not answer hands the caller back to the line
with their place kept. When the three-ring window closes the IVR answers, offers the
callback (1 or silence = yes, 2 = no), records the request after the tone, confirms
the number to call back (or takes another by DTMF) and hangs up.

The route sets `HOTLINE_DONE` once it has seen the call through. If its session ends
without it (this process died or was stopped, Redis was unreachable), the dialplan
enters the route again, on whichever process serves FastAGI then, or runs the pyst2
safety net; a caller entering again keeps the arrival time `HOTLINE_ARRIVAL` set on
the first entry, so their place in the line and their deadlines stay as they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import asdict, dataclass
from typing import Protocol

from acd.engine import Acd
from acd.line import Entry
from case_store.recording_names import call_stem
from ivr.caller import CallerId, decode_caller, dialable
from ivr.emergency import EmergencyPath
from ivr.fastagi import AgiHangup, AgiSession
from ivr.heard import Heard

log = logging.getLogger(__name__)

STILL_UP_S = 2.0  # after a talk: is the caller still there (who hung up first)?
POLL_S = 1.0  # how often a waiting caller's channel is checked for a hang-up
IVR_MARGIN_S = 1.0  # the IVR answers this much before the third ring ends
WINDOW_S = 15.0  # the margin and the shortest seat ring scale with a compressed window
RECORD_MS = 60000
RECORD_SILENCE_S = 2
DONE_VARIABLE = "HOTLINE_DONE"  # the dialplan's sign that the route saw the call through
CLOCK_SKEW_S = 1.0  # Asterisk's clock ahead of ours by up to this is still believed
NOTICE_PROMPT = "hotline/call_recorded"


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
# Entered when the IVR starts taking a caller's request, left when it is kept (a hang-up
# included): e.g. the ACD bench's caller who leaves after saying their piece.
RequestWatcher = Callable[[AgiSession, Entry], AbstractAsyncContextManager[object]]
KIND_KEYS = {"1": "consult", "2": "life", "3": "affairs", "4": "complaint", "5": "suggestion"}


class RequestIntake(Protocol):
    """Understands a recorded request during the call and files the case after it."""

    async def understand(self, recording: str) -> Heard: ...
    async def __call__(self, entry: Entry, heard: Heard, kind_chosen: str | None) -> None: ...


async def read_caller(agi: AgiSession) -> CallerId:
    number_b64 = await agi.get_variable("HOTLINE_CID_NUM_B64")
    name_b64 = await agi.get_variable("HOTLINE_CID_NAME_B64")
    return decode_caller(number_b64, name_b64, agi.headers.get("agi_callerid", ""))


@dataclass(frozen=True)
class RouteArgs:
    """What the dialplan hands the `incoming` route as AGI arguments (no round trips
    before a seat rings): arrival, origin and the base64 caller ID."""

    arrival: str
    origin: str
    number_b64: str
    name_b64: str

    @classmethod
    async def read(cls, agi: AgiSession) -> RouteArgs:
        """From `agi_arg_1..4`; asked as variables from a dialplan that passes none."""
        args = [agi.headers.get(f"agi_arg_{i}") for i in range(1, 5)]
        if args[0] is None:
            args = [await agi.get_variable(name) for name in (
                "HOTLINE_ARRIVAL", "HOTLINE_ORIGIN", "HOTLINE_CID_NUM_B64",
                "HOTLINE_CID_NAME_B64")]
        return cls(*(value or "" for value in args))

    def caller(self, agi: AgiSession) -> CallerId:
        return decode_caller(self.number_b64, self.name_b64, agi.headers.get("agi_callerid", ""))


class RedisArrivals:
    """Arrivals go to a capped Redis stream the wallboard and tests read."""

    def __init__(self, redis, prefix: str) -> None:
        self.redis = redis
        self.key = f"{prefix}:arrivals"

    async def __call__(self, arrival: Arrival) -> None:
        fields = {k: json.dumps(v) if not isinstance(v, str) else v
                  for k, v in asdict(arrival).items()}
        await self.redis.xadd(self.key, fields, maxlen=10000, approximate=True)


def seat_dial_options(caller_uniqueid: str, seat: str, recording: bool, notice: bool) -> str:
    """Dial's options for ringing a seat: ringback, and once the seat answers its
    conversation recorded (`[record-answered]` on the seat's leg) after the caller heard
    that it is (the `call_recorded` prompt, to the caller alone)."""
    options = "r"
    if recording and caller_uniqueid:
        options += f"U(record-answered^{call_stem(caller_uniqueid, seat)})"
        if notice:  # `a`: the caller is answered with the seat, not after the notice, so
            # ANSWEREDTIME (the wait the ACD measures) ends when the seat answered
            options += f"aA(:{NOTICE_PROMPT})"
    return options


def answer_moment(status: str, answered_ms: int, dialled_at: float, ended: float,
                  notice_s: float) -> float | None:
    """When the seat answered. ANSWEREDTIME counts from the answer (Dial's `a`) to the
    end of the conversation. A caller who hung up during the notice (it plays as the seat
    answers) was never bridged and Asterisk gives none: the answer is then taken as the
    notice's length before the end, never before the Dial. Only for those callers the
    wait can be understated, by at most the part of the notice they did not hear."""
    if status != "ANSWER":
        return None
    if answered_ms > 0:
        return ended - answered_ms / 1000
    return max(dialled_at, ended - notice_s)


def chosen_number(caller_number: str, keyed: str) -> str:
    """The number to call back: the caller's, unless they keyed a plausible other one."""
    digits = dialable(keyed.replace("#", "").replace("*", ""))
    if digits in ("", "1") or not 5 <= len(digits) <= 15:
        return caller_number
    return digits


class IncomingRoute:
    """FastAGI `incoming`."""

    def __init__(self, acd: Acd, sinks: list[ArrivalSink], recordings_dir: str,
                 intake: RequestIntake | None = None,
                 request_watchers: Sequence[RequestWatcher] = (),
                 emergency: EmergencyPath | None = None, recording: bool = False,
                 recording_notice: bool = False, notice_s: float = 0.0) -> None:
        self.acd = acd
        self.recording = recording  # the seat's conversation recorded (MixMonitor)
        self.recording_notice = recording_notice
        self.notice_s = notice_s  # how long the notice plays
        self.emergency = emergency  # an elderly terminal no person answered
        self.sinks = sinks
        self.recordings_dir = recordings_dir  # as Asterisk sees it
        self.intake = intake
        self.settings = acd.settings
        self.request_watchers: list[RequestWatcher] = list(request_watchers)  # none: no-op
        self._publishing: set[asyncio.Task] = set()

    async def handle(self, agi: AgiSession) -> None:
        args = await RouteArgs.read(agi)
        arrived_at = first_arrival(args.arrival, time.time())
        caller = args.caller(agi)
        origin = "terminal" if args.origin == "terminal" else "trunk"
        arrival = Arrival(uniqueid=agi.headers.get("agi_uniqueid", ""),
                          channel=agi.headers.get("agi_channel", ""), caller=caller.number,
                          caller_name=caller.name, caller_raw=caller.raw, origin=origin,
                          arrived_at=arrived_at)
        log.info("call %s from %r (%s)", arrival.uniqueid, caller.number, origin)
        entry = await self.acd.arrive(arrival.uniqueid, caller.number, caller.name, origin,
                                      arrived_at, self.window_end(arrived_at, origin))
        try:
            await self._through(agi, arrival, entry)
        finally:  # whatever happened, this session no longer renews the caller's lease
            self.acd.leases.held.discard(entry.id)

    def window_end(self, arrived_at: float, origin: str) -> float:
        """When the IVR answers if no seat did: just before the third ring ends, counted
        from the call's arrival at Asterisk; an elderly terminal's own, shorter window."""
        unit = self.settings.ring_window_s / WINDOW_S
        deadline = arrived_at + self.settings.ring_window_s - IVR_MARGIN_S * unit
        if origin == "terminal":
            deadline = min(deadline, arrived_at + self.settings.elderly_window_s)
        return deadline

    async def _through(self, agi: AgiSession, arrival: Arrival, entry: Entry) -> None:
        """Ring seats within the window, else take the request; the caller's entry and
        any seat offered to it are given back however this ends."""
        try:
            if await self.ring_seats(agi, entry, entry.ring_until, arrival):
                await agi.set_variable(DONE_VARIABLE, "1")
                return
        except AgiHangup:
            await self.acd.give_up(entry, "abandoned")
            raise
        except BaseException:  # a stalled peer, Redis gone, shutdown: release what it held
            with contextlib.suppress(Exception):
                await self.acd.give_up(entry, "error")
            raise
        await self.acd.give_up(entry, "window")
        if entry.origin == "terminal" and self.emergency is not None \
                and await self.emergency.knows(entry):
            heard = await self.emergency.ask(agi, entry)
            if heard is not None:
                await agi.set_variable(DONE_VARIABLE, "1")
                await self.emergency.join(agi, entry, heard)
                return
        await self.take_request(agi, entry)

    async def _alive(self, agi: AgiSession) -> bool:
        result = await agi.command("CHANNEL STATUS")
        return "error" not in result and result.get("result", ("-1", ""))[0] != "-1"

    async def _still_up(self, agi: AgiSession) -> bool:
        """After an answered Dial, for the queue_log's COMPLETEAGENT/COMPLETECALLER."""
        try:
            result = await agi.command("CHANNEL STATUS", timeout=STILL_UP_S)
        except Exception:  # hung up, closed or slow: counted as the caller's hang-up
            return False
        return "error" not in result and result.get("result", ("-1", ""))[0] != "-1"

    async def ring_seats(self, agi: AgiSession, entry: Entry, deadline: float,
                         arrival: Arrival | None = None) -> bool:
        """Ringback while the ACD offers seats; True once a seat answered (call is over).
        A seat the fast path took rings first, before the arrival is published."""
        seat = await self.acd.line.take_offer(entry.id)
        if seat is None:
            await agi.exec("Ringing")
        if arrival is not None:
            self._publish(arrival)
        while time.time() < deadline:
            if seat is None:
                seat = await self.acd.next_seat(entry, min(deadline, time.time() + POLL_S))
            if seat is None:
                if not await self._alive(agi):
                    raise AgiHangup("caller hung up while waiting")
                continue
            # never past the window: a person answers by the deadline or the IVR does
            ring_s = max(0.01, min(self.settings.seat_ring_s, deadline - time.time()))
            # Asterisk 22's Dial takes fractional seconds ("0.8"); "8" stays "8".
            # no timeout: an answered Dial returns when the conversation ends
            dialled_at = time.time()
            options = seat_dial_options(entry.uniqueid, seat, self.recording,
                                        self.recording_notice)
            await agi.exec("Dial", f"PJSIP/{seat}", f"{round(ring_s, 2):g}", options,
                           timeout=None)
            ended = time.time()
            status = (await agi.get_variable("DIALSTATUS") or "").upper()
            answered_ms = _int(await agi.get_variable("ANSWEREDTIME_MS"))
            answered_at = answer_moment(status, answered_ms, dialled_at, ended,
                                        self.notice_s if self.recording_notice else 0.0)
            # measured here: a channel's second Dial reports a stale DIALEDTIME_MS
            rang_ms = max(0, round(((answered_at or ended) - dialled_at) * 1000))
            log.info("call %s: seat %s -> %s after %d ms", entry.uniqueid, seat, status, rang_ms)
            # the talk is over: a caller still on the line means the agent hung up
            agent_hung_up = status == "ANSWER" and await self._still_up(agi)
            if await self.acd.seat_result(entry, seat, status, rang_ms, answered_at, ended,
                                          agent_hung_up=agent_hung_up):
                return True
            if status == "CANCEL":
                raise AgiHangup("caller hung up while a seat rang")
            seat = None
        return False

    def _publish(self, arrival: Arrival) -> None:
        """Arrival sinks (the wallboard's stream) run beside the ringing, never before it."""
        async def publish() -> None:
            for sink in self.sinks:
                try:
                    await sink(arrival)
                except Exception as exc:  # Redis away: the call goes on without the stream
                    log.warning("arrival of %s not published (%s)", arrival.uniqueid, exc)
        task = asyncio.create_task(publish())
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    async def take_request(self, agi: AgiSession, entry: Entry) -> None:
        """Seats busy: answer, offer the callback, record the request, read the topic back,
        confirm the number. A hang-up at any point keeps what was said and the callback.
        Every request watcher is around it, entered in order."""
        async with AsyncExitStack() as watching:
            for watcher in self.request_watchers:
                await watching.enter_async_context(watcher(agi, entry))
            await self._take_request(agi, entry)

    async def _take_request(self, agi: AgiSession, entry: Entry) -> None:
        number = entry.caller
        recording = f"{self.recordings_dir}/{_safe(entry.uniqueid) or entry.id}"
        wants_callback = True
        heard = Heard("", "not_recorded")
        kind_chosen = None
        callback: Entry | None = None
        try:
            await agi.command("ANSWER")
            digit = await agi.command('GET DATA hotline/seats_busy 5000 1')
            wants_callback = _digits(digit) != "2"
            await agi.exec("Playback", "hotline/record_after_tone")
            await agi.command(f'RECORD FILE {recording} wav "#" {RECORD_MS} BEEP '
                              f's={RECORD_SILENCE_S}')
            heard = await self._understand(f"{recording}.wav")
            kind_chosen = await self.read_back(agi, heard)
            if wants_callback:
                number = await self.confirm_number(agi, number)
                # durable (SQL or the spool) and in line before the caller is told so
                callback = await self.acd.request_callback(
                    entry, number, f"{recording}.wav", transcript=heard.text,
                    tags=heard.tags())
                # a number the hotline may not dial on its own: an agent confirms it first
                told = "callback_number_check" if callback.number_check else "callback_registered"
                await agi.exec("Playback", f"hotline/{told}")
            await agi.exec("Playback", "hotline/thanks_goodbye")
            await agi.set_variable(DONE_VARIABLE, "1")
            await agi.command("HANGUP")
        except AgiHangup:
            log.info("call %s: caller hung up in the IVR; the request is kept", entry.uniqueid)
            await self.acd.abandoned_in_ivr(entry)
            if heard.status == "not_recorded":
                heard = await self._understand(f"{recording}.wav")
        await self._keep_request(entry, callback, number if wants_callback else "",
                                 f"{recording}.wav", heard, kind_chosen)

    async def _understand(self, recording: str) -> Heard:
        if self.intake is None:
            return Heard("", "no_model")
        return await self.intake.understand(recording)

    async def read_back(self, agi: AgiSession, heard: Heard) -> str | None:
        """"您反映的是…问题" — 1 confirms, 2 lets the caller key the kind (1-5)."""
        if not heard.topic:
            return None
        reply = await agi.command(f"GET DATA hotline/readback_{_safe(heard.topic)} 5000 1")
        if _digits(reply) != "2":
            return None
        choice = await agi.command("GET DATA hotline/kind_menu 6000 1")
        return KIND_KEYS.get(_digits(choice))

    async def confirm_number(self, agi: AgiSession, number: str) -> str:
        if number:
            await agi.command(f"SAY DIGITS {dialable(number).lstrip('+') or '0'} \"\"")
        reply = await agi.command("GET DATA beep 6000 15")
        return chosen_number(number, _digits(reply))

    async def _keep_request(self, entry: Entry, callback: Entry | None, number: str,
                            recording: str, heard: Heard, kind_chosen: str | None) -> None:
        """After the call: the callback (unless owed already) and the case."""
        if callback is None and number:  # hung up before the callback was confirmed
            callback = await self.acd.request_callback(
                entry, number, recording, transcript=heard.text, tags=heard.tags())
        elif callback is None:
            callback = entry
            await self.acd.record_call(entry.uniqueid, outcome="ivr_handled",
                                       ended_at=time.time())
        if self.intake:
            await self.intake(callback, heard, kind_chosen)


def first_arrival(variable: str | None, now: float) -> float:
    """When the call reached Asterisk: `HOTLINE_ARRIVAL` (ms, set by the dialplan's first
    step and kept for a caller entering the route again). A missing or garbled value,
    one over an hour old, or one ahead of this clock by more than a skew counts as now."""
    try:
        arrival = float(variable or "")
    except ValueError:
        return now
    if not now - 3600 < arrival <= now + CLOCK_SKEW_S:
        return now
    return min(arrival, now)


def _digits(result: dict) -> str:
    """Digits keyed in a GET DATA; '' on timeout, hang-up or garbage."""
    value = result.get("result", ("", ""))[0]
    return value if value.isascii() and value.isdigit() else ""


def _int(value: str | None) -> int:
    """A channel variable as a whole number; 0 if garbled ("inf" overflows int())."""
    try:
        return int(float(value or 0))
    except (ValueError, OverflowError):
        return 0


def _safe(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum() or ch in ".-")[:64]

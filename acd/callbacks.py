"""Callbacks: agent first, then the citizen; retries with backoff; every outcome recorded.

A callback entry claimed by the dispatcher rings its seat through AMI Originate
(the desk pops the request); when the agent answers, the dialplan context
[callbacks] dials the citizen and reports the result in a `HotlineCallback` user event
from its `h` extension. The agent not answering puts the entry back in line at once;
busy or no answer from the citizen retries after the configured backoff.

Every placement is supervised: the claim leased it to this process (see `acd.leases`);
no OriginateResponse within the seat's ring time plus a grace, or the agent's channel
gone without its HotlineCallback event, puts the callback back in line with its
original arrival and frees the seat; so does an exception in any step.

Never dialled twice: the moment the citizen answers, the dialplan marks the leg in
Asterisk's own database and sends `HotlineCallbackAnswered`, and the callback is closed in
SQL, where a closed callback never opens again. A placement first asks Asterisk whether
this attempt already reached the citizen (its owner may have died before hearing so);
if it did, the callback is closed without dialling.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from acd.leases import Leases
from acd.line import Entry, WaitingLine, with_attempt
from acd.originate_wait import GRACE_S
from acd.queue_log import QueueLog
from acd.seat_board import SeatBoard
from acd.seat_state import not_ready_yet
from acd.stats import Stats

log = logging.getLogger(__name__)

RETRY_SYSTEM_S = 2.0
GONE_CHECKS = 2  # the agent's channel missing this many checks: its end event was lost
OUTCOMES = {"ANSWER": "answered", "BUSY": "busy", "NOANSWER": "no_answer",
            "CHANUNAVAIL": "wrong_number", "CONGESTION": "wrong_number"}
# OriginateResponse's Reason (the control frame that ended the seat leg) as a Dial status:
# 0 no channel at all, 5 busy, 8 congestion; anything else rang without an answer.
ORIGINATE_REFUSALS = {"0": "CHANUNAVAIL", "5": "BUSY", "8": "CHANUNAVAIL"}


class CallbackLedger(Protocol):
    """The SQL record of callbacks, so a Redis restart cannot lose one."""

    async def save(self, entry: Entry, recording: str = "",
                   needs_check: bool = False) -> None: ...
    async def update(self, callback_id: str, **fields: object) -> None: ...
    async def pending(self) -> list[Entry]: ...


class AnswerMarks(Protocol):
    """Asterisk's durable mark that a callback leg reached the citizen (AstDB)."""

    async def callback_answered(self, channel_id: str) -> bool | None: ...
    async def forget_callback_answer(self, channel_id: str) -> None: ...


Originate = Callable[[dict], Awaitable[dict]]
ChannelProbe = Callable[[str], Awaitable[bool | None]]  # channel id -> up? (None: unknown)


@dataclass(frozen=True)
class CallbackPolicy:
    seat_ring_s: float
    wrapup_s: float
    retries: int
    backoff_s: tuple[float, ...]
    pause_after_missed: int
    terminals: frozenset[str] = frozenset()  # rung on their own endpoints, not the trunk

    def backoff(self, attempt: int) -> float:
        if not self.backoff_s:
            return 0
        return self.backoff_s[min(attempt - 1, len(self.backoff_s) - 1)]


@dataclass
class Flight:
    """One callback being placed: which seat, since when, how far it got."""

    entry: Entry
    seat: str
    started: float = field(default_factory=time.monotonic)
    answered: bool = False  # the agent's leg
    connected: bool = False  # the citizen's leg: the callback is done
    gone_checks: int = 0


def channel_id_of(entry: Entry) -> str:
    """The agent leg's channel id (AMI ChannelId, and CB_ID in the dialplan)."""
    return f"cb-{entry.id}-{entry.attempts + 1}"


class CallbackRunner:
    """Places claimed callbacks and follows them to an outcome."""

    def __init__(self, originate: Originate, line: WaitingLine, board: SeatBoard,
                 stats: Stats, ledger: CallbackLedger, policy: CallbackPolicy,
                 leases: Leases) -> None:
        self.originate = originate
        self.line = line
        self.board = board
        self.stats = stats
        self.ledger = ledger
        self.policy = policy
        self.leases = leases
        self.active: dict[str, Flight] = {}  # channel id -> the placement in flight
        self.marks: AnswerMarks | None = None  # e.g. the AMI link; None: never asked
        self.placed: list[dict] = []  # for benchmarks: when each citizen leg was dialled
        self.queue_log = QueueLog(lambda _line: None)  # the Acd sets its own
        # a seat the release script paused for missed rings (the Acd journals it)
        self.on_auto_pause: Callable[[str], Awaitable[None]] | None = None

    async def place(self, entry: Entry, seat: str) -> None:
        channel_id = channel_id_of(entry)
        self.active[channel_id] = Flight(entry, seat)
        try:
            reached = await self.marks.callback_answered(channel_id) if self.marks else False
            if reached is None:  # AMI cannot say yet (a process just started): not now
                log.info("callback %s: Asterisk's answer mark not readable yet; later",
                         entry.id)
                await self._not_placed(channel_id)
                return
            if reached:
                log.warning("callback %s: attempt %d already reached the citizen; closed "
                            "without dialling again", entry.id, entry.attempts + 1)
                await self._reached_earlier(channel_id)
                return
            await self.ledger.update(entry.id, status="dialing", seat=seat)
            reply = await self.originate({
                "Channel": f"PJSIP/{seat}",
                "Context": ("callbacks-terminal" if entry.callback_number in self.policy.terminals
                            else "callbacks"),
                "Exten": entry.callback_number,
                "Priority": "1",
                "Timeout": str(int(self.policy.seat_ring_s * 1000)),
                "CallerID": f'"CB {entry.callback_number}" <{entry.callback_number}>',
                "ChannelId": channel_id,
                "Variable": f"CB_ID={channel_id}",
            })
        except Exception:
            log.exception("callback %s: placing it failed; back in line", entry.id)
            await self._not_placed(channel_id)
            return
        if reply.get("Response") != "Success":
            log.warning("callback %s: originate refused (%s)", entry.id, reply.get("Message"))
            await self._not_placed(channel_id)

    def in_flight(self) -> set[str]:
        """The callbacks this process is placing: the leases its heartbeat renews."""
        return {flight.entry.id for flight in self.active.values()}

    def adopt(self, entry: Entry, seat: str) -> None:
        """Follow a placement whose owner died while its channel is still up."""
        self.active[channel_id_of(entry)] = Flight(entry, seat, answered=True)

    async def on_event(self, event: dict) -> None:
        name = event.get("Event")
        if name == "OriginateResponse":
            channel_id = event.get("Uniqueid", "")
            if channel_id not in self.active:
                return
            if event.get("Response") == "Success":
                await self._agent_answered(channel_id)
            else:
                await self._agent_missed(channel_id, ORIGINATE_REFUSALS.get(
                    str(event.get("Reason", "")), "NOANSWER"))
        elif name == "UserEvent" and event.get("UserEvent") == "HotlineCallbackAnswered":
            channel_id = event.get("CallbackId", "")
            if channel_id in self.active:
                await self._citizen_connected(channel_id)
        elif name == "UserEvent" and event.get("UserEvent") == "HotlineCallback":
            channel_id = event.get("CallbackId", "")
            if channel_id in self.active:
                await self._citizen_result(channel_id, event.get("DialStatus", ""))

    async def supervise(self, channel_up: ChannelProbe | None) -> None:
        """Deadlines: an overdue OriginateResponse, or an answered leg gone silently."""
        overdue_s = self.policy.seat_ring_s + GRACE_S
        for channel_id, flight in list(self.active.items()):
            if not flight.answered:
                if time.monotonic() - flight.started > overdue_s:
                    log.warning("callback %s: no OriginateResponse in %.0f s; back in line",
                                flight.entry.id, overdue_s)
                    await self._not_placed(channel_id)
                continue
            if channel_up is None or (up := await channel_up(channel_id)) is None:
                continue
            flight.gone_checks = 0 if up else flight.gone_checks + 1
            if flight.gone_checks >= GONE_CHECKS and channel_id in self.active:
                log.warning("callback %s: channel %s ended without its outcome event; "
                            "retrying", flight.entry.id, channel_id)
                await self._citizen_result(channel_id, "UNKNOWN")

    async def _agent_answered(self, channel_id: str) -> None:
        flight = self.active[channel_id]
        flight.answered = True
        entry, seat = flight.entry, flight.seat
        now = time.time()
        delay = now - entry.arrived_at
        self.placed.append({"id": entry.id, "delay_s": delay, "seat": seat})
        self.queue_log.callback_placed(entry.uniqueid, seat, entry.id, entry.attempts + 1, delay)
        counts: dict[str, float] = {}
        observe = []
        if delay <= (entry.due_at - entry.arrived_at):
            counts["callbacks_in_time"] = 1
        if entry.attempts == 0:  # the citizen is dialled for the first time: the delay
            counts["callbacks_placed"] = 1  # they waited, once
            observe.append(("callback_delay_seconds", "", delay))
        if counts:  # one transaction: a reader never sees one without the other
            await self.stats.count(observe=observe, **counts)
        log.info("callback %s: agent %s answered, dialling %s after %.1f s", entry.id, seat,
                 entry.callback_number, delay)

    async def _agent_missed(self, channel_id: str, dial_status: str) -> None:
        flight = self.active.pop(channel_id)
        entry = flight.entry
        not_ready = not_ready_yet(await self.board.facts(flight.seat), dial_status,
                                  time.time())
        released = await self.board.release(flight.seat, entry.id, missed=True,
                                            not_ready=not_ready,
                                            pause_after_missed=self.policy.pause_after_missed)
        if released == 2 and self.on_auto_pause is not None:  # paused for missed rings
            await self.on_auto_pause(flight.seat)
        await self._back_in_line(entry)

    async def _not_placed(self, channel_id: str) -> None:
        """Asterisk could not take the call (e.g. AMI down): not the agent's fault."""
        flight = self.active.pop(channel_id, None)
        if flight is None:
            return
        await self.put_back(flight.entry, flight.seat, not_before=time.time() + RETRY_SYSTEM_S)

    async def put_back(self, entry: Entry, seat: str, not_before: float = 0.0) -> None:
        """Free the seat and put the callback back in line with its arrival (also what
        the reaper does with one whose placing process died)."""
        await self.board.release(seat, entry.id)
        await self._back_in_line(entry, not_before)

    async def _back_in_line(self, entry: Entry, not_before: float = 0.0) -> None:
        await self.line.requeue(entry, not_before=not_before)
        await self.leases.drop(entry.id)
        await self.ledger.update(entry.id, status="pending", seat=None)

    async def _citizen_connected(self, channel_id: str) -> None:
        """The citizen answered: the promise is kept, and recorded before the talk ends."""
        await self._record_done(self.active[channel_id])

    async def _record_done(self, flight: Flight) -> None:
        """Close the callback in SQL as answered, once per placement."""
        if flight.connected:
            return
        flight.connected = True
        await self.ledger.update(flight.entry.id, status="done", outcome="answered",
                                 attempts=flight.entry.attempts + 1, seat=flight.seat,
                                 done_at=time.time())
        await self.stats.count(callbacks_done=1)
        self.queue_log.callback_closed(flight.entry.uniqueid, flight.seat, flight.entry.id,
                                       "done", flight.entry.attempts + 1)

    async def _reached_earlier(self, channel_id: str) -> None:
        """A placement found its attempt already answered: close it, dial nobody."""
        flight = self.active.pop(channel_id)
        await self.board.release(flight.seat, flight.entry.id)
        await self._record_done(flight)
        await self._finish(flight.entry, "done", channel_id)

    async def _citizen_result(self, channel_id: str, dial_status: str) -> None:
        flight = self.active.pop(channel_id)
        entry, seat = flight.entry, flight.seat
        outcome = OUTCOMES.get(dial_status.upper(), "no_answer")
        await self.board.release(seat, entry.id, answered=True, wrapup_s=self.policy.wrapup_s)
        attempt = entry.attempts + 1
        if flight.connected or outcome == "answered":  # the answer event may have been lost
            await self._record_done(flight)
            await self._finish(entry, "done", channel_id)
        elif attempt < self.policy.retries:
            retry_at = time.time() + self.policy.backoff(attempt)
            await self.line.requeue(with_attempt(entry, retry_at), not_before=retry_at,
                                    attempts=attempt)
            await self.leases.drop(entry.id)
            await self.ledger.update(entry.id, status="pending", attempts=attempt,
                                     outcome=outcome, next_attempt_at=retry_at)
        else:
            await self.ledger.update(entry.id, status="failed", outcome=outcome,
                                     attempts=attempt, seat=seat, done_at=time.time())
            await self.stats.count(callbacks_failed=1)
            self.queue_log.callback_closed(entry.uniqueid, seat, entry.id, outcome, attempt)
            await self._finish(entry, "failed", channel_id)

    async def _finish(self, entry: Entry, status: str, channel_id: str) -> None:
        """Take a closed callback off the line, its lease and Asterisk's answer mark."""
        await self.line.finish(entry.id, status)
        await self.leases.drop(entry.id)
        await self.stats.callback_closed(entry.id)
        if self.marks:
            await self.marks.forget_callback_answer(channel_id)

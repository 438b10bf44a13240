"""Callbacks: agent first, then the citizen; retries with backoff; every outcome recorded.

A callback entry claimed by the dispatcher rings its seat through AMI Originate
(the desk pops the request); when the agent answers, the dialplan context
[callbacks] dials the citizen and reports the result in a `HotlineCallback` user event
from its `h` extension. The agent not answering puts the entry back in line at once;
busy or no answer from the citizen retries after the configured backoff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from acd.line import Entry, WaitingLine, with_attempt
from acd.seat_board import SeatBoard
from acd.stats import Stats

log = logging.getLogger(__name__)

RETRY_SYSTEM_S = 2.0
OUTCOMES = {"ANSWER": "answered", "BUSY": "busy", "NOANSWER": "no_answer",
            "CHANUNAVAIL": "wrong_number", "CONGESTION": "wrong_number"}


class CallbackLedger(Protocol):
    """The SQL record of callbacks, so a Redis restart cannot lose one."""

    async def save(self, entry: Entry, recording: str = "") -> None: ...
    async def update(self, callback_id: str, **fields: object) -> None: ...
    async def pending(self) -> list[Entry]: ...


Originate = Callable[[dict], Awaitable[dict]]


@dataclass(frozen=True)
class CallbackPolicy:
    seat_ring_s: float
    wrapup_s: float
    retries: int
    backoff_s: tuple[float, ...]
    pause_after_missed: int

    def backoff(self, attempt: int) -> float:
        if not self.backoff_s:
            return 0
        return self.backoff_s[min(attempt - 1, len(self.backoff_s) - 1)]


class CallbackRunner:
    """Places claimed callbacks and follows them to an outcome."""

    def __init__(self, originate: Originate, line: WaitingLine, board: SeatBoard,
                 stats: Stats, ledger: CallbackLedger, policy: CallbackPolicy) -> None:
        self.originate = originate
        self.line = line
        self.board = board
        self.stats = stats
        self.ledger = ledger
        self.policy = policy
        self.active: dict[str, tuple[Entry, str]] = {}  # channel id -> (entry, seat)
        self.placed: list[dict] = []  # for benchmarks: when each citizen leg was dialled

    async def place(self, entry: Entry, seat: str) -> None:
        attempt = entry.attempts + 1
        channel_id = f"cb-{entry.id}-{attempt}"
        self.active[channel_id] = (entry, seat)
        await self.ledger.update(entry.id, status="dialing", seat=seat)
        reply = await self.originate({
            "Channel": f"PJSIP/{seat}",
            "Context": "callbacks",
            "Exten": entry.callback_number,
            "Priority": "1",
            "Timeout": str(int(self.policy.seat_ring_s * 1000)),
            "CallerID": f'"CB {entry.callback_number}" <{entry.callback_number}>',
            "ChannelId": channel_id,
            "Variable": f"CB_ID={channel_id}",
        })
        if reply.get("Response") != "Success":
            log.warning("callback %s: originate refused (%s)", entry.id, reply.get("Message"))
            await self._not_placed(channel_id)

    async def on_event(self, event: dict) -> None:
        name = event.get("Event")
        if name == "OriginateResponse":
            channel_id = event.get("Uniqueid", "")
            if channel_id not in self.active:
                return
            if event.get("Response") == "Success":
                await self._agent_answered(channel_id)
            else:
                await self._agent_missed(channel_id)
        elif name == "UserEvent" and event.get("UserEvent") == "HotlineCallback":
            channel_id = event.get("CallbackId", "")
            if channel_id in self.active:
                await self._citizen_result(channel_id, event.get("DialStatus", ""))

    async def _agent_answered(self, channel_id: str) -> None:
        entry, seat = self.active[channel_id]
        now = time.time()
        delay = now - entry.arrived_at
        self.placed.append({"id": entry.id, "delay_s": delay, "seat": seat})
        if delay <= (entry.due_at - entry.arrived_at):
            await self.stats.count(callbacks_in_time=1)
        log.info("callback %s: agent %s answered, dialling %s after %.1f s", entry.id, seat,
                 entry.callback_number, delay)

    async def _agent_missed(self, channel_id: str) -> None:
        entry, seat = self.active.pop(channel_id)
        await self.board.release(seat, entry.id, missed=True,
                                 pause_after_missed=self.policy.pause_after_missed)
        await self.ledger.update(entry.id, status="pending", seat=None)
        await self.line.requeue(entry)

    async def _not_placed(self, channel_id: str) -> None:
        """Asterisk could not take the call (e.g. AMI down): not the agent's fault."""
        entry, seat = self.active.pop(channel_id)
        await self.board.release(seat, entry.id)
        await self.ledger.update(entry.id, status="pending", seat=None)
        await self.line.requeue(entry, not_before=time.time() + RETRY_SYSTEM_S)

    async def _citizen_result(self, channel_id: str, dial_status: str) -> None:
        entry, seat = self.active.pop(channel_id)
        outcome = OUTCOMES.get(dial_status.upper(), "no_answer")
        answered = outcome == "answered"
        await self.board.release(seat, entry.id, answered=True, wrapup_s=self.policy.wrapup_s)
        attempt = entry.attempts + 1
        if answered:
            await self._close(entry, "done", outcome, attempt, seat)
            await self.stats.count(callbacks_done=1)
        elif attempt < self.policy.retries:
            retry_at = time.time() + self.policy.backoff(attempt)
            await self.ledger.update(entry.id, status="pending", attempts=attempt,
                                     outcome=outcome, next_attempt_at=retry_at)
            await self.line.requeue(with_attempt(entry, retry_at), not_before=retry_at,
                                    attempts=attempt)
        else:
            await self._close(entry, "failed", outcome, attempt, seat)
            await self.stats.count(callbacks_failed=1)

    async def _close(self, entry: Entry, status: str, outcome: str, attempts: int,
                     seat: str) -> None:
        await self.line.finish(entry.id, status)
        await self.stats.callback_closed(entry.id)
        await self.ledger.update(entry.id, status=status, outcome=outcome, attempts=attempts,
                                 seat=seat, done_at=time.time())

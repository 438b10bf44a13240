"""Login and pause history: every change of a seat's login or pause, as it happens.

Redis holds only a seat's current facts; the journal keeps the history the agent's day
report (case_store.agent_report) and the queue_log's member lines need. `transitions`
is pure: from a seat's facts before and after one change, the events it makes
(login, logout, pause with its reason, unpause). SeatControl reads the facts before
and sets the new ones in one Lua step, so when several processes apply the same feature
code only the one that changed the seat journals it.
Journaling is best effort beside the agent's action: it never fails the action.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from acd.queue_log import QueueLog

log = logging.getLogger(__name__)

Facts = tuple[bool, str]  # logged in, pause reason ("" = not paused)
SeatEvent = tuple[str, str]  # event, reason


def transitions(before: Facts, after: Facts) -> list[SeatEvent]:
    """The events one change makes: a pause ends before a logout, starts after a login,
    and a new reason is an unpause then a pause (so time adds up by reason)."""
    (was_in, was_paused), (now_in, now_paused) = before, after
    events: list[SeatEvent] = []
    if was_in and was_paused and (not now_in or now_paused != was_paused):
        events.append(("unpause", was_paused))
    if was_in != now_in:
        events.append(("login" if now_in else "logout", ""))
    if now_in and now_paused and (not was_in or now_paused != was_paused):
        events.append(("pause", now_paused))
    return events


class AgentEventRecord(Protocol):
    """The SQL record of seat events (acd.records.SqlAgentEvents)."""

    async def add(self, seat: str, event: str, reason: str, at: float) -> None: ...


class SeatJournal:
    """Writes seat events to the queue_log and to SQL."""

    def __init__(self, queue_log: QueueLog, record: AgentEventRecord | None = None) -> None:
        self.queue_log = queue_log
        self.record = record

    async def __call__(self, seat: str, events: list[SeatEvent],
                       at: float | None = None) -> None:
        at = time.time() if at is None else at
        for n, (event, reason) in enumerate(events):
            self.queue_log.seat(seat, event, reason)
            if self.record is None:
                continue
            try:  # a microsecond apart: one change's events keep their order in SQL
                await self.record.add(seat, event, reason, at + n * 1e-6)
            except Exception:
                log.exception("seat %s: %s not kept in the agent history", seat, event)

"""Agents' login and pause history in SQL, and the per-agent day report read from it.

The ACD journals each change of a seat's login or pause (acd.seat_journal) here; the
day report (case_store.agent_report, pure) adds up one Asia/Shanghai day from these
events and the calls the seats answered. ``CaseStore`` delegates to it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from case_store.agent_report import SEAT_EVENTS, CallSpan, SeatEventRow, agent_day, state_at_start
from case_store.db import upsert_insert
from case_store.models import AgentEvent, Call
from case_store.seat_facts import REASON_LIMIT, SEAT_LIMIT
from case_store.unit import UnitOfWork
from case_store.workdays import SHANGHAI

KEY_LIMIT = 80


def day_window(day: date) -> tuple[datetime, datetime]:
    """The Asia/Shanghai day as a UTC [start, end)."""
    start = datetime.combine(day, time(0), SHANGHAI)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


class AgentEventRecords:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def add_agent_event(self, key: str, seat: str, event: str, reason: str,
                        at: datetime) -> None:
        """Keep one seat event; the same key again (a replayed spool item) adds nothing."""
        if not seat.isdigit() or len(seat) > SEAT_LIMIT:
            raise ValueError(f"seat must be digits, at most {SEAT_LIMIT}: {seat[:20]!r}")
        if event not in SEAT_EVENTS:
            raise ValueError(f"seat event must be one of {SEAT_EVENTS}: {event[:20]!r}")
        if not key or len(key) > KEY_LIMIT:
            raise ValueError("agent event key missing or too long")
        row = {"key": key, "seat": seat, "event": event,
               "reason": str(reason or "")[:REASON_LIMIT], "at": at}
        with self.uow.tx() as s:
            s.execute(upsert_insert(s, AgentEvent).values(row).on_conflict_do_nothing(
                index_elements=[AgentEvent.key]))

    def agent_events(self, start: datetime, end: datetime) -> list[SeatEventRow]:
        with self.uow.tx() as s:
            rows = s.scalars(select(AgentEvent).where(AgentEvent.at >= start,
                                                      AgentEvent.at < end)
                             .order_by(AgentEvent.at, AgentEvent.id))
            return [SeatEventRow(r.seat, r.event, r.reason, r.at) for r in rows]

    def agent_day_report(self, day: date, wrapup_s: float,
                         seats: list[str] | None = None) -> list[dict]:
        """Every seat with events or calls that day (and every seat named), by seat."""
        start, end = day_window(day)
        end = min(end, self.uow.clock())
        if end <= start:
            return [agent_day(seat, start, start, (False, ""), [], [], wrapup_s).as_dict()
                    for seat in sorted(seats or [])]
        with self.uow.tx() as s:
            # a seat's state as the day began is its last event's (no full history read)
            last = (select(AgentEvent.seat, func.max(AgentEvent.at).label("at"))
                    .where(AgentEvent.at < start).group_by(AgentEvent.seat).subquery())
            earlier = [SeatEventRow(r.seat, r.event, r.reason, r.at) for r in s.scalars(
                select(AgentEvent).join(last, (AgentEvent.seat == last.c.seat)
                                        & (AgentEvent.at == last.c.at))
                .order_by(AgentEvent.at, AgentEvent.id))]
            events = [SeatEventRow(r.seat, r.event, r.reason, r.at) for r in s.scalars(
                select(AgentEvent).where(AgentEvent.at >= start, AgentEvent.at < end)
                .order_by(AgentEvent.at, AgentEvent.id))]
            calls = [CallSpan(r.seat, r.answered_at, r.ended_at) for r in s.scalars(
                select(Call).where(Call.answered_at.is_not(None), Call.ended_at.is_not(None),
                                   Call.seat.is_not(None), Call.ended_at >= start,
                                   Call.answered_at < end))]
        names = set(seats or []) | {r.seat for r in events} | {c.seat for c in calls} \
            | {r.seat for r in earlier}
        report = []
        for seat in sorted(names):
            initial = state_at_start(r for r in earlier if r.seat == seat)
            report.append(agent_day(seat, start, end, initial,
                                    [r for r in events if r.seat == seat],
                                    [c for c in calls if c.seat == seat], wrapup_s).as_dict())
        return report

"""SLA clocks on the SQL store: the working-day calendar, handling deadlines, loading an
official year schedule (the supervision notice a passed deadline earns is in
``case_store.notices``).

The arithmetic is ``case_store.sla`` on a ``WorkCalendar``; this collaborator keeps the
calendar (the official one plus the schedules loaded into the database) and writes the
resulting deadlines onto cases, so every path that (re)starts a clock agrees.
"""

from __future__ import annotations

from datetime import datetime

import yaml
from sqlalchemy import select

from case_store import lifecycle, sla
from case_store.models import CalendarDay, Case
from case_store.unit import UnitOfWork
from case_store.views import iso
from case_store.workdays import WorkCalendar, YearSchedule, parse_schedule


class Clocks:
    """Deadlines of cases, counted on the operator's calendar."""

    def __init__(self, uow: UnitOfWork, calendar: WorkCalendar | None = None) -> None:
        self.uow = uow
        self._calendar = calendar

    @property
    def calendar(self) -> WorkCalendar:
        """The working-day calendar, with the operator's loaded schedules."""
        if self._calendar is None:
            with self.uow.read() as s:
                rows = s.scalars(select(CalendarDay)).all()
            years: dict[int, tuple[set, set]] = {}
            for r in rows:
                hol, work = years.setdefault(r.year, (set(), set()))
                (work if r.workday else hol).add(r.day)
            self._calendar = WorkCalendar.with_schedules(
                YearSchedule(y, frozenset(h), frozenset(w)) for y, (h, w) in years.items()
            )
        return self._calendar

    def set_due(self, case: Case, clock_start: datetime) -> None:
        """(Re)start the handling clock at ``clock_start``; a new clock may be supervised
        again when it passes."""
        kind = case.kind if case.kind in sla.HANDLING_DAYS else "affairs"
        due = sla.handling_due(self.calendar, kind, clock_start, case.extension_days)
        case.due_days = sla.handling_days(kind, case.extension_days)
        case.due_at, case.due_provisional = (due.at, due.provisional) if due else (None, False)
        case.supervised_at = None

    def load_schedule(self, data: dict | str) -> int:
        """Load an official year schedule (YAML text or mapping); recompute provisional
        deadlines of open cases. Returns how many deadlines were recomputed."""
        schedule = parse_schedule(yaml.safe_load(data) if isinstance(data, str) else data)
        with self.uow.tx() as s:
            s.query(CalendarDay).filter(CalendarDay.year == schedule.year).delete()
            for day in schedule.holidays:
                s.add(CalendarDay(day=day, year=schedule.year, workday=False))
            for day in schedule.workdays:
                s.add(CalendarDay(day=day, year=schedule.year, workday=True))
            loaded = dict(self.calendar.loaded)
            loaded[schedule.year] = schedule
            self._calendar = WorkCalendar(loaded)
            open_rows = s.scalars(select(Case).where(Case.due_provisional.is_(True),
                                                     Case.status.in_(lifecycle.HANDLING))
                                  .with_for_update()).all()
            for case in open_rows:
                before = case.due_at
                self.set_due(case, case.assigned_at or case.received_at)
                self.uow.event(s, case, "calendar", "note",
                               {"due_recomputed": iso(case.due_at), "was": iso(before),
                                "schedule_year": schedule.year})
            return len(open_rows)

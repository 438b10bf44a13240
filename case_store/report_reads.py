"""Gathers what ``case_store.reports`` computes a period's report from: the period's
events with their case, the departments, the companies, and the cases that may still have
been open at its end with what they were then. Nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from case_store import lifecycle, reports
from case_store.models import Case, CaseEvent, Company, Department
from case_store.seed import region_names
from case_store.unit import UnitOfWork

BATCH = 5000
CHUNK = 500  # case ids per IN (...) list


class ReportReads:
    """Reads for the department report."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def department_report(self, period: reports.Period) -> dict[str, Any]:
        """The report of ``period``; overdue cases as of its end, or now if sooner."""
        as_of = min(period.end, self.uow.clock())
        with self.uow.read() as s:
            units = [reports.Unit(d.code, d.name, d.level, d.region)
                     for d in s.scalars(select(Department))]
            companies = {c: n for c, n in s.execute(select(Company.code, Company.name))}
        return reports.department_report(self._events(period), period, units, companies,
                                         self._held(as_of), as_of, region_names())

    def _events(self, period: reports.Period) -> Iterator[reports.Event]:
        last = 0
        while True:
            with self.uow.read() as s:
                rows = s.execute(select(CaseEvent.id, CaseEvent.case_id, CaseEvent.at,
                                        CaseEvent.action, CaseEvent.data)
                                 .where(CaseEvent.at >= period.start,
                                        CaseEvent.at < period.end, CaseEvent.id > last)
                                 .order_by(CaseEvent.id).limit(BATCH)).all()
            if not rows:
                return
            for row in rows:
                yield row.case_id, row.at, row.action, row.data or {}
            last = rows[-1].id

    def _held(self, as_of: datetime) -> list[reports.HeldCase]:
        """Cases past their deadline at ``as_of`` that may have been open then, each as
        its events before ``as_of`` left it (the deadline is the case's current one)."""
        with self.uow.read() as s:
            cases = s.execute(select(Case.id, Case.number, Case.due_at)
                              .where(Case.due_at < as_of, Case.received_at < as_of,
                                     or_(Case.status.in_(lifecycle.HANDLING),
                                         Case.updated_at >= as_of))).all()
            history: dict[int, list[tuple[str, str, dict]]] = defaultdict(list)
            ids = [c.id for c in cases]
            for i in range(0, len(ids), CHUNK):
                for e in s.execute(select(CaseEvent.case_id, CaseEvent.action,
                                          CaseEvent.to_status, CaseEvent.data)
                                   .where(CaseEvent.case_id.in_(ids[i:i + CHUNK]),
                                          CaseEvent.at < as_of)
                                   .order_by(CaseEvent.id)):
                    history[e.case_id].append((e.action, e.to_status, e.data or {}))
        return [reports.held_at(c.number, c.due_at, history[c.id]) for c in cases]


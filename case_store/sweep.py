"""The SLA sweeper: the clock-driven part of handling that no request triggers.

Missed 10-minute company contacts move the case on to the next company (penalising the
one that missed), suspensions that have run out end, and passed handling deadlines get
a supervision notice. Any number of processes may sweep at once: rows are locked and
skipped when another sweeper holds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from case_store import lifecycle
from case_store.companies import CompanyStanding
from case_store.dispatcher import Dispatcher
from case_store.models import Case, Dispatch
from case_store.notices import SupervisionNotices
from case_store.routing import rule_for
from case_store.service_catalog import Catalog
from case_store.unit import UnitOfWork
from case_store.views import iso


@dataclass(frozen=True)
class SweepReport:
    """What one pass of the SLA sweeper did."""

    redispatched: tuple[str, ...]
    supervised: tuple[str, ...]


class Sweeper:
    """One ``sweep()`` pass; run it every minute or so."""

    def __init__(self, uow: UnitOfWork, catalog: Catalog, notices: SupervisionNotices,
                 standing: CompanyStanding, dispatcher: Dispatcher) -> None:
        self.uow = uow
        self.catalog = catalog
        self.notices = notices
        self.standing = standing
        self.dispatcher = dispatcher

    def sweep(self) -> SweepReport:
        """Move missed life dispatches on (penalising the company that missed), end
        suspensions that have run out, and issue supervision notices for passed deadlines.

        Run it every minute or so (any number of processes may; rows are locked).
        """
        now = self.uow.clock()
        moved: list[str] = []
        noticed: list[str] = []
        with self.uow.tx() as s:
            self.standing.end_suspensions(s, "sla")
            late = s.scalars(select(Dispatch).where(Dispatch.contacted_at.is_(None),
                                                    Dispatch.missed.is_(False),
                                                    Dispatch.contact_due_at < now)
                             .with_for_update(skip_locked=True)).all()
            for d in late:
                case = s.get(Case, d.case_id)
                d.missed = True
                if case is None or case.status != lifecycle.ASSIGNED \
                        or case.owner_code != d.company_code:
                    continue
                case.missed_companies = [*(case.missed_companies or []), d.company_code]
                self.uow.event(s, case, "sla", "note",
                               {"contact_missed": d.company_code, "owner_type": "company",
                                "contact_due_at": iso(d.contact_due_at)})
                self.standing.judge(s, d.company_code, "sla", case.number)
                trade = rule_for(self.catalog, case.kind, case.topic).trade or ""
                self.dispatcher.dispatch(s, case, trade, "sla", now, action="reassign")
                moved.append(case.number)
            overdue = s.scalars(select(Case).where(Case.status.in_(lifecycle.HANDLING),
                                                   Case.due_at < now,
                                                   Case.supervised_at.is_(None))
                                .with_for_update(skip_locked=True)).all()
            for case in overdue:
                self.notices.supervise(s, case, "sla")
                noticed.append(case.number)
        return SweepReport(tuple(moved), tuple(noticed))

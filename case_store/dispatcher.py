"""Dispatching a life-service case to a partner company on the SQL store.

The choice itself is ``case_store.dispatch.rank_companies`` (pure); this collaborator
gathers its snapshot (companies of the trade, their orders in the fairness window),
records the dispatch with its 10-minute contact clock, and hands the case to the
responsible department when no eligible company is left.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from case_store import dispatch, lifecycle, sla
from case_store.assignment import Assignment
from case_store.clocks import Clocks
from case_store.companies import CompanyStanding
from case_store.deliveries import Deliveries
from case_store.models import Case, Company, Dispatch
from case_store.routing import rule_for
from case_store.service_catalog import Catalog
from case_store.unit import UnitOfWork
from case_store.views import iso

FAIRNESS_WINDOW = timedelta(days=30)


class Dispatcher:
    """Sends a case to the best eligible company of a trade, inside the caller's session."""

    def __init__(self, uow: UnitOfWork, catalog: Catalog, clocks: Clocks,
                 standing: CompanyStanding, assignment: Assignment,
                 deliveries: Deliveries) -> None:
        self.uow = uow
        self.deliveries = deliveries
        self.catalog = catalog
        self.clocks = clocks
        self.standing = standing
        self.assignment = assignment

    def dispatch(self, s: Session, case: Case, trade: str, actor: str, now: datetime,
                 action: str = "assign") -> bool:
        """Dispatch to a company (True), or give the case to its department (False)."""
        self.standing.end_suspensions(s, actor)
        since = now - FAIRNESS_WINDOW
        loads = dict(s.execute(select(Dispatch.company_code, func.count())
                               .where(Dispatch.at >= since).group_by(Dispatch.company_code)).all())
        views = [dispatch.CompanyView(c.code, c.name, c.trade, c.lat, c.lon, c.rating,
                                      c.standing, loads.get(c.code, 0))
                 for c in s.scalars(select(Company).where(Company.trade == trade))]
        place = (case.lat, case.lon) if case.lat is not None else None
        ranked = dispatch.rank_companies(views, trade, place, frozenset(case.missed_companies))
        if not ranked:
            self._no_company(s, case, trade, actor, now)
            return False
        choice = ranked[0]
        reason = choice.reason
        if len(ranked) > 1:
            reason += f"; runner-up {ranked[1].reason}"
        due = sla.contact_due(now)
        s.add(Dispatch(case_id=case.id, company_code=choice.code, at=now,
                       contact_due_at=due, reason=reason, missed=False))
        self.uow.event(s, case, actor, action,
                       {"owner_type": "company", "owner": choice.code, "rule": "life",
                        "reason": reason, "from_owner": case.owner_code,
                        "contact_due_at": iso(due)})
        case.owner_type, case.owner_code = "company", choice.code
        case.dispatch_reason = reason
        case.contact_due_at = due
        if case.assigned_at is None:
            case.assigned_at = now
            self.clocks.set_due(case, now)
        self.deliveries.owe_order(s, case)
        return True

    def _no_company(self, s: Session, case: Case, trade: str, actor: str,
                    now: datetime) -> None:
        """Nobody left of that trade: the responsible department takes it over."""
        rule = rule_for(self.catalog, case.kind, case.topic)
        why = f"no eligible {trade} company"
        if case.status == lifecycle.RECEIVED:
            self.assignment.department(s, case, rule.dept, actor, now, why)
            return
        self.uow.event(s, case, actor, "reassign",
                       {"owner_type": "department", "owner": rule.dept, "rule": why,
                        "from_owner": case.owner_code})
        case.owner_type, case.owner_code = "department", rule.dept
        case.contact_due_at = None
        self.clocks.set_due(case, case.assigned_at or now)

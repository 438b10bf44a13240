"""Company standing on the SQL store: penalties take effect, suspensions end, operators
lift them, and every change is appended to ``company_events``.

When it runs: the store re-judges a company in the same transaction as each event that
can change its figures (a missed 10-minute contact in ``sweep``, a contact confirmed in
``confirm_contact``, a follow-up answer about its work in ``record_followup``). So a
penalty is in force the moment the event that earned it is committed, and replaying the
same events gives the same standing. Expired suspensions are ended by ``sweep`` and, so
that no dispatch waits for a sweep, just before every dispatch choice.

The figures are the scorecard's (``scores.tally`` over the company's events in the event
log) over the last ``policy.penalty_window``, but never before ``judged_from``: a lifted
or served penalty is not earned twice by the same misses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from case_store import scores, standing
from case_store.errors import IllegalTransitionError, UnknownCompanyError
from case_store.models import CaseEvent, Company, CompanyEvent
from case_store.policy import CasePolicy
from case_store.unit import UnitOfWork
from case_store.views import CompanyEventView, CompanyStandingView, iso

SUPERVISION_OFFICE = "supervision_office"
LIFTABLE = frozenset({standing.YELLOW_CARD, standing.SUSPENDED, standing.TERM_PROPOSED})


class CompanyStanding:
    """The standing of partner companies: judged inside the caller's transaction by
    ``judge`` and ``end_suspensions``, changed by operators through the public methods."""

    def __init__(self, uow: UnitOfWork, policy: CasePolicy) -> None:
        self.uow = uow
        self.policy = policy

    # -- automatic ------------------------------------------------------------------------

    def judge(self, s: Session, code: str, actor: str, case: str | None) -> None:
        """Apply the penalty the company's figures call for, if it is worse than now."""
        company = s.get(Company, code, with_for_update=True)
        if company is None:
            return
        now = self.uow.clock()
        since, card = self._card(s, company, now)
        change = standing.judge(company.standing, card["penalty"], now, self.policy.suspension)
        if change is None:
            return
        data = {"penalty": card["penalty"], "case": case, "since": iso(since),
                "figures": {k: card[k] for k in ("dispatched", "on_time_contact_rate",
                                                 "missed_contacts", "complaints")},
                "thresholds": asdict(self.policy.penalties),
                "suspended_until": iso(change.suspended_until)}
        if change.to == standing.TERM_PROPOSED:
            data["for"] = SUPERVISION_OFFICE
        self._set_standing(s, company, actor, "penalty", change.to, data)
        company.suspended_until = change.suspended_until

    def _card(self, s: Session, company: Company, now: datetime) -> tuple[datetime, dict]:
        """The company's scorecard over the judging window, and where the window starts."""
        since = now - self.policy.penalty_window
        if company.judged_from is not None and company.judged_from > since:
            since = company.judged_from
        owner = CaseEvent.data["owner"].as_string()
        rows = s.execute(select(CaseEvent.at, CaseEvent.action, CaseEvent.data).where(
            CaseEvent.at >= since,
            or_(and_(CaseEvent.action.in_(("accept", "visit")), owner == company.code),
                and_(CaseEvent.action == "note",
                     CaseEvent.data["contact_missed"].as_string() == company.code)),
        ).order_by(CaseEvent.id)).all()
        events: Iterator[tuple[datetime, str, dict[str, Any]]] = (
            (r.at, r.action, r.data or {}) for r in rows)
        tallies = scores.tally(events, since, now + timedelta(seconds=1))
        return since, scores.company_card(company.code, tallies[("company", company.code)],
                                          self.policy.penalties)

    def end_suspensions(self, s: Session, actor: str) -> list[str]:
        """Let companies whose suspension has run out take orders again."""
        now = self.uow.clock()
        rows = s.scalars(select(Company).where(Company.standing == standing.SUSPENDED,
                                               Company.suspended_until <= now)
                         .with_for_update().execution_options(populate_existing=True)).all()
        for company in rows:
            ended = company.suspended_until
            self._set_standing(s, company, actor, "suspension_ended", standing.ACTIVE,
                               {"suspended_until": iso(ended)})
            company.suspended_until = None
            company.judged_from = ended
        return [c.code for c in rows]

    def _set_standing(self, s: Session, company: Company, actor: str, action: str, to: str,
                      data: dict[str, Any]) -> None:
        s.add(CompanyEvent(company_code=company.code, at=self.uow.clock(), actor=actor,
                           action=action, from_standing=company.standing, to_standing=to,
                           data=data))
        company.standing = to

    # -- operators ------------------------------------------------------------------------

    def companies(self, trade: str | None = None) -> list[CompanyStandingView]:
        """Partner companies with their standing, by code."""
        with self.uow.tx() as s:
            q = select(Company).order_by(Company.code)
            if trade:
                q = q.where(Company.trade == trade)
            return [CompanyStandingView.of(c) for c in s.scalars(q)]

    def company_record(self, code: str) -> tuple[CompanyStandingView, dict, list[CompanyEventView]]:
        """A company's standing, its figures as the penalties see them now, and its log."""
        with self.uow.tx() as s:
            company = self._company_row(s, code)
            since, card = self._card(s, company, self.uow.clock())
            log = s.scalars(select(CompanyEvent).where(CompanyEvent.company_code == code)
                            .order_by(CompanyEvent.id)).all()
            return (CompanyStandingView.of(company), {**card, "since": iso(since)},
                    [CompanyEventView.of(e) for e in log])

    def lift_penalty(self, code: str, actor: str, reason: str) -> CompanyStandingView:
        """An operator ends a yellow card, suspension or termination proposal early.

        The company's record starts afresh: the misses that earned the penalty no longer count.
        """
        if not actor.strip() or not reason.strip():
            raise IllegalTransitionError("lifting a penalty needs an actor and a reason")
        with self.uow.tx() as s:
            company = self._company_row(s, code, lock=True)
            if company.standing not in LIFTABLE:
                raise IllegalTransitionError(
                    f"company {code} is {company.standing}; only a yellow card, a suspension "
                    "or a termination proposal can be lifted")
            self._set_standing(s, company, actor, "lift", standing.ACTIVE,
                               {"reason": reason[:2000],
                                "suspended_until": iso(company.suspended_until)})
            company.suspended_until = None
            company.judged_from = self.uow.clock()
            return CompanyStandingView.of(company)

    def terminate_company(self, code: str, approved_by: str, reason: str = "") -> \
            CompanyStandingView:
        """The supervision office carries out a termination proposal."""
        if approved_by != SUPERVISION_OFFICE:
            raise IllegalTransitionError("a termination needs approval by supervision_office")
        with self.uow.tx() as s:
            company = self._company_row(s, code, lock=True)
            if company.standing != standing.TERM_PROPOSED:
                raise IllegalTransitionError(
                    f"company {code} is {company.standing}; only a proposed termination "
                    "can be carried out")
            self._set_standing(s, company, approved_by, "terminate", standing.TERMINATED,
                               {"reason": reason[:2000]})
            return CompanyStandingView.of(company)

    def company(self, code: str) -> Company:
        """A partner company row (detached)."""
        with self.uow.tx() as s:
            row = s.get(Company, code)
            if row is None:
                raise UnknownCompanyError(f"unknown company {code!r}")
            return row

    @staticmethod
    def _company_row(s: Session, code: str, lock: bool = False) -> Company:
        company = s.get(Company, code, with_for_update=lock)
        if company is None:
            raise UnknownCompanyError(f"unknown company {code!r}")
        return company

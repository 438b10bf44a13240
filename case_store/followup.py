"""Follow-up visits (回访) on the SQL store: who is owed one, and what an answer does.

Every citizen attached to a case gets a visit when it is replied: the caller of the case
and the caller of every report merged into it (their visit sits on their own merged case,
so the dialler, the IVR and ``record_followup`` address them by their own case number).
The case closes when the last of those visits is answered 1 or 2; any 3 sends it back
(发回重办) at once, and the other visits still open are closed unanswered: the next reply
makes new ones for everybody.

Every end is visited, not only departments' and companies' replies: a knowledge-base
answer is asked "was it useful?" (a 3 hands the question to the topic's department, as
if the knowledge base had had no answer), and praise is asked about the hotline's own
service (owner ``hotline``; a 3 is counted, nothing is sent back). Besides the one
satisfaction answer, a visit may carry the kind's own questions (timeliness, attitude:
``answers``), which the department's figures show.

A visit the automatic calls gave up on is handed to an agent (a ``note`` with
``followup="handed_over"``): it leaves ``due_followups`` (no more automatic calls) and is
listed by ``agent_followups`` until the agent records the answer with ``record_followup``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from case_store import lifecycle, sla
from case_store.assignment import Assignment
from case_store.clocks import Clocks
from case_store.companies import CompanyStanding
from case_store.deliveries import CITIZEN_ANSWERS, PENDING
from case_store.errors import IllegalTransitionError, InvalidCaseError
from case_store.models import Caller, Case, Delivery, Dispatch, FollowUp
from case_store.routing import rule_for
from case_store.service_catalog import Catalog
from case_store.unit import UnitOfWork
from case_store.views import CaseView, FollowUpView

HANDED_OVER = "handed_over"  # value of a note's ``followup`` key that hands a visit over
ANSWERS = (1, 2, 3)  # 1 satisfied, 2 basically satisfied, 3 not satisfied
HOTLINE_OWNER = ("hotline", "8890")  # whose service a praise's visit judges
MAX_QUESTIONS = 8


class FollowUpVisits:
    """Follow-up visits: made at a reply, handed over by a note, ended by an answer."""

    def __init__(self, uow: UnitOfWork, clocks: Clocks, standing: CompanyStanding,
                 assignment: Assignment, catalog: Catalog) -> None:
        self.uow = uow
        self.clocks = clocks
        self.standing = standing
        self.assignment = assignment
        self.catalog = catalog

    # -- reading --------------------------------------------------------------------------

    def due_followups(self, limit: int = 100, reply_wait_s: float = 0) -> list[FollowUpView]:
        """Visits the dialler should call, oldest first (not answered, not handed over).

        With ``reply_wait_s``, a visit also waits (that long at most) while the reply is
        still on its way to the citizen: they are asked about an answer they have had.
        """
        due = FollowUp.handed_over_at.is_(None)
        if reply_wait_s > 0:
            since = self.uow.clock() - timedelta(seconds=reply_wait_s)
            replying = exists().where(Delivery.case_id == FollowUp.case_id,
                                      Delivery.status == PENDING,
                                      Delivery.purpose.in_(CITIZEN_ANSWERS),
                                      Delivery.created_at > since)
            due = and_(due, ~replying)
        return self._visits(due, FollowUp.id, limit)

    def agent_followups(self, limit: int = 200) -> list[FollowUpView]:
        """Visits handed to agents and not yet made, longest waiting first."""
        return self._visits(FollowUp.handed_over_at.is_not(None), FollowUp.handed_over_at,
                            limit)

    def _visits(self, which: Any, order: Any, limit: int) -> list[FollowUpView]:
        with self.uow.tx() as s:
            rows = s.execute(select(FollowUp, Case.number, Caller.phone)
                             .join(Case, Case.id == FollowUp.case_id)
                             .join(Caller, Caller.id == Case.caller_id)
                             .where(FollowUp.answered_at.is_(None), which)
                             .order_by(order, FollowUp.id).limit(limit)).all()
            return [FollowUpView.of(f, n, p) for f, n, p in rows]

    # -- making visits --------------------------------------------------------------------

    def for_reply(self, s: Session, case: Case, reply: str, now: datetime) -> list[Case]:
        """One visit for the case's caller and one for each caller merged into it (the
        merged cases are returned: their citizens are owed the reply too)."""
        handler = (case.owner_type or "department", case.owner_code or "")
        s.add(FollowUp(case_id=case.id, owner_type=handler[0], owner_code=handler[1],
                       created_at=now))
        attached = self._attached(s, case)
        for other in attached:
            other.owner_type, other.owner_code = handler
            self.uow.event(s, other, "followup", "note",
                           {"reply_from": handler[1], "original": case.number,
                            "reply": reply})
            s.add(FollowUp(case_id=other.id, owner_type=handler[0], owner_code=handler[1],
                           created_at=now))
        return attached

    def for_answer(self, s: Session, case: Case, now: datetime) -> None:
        """A knowledge-base answer or a forwarded praise: its citizen is visited too."""
        owner = HOTLINE_OWNER if case.kind == "praise" else (case.owner_type or "kb",
                                                              case.owner_code or "")
        s.add(FollowUp(case_id=case.id, owner_type=owner[0], owner_code=owner[1],
                       created_at=now))

    def _attached(self, s: Session, case: Case) -> list[Case]:
        """Cases merged into this one, directly or through another merged case."""
        found: list[Case] = []
        frontier = [case.number]
        while frontier:
            rows = s.scalars(select(Case).where(Case.merged_into.in_(frontier))
                             .order_by(Case.id)).all()
            found += rows
            frontier = [r.number for r in rows]
        return found

    def _open_visits(self, s: Session, case: Case) -> list[FollowUp]:
        ids = [case.id, *(c.id for c in self._attached(s, case))]
        return list(s.scalars(select(FollowUp).where(FollowUp.case_id.in_(ids),
                                                     FollowUp.answered_at.is_(None))
                              .order_by(FollowUp.id)))

    def hand_over(self, s: Session, case: Case) -> None:
        """The dialler gave up on this case's open visit: an agent makes it."""
        for visit in s.scalars(select(FollowUp).where(FollowUp.case_id == case.id,
                                                      FollowUp.answered_at.is_(None),
                                                      FollowUp.handed_over_at.is_(None))):
            visit.handed_over_at = self.uow.clock()

    # -- answers --------------------------------------------------------------------------

    def record_followup(self, number: str, satisfaction: int, *,
                        company_time: int | None = None, company_quality: int | None = None,
                        company_price: int | None = None, note: str | None = None,
                        actor: str = "followup",
                        answers: dict[str, int] | None = None) -> CaseView:
        """Record the citizen's answer (by phone or an agent's visit): 1 satisfied,
        2 basically, 3 not satisfied; ``answers`` holds the kind's own questions.

        3 sends the case (for a merged report: the case it was merged into) back to the
        same handler with a fresh handling clock; 1 or 2 closes it once every attached
        citizen has answered. A visit about a company's work re-judges its standing.
        """
        extra = (company_time, company_quality, company_price)
        asked = dict(answers or {})
        if satisfaction not in ANSWERS or any(v not in (None, *ANSWERS) for v in extra) \
                or any(v not in (None, *ANSWERS) for v in asked.values()):
            raise InvalidCaseError("follow-up answers are 1 (satisfied), 2 (basically), "
                                   "3 (not satisfied)")
        if len(asked) > MAX_QUESTIONS or not all(
                isinstance(k, str) and k.isidentifier() and len(k) <= 32 for k in asked):
            raise InvalidCaseError("follow-up questions are short names such as timeliness")
        return self._end_visit(number, actor, note, satisfaction, *extra,
                               answers={k: v for k, v in asked.items() if v is not None})

    def record_unreachable(self, number: str, *, actor: str, note: str = "") -> CaseView:
        """The agent could not reach the citizen either: the visit ends unanswered. It
        counts neither for nor against the handler's satisfaction, and the case closes
        once no other visit of it is open (8890 closes such cases as 无法联系)."""
        if not actor.strip():
            raise InvalidCaseError("an unreachable visit needs the agent who tried")
        return self._end_visit(number, actor, f"unreachable: {note}"[:2000], None,
                               None, None, None, answers={})

    def _end_visit(self, number: str, actor: str, note: str | None, satisfaction: int | None,
                   company_time: int | None, company_quality: int | None,
                   company_price: int | None, answers: dict[str, int]) -> CaseView:
        with self.uow.tx() as s:
            case = self.uow.load(s, number, lock=True)
            visit = s.scalar(select(FollowUp).where(FollowUp.case_id == case.id,
                                                    FollowUp.answered_at.is_(None))
                             .order_by(FollowUp.id).limit(1))
            if visit is None:
                raise IllegalTransitionError(f"case {number} has no follow-up waiting")
            root = self._root(s, case)
            now = self.uow.clock()
            visit.answered_at = now
            visit.satisfaction = satisfaction
            visit.company_time, visit.company_quality = company_time, company_quality
            visit.company_price, visit.note = company_price, note
            visit.answers = answers
            data = {"owner_type": visit.owner_type, "owner": visit.owner_code,
                    "satisfaction": satisfaction, "company_time": company_time,
                    "company_quality": company_quality, "company_price": company_price}
            if answers:
                data["answers"] = answers
            if satisfaction is None:
                data["unreachable"] = True
            if root is case:
                self.uow.event(s, case, actor, "visit", data)
            else:
                self.uow.event(s, case, actor, "visit", data, to_status=lifecycle.MERGED)
                self.uow.event(s, root, actor, "note",
                               {"attached_visit": case.number, "satisfaction": satisfaction})
            judged = (visit.owner_type, visit.owner_code)
            if satisfaction == 3 and root.status in (lifecycle.REPLIED, lifecycle.VISITING) \
                    and judged != HOTLINE_OWNER:
                if root.owner_type == "kb":
                    self._kb_not_enough(s, root, actor, data, now)
                else:
                    self._send_back(s, root, actor, data, now, after=case.number)
            elif root.status == lifecycle.VISITING and not self._open_visits(s, root):
                self.uow.event(s, root, actor, "close", data)
            if visit.owner_type == "company":
                self.standing.judge(s, visit.owner_code, actor, root.number)
            return self.uow.view(s, case)

    def _root(self, s: Session, case: Case) -> Case:
        """The case whose handling a visit judges: the case, or the one it was merged into."""
        root = case
        while root.status == lifecycle.MERGED and root.merged_into:
            root = self.uow.load(s, root.merged_into, lock=True)
        return root

    def _kb_not_enough(self, s: Session, case: Case, actor: str, data: dict[str, Any],
                       now: datetime) -> None:
        """The answer did not help: the topic's department takes the question, with the
        consultation clock, as if the knowledge base had had no answer."""
        dept = rule_for(self.catalog, case.kind, case.topic).dept
        case.sent_back_count += 1
        self.uow.event(s, case, actor, "send_back", {**data, "to": dept,
                                                     "why": "knowledge-base answer not useful"})
        self.assignment.hand_to(s, case, dept, now)

    def _send_back(self, s: Session, case: Case, actor: str, data: dict[str, Any],
                   now: datetime, after: str) -> None:
        """发回重办: same handler, fresh clock; the other open visits close unanswered."""
        for other in self._open_visits(s, case):
            other.answered_at = now
            other.note = f"closed unanswered: case sent back after {after}'s answer"
        case.sent_back_count += 1
        self.uow.event(s, case, actor, "send_back", {**data, "after_visit_of": after})
        case.assigned_at = now
        self.clocks.set_due(case, now)
        case.receipt_due_at = sla.receipt_due(now)
        if case.owner_type == "company":
            case.contact_due_at = sla.contact_due(now)
            s.add(Dispatch(case_id=case.id, company_code=case.owner_code, at=now,
                           contact_due_at=case.contact_due_at, missed=False,
                           reason="send-back to the same company"))

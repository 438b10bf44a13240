"""Handling actions on a case (accept, start, reply, reassign, escalate, extend,
add_cohandler, finding, merge, supervise, acknowledge_notice, mark_for_leader, instruct,
close_out_of_jurisdiction, note), each a handler in one explicit action table.

``transition`` looks the action up in the table, checks the lifecycle allows it and that
the keywords given are ones the handler takes, and only then calls it; so a caller's
mistake is an ``IllegalTransitionError`` that writes nothing, while an error inside a
handler is not disguised as one: it propagates as the bug it is.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store import lifecycle, sla
from case_store.assignment import Assignment
from case_store.clocks import Clocks
from case_store.companies import CompanyStanding
from case_store.creation import MAX_TEXT
from case_store.deliveries import Deliveries
from case_store.errors import (
    IllegalTransitionError,
    UnknownActionError,
    UnknownDepartmentError,
)
from case_store.followup import HANDED_OVER, FollowUpVisits
from case_store.joint import JointHandling
from case_store.jurisdiction import OutOfJurisdiction
from case_store.leaders import LeaderApproval
from case_store.models import Case, Department, Dispatch
from case_store.notices import SupervisionNotices
from case_store.unit import UnitOfWork
from case_store.views import CaseView, iso

Handler = Callable[..., None]  # handler(session, case, actor, **data)
_FIXED = 3  # session, case, actor: what transition itself passes


def check_arguments(action: str, handler: Handler, data: Mapping[str, Any]) -> None:
    """Raise IllegalTransitionError unless ``handler`` takes exactly these keywords."""
    params = list(inspect.signature(handler).parameters.values())[_FIXED:]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    named = [p for p in params if p.kind in (inspect.Parameter.KEYWORD_ONLY,
                                             inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    unexpected = sorted(set(data) - {p.name for p in named})
    missing = [p.name for p in named if p.default is inspect.Parameter.empty
               and p.name not in data]
    if unexpected or missing:
        takes = ", ".join(p.name for p in named) or "no arguments"
        wrong = "; ".join(filter(None, (
            unexpected and f"unexpected {', '.join(unexpected)}",
            missing and f"missing {', '.join(missing)}")))
        raise IllegalTransitionError(f"bad arguments for {action}: {wrong}; "
                                     f"{action} takes {takes}")


def _arg(action: str, name: str, value: Any, convert: Callable[[Any], Any]) -> Any:
    """``convert(value)``; a value of the wrong type is the caller's bad argument."""
    try:
        return convert(value)
    except TypeError as exc:
        raise IllegalTransitionError(f"bad arguments for {action}: {name}: {exc}") from exc


def reply_message(number: str, reply: str) -> str:
    """What the citizen is sent (or hears) when their case is replied."""
    return f"您好，您反映的问题（工单号{number}）已有办理答复：{reply}【8890】"


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
            for k, v in data.items()}


class Transitions:
    """The handling actions, and a company's confirmation of contact."""

    def __init__(self, uow: UnitOfWork, clocks: Clocks, assignment: Assignment,
                 followups: FollowUpVisits, standing: CompanyStanding, *,
                 joint: JointHandling, notices: SupervisionNotices, leaders: LeaderApproval,
                 jurisdiction: OutOfJurisdiction, deliveries: Deliveries) -> None:
        self.uow = uow
        self.deliveries = deliveries
        self.clocks = clocks
        self.assignment = assignment
        self.followups = followups
        self.standing = standing
        self.joint = joint
        self.actions: dict[str, Handler] = {
            "accept": self._accept,
            "start": self._start,
            "reply": self._reply,
            "reassign": self._reassign,
            "escalate": self._escalate,
            "extend": self._extend,
            "add_cohandler": joint.add_cohandler,
            "finding": joint.finding,
            "merge": self._merge,
            "supervise": notices.supervise,
            "acknowledge_notice": notices.acknowledge,
            "mark_for_leader": leaders.mark,
            "instruct": leaders.instruct,
            "close_out_of_jurisdiction": jurisdiction.close,
            "note": self._note,
        }

    def transition(self, number: str, action: str, actor: str, **data: Any) -> CaseView:
        """Apply a handling action: accept, start, reply(reply=), reassign(to=), escalate,
        extend(days=, approved_by=), add_cohandler(dept=), finding(dept=, finding=),
        merge(into=), supervise(reason=), acknowledge_notice(notice=, dept=),
        mark_for_leader(leader=, note=), instruct(leader=, instruction=),
        close_out_of_jurisdiction(reason=, referral=, detail=), note.

        An unknown action raises UnknownActionError; an illegal one or wrong keywords
        IllegalTransitionError; both write nothing.
        """
        handler = self.actions.get(action)
        if handler is None:
            raise UnknownActionError(action, sorted(self.actions))
        with self.uow.tx() as s:
            case = self.uow.load(s, number, lock=True)
            lifecycle.next_status(case.status, action)  # fail before any change
            check_arguments(action, handler, data)
            handler(s, case, actor, **data)
            return self.uow.view(s, case)

    def confirm_contact(self, number: str, company: str) -> CaseView:
        """A partner company reports it has contacted the citizen (its API calls this)."""
        with self.uow.tx() as s:
            case = self.uow.load(s, number, lock=True)
            if case.owner_type != "company" or case.owner_code != company:
                raise IllegalTransitionError(
                    f"case {number} is not dispatched to {company!r} (owner {case.owner_code})"
                )
            now = self.uow.clock()
            d = s.scalar(select(Dispatch).where(Dispatch.case_id == case.id,
                                                Dispatch.company_code == company,
                                                Dispatch.missed.is_(False))
                         .order_by(Dispatch.id.desc()).limit(1))
            on_time = d is not None and now <= d.contact_due_at
            if d is not None:
                d.contacted_at = now
            self.uow.event(s, case, company, "accept",
                           {"owner_type": "company", "owner": company, "on_time": on_time})
            self.standing.judge(s, company, "scores", case.number)
            return self.uow.view(s, case)

    # -- the handlers of the action table ---------------------------------------------

    def _accept(self, s: Session, case: Case, actor: str) -> None:
        if case.owner_type == "company":
            raise IllegalTransitionError("a company accepts by confirm_contact(number, company)")
        on_time = case.receipt_due_at is None or self.uow.clock() <= case.receipt_due_at
        self.uow.event(s, case, actor, "accept", {"owner_type": case.owner_type,
                                                  "owner": case.owner_code, "on_time": on_time})

    def _start(self, s: Session, case: Case, actor: str, **data: Any) -> None:
        self.uow.event(s, case, actor, "start", _jsonable(data))

    def _note(self, s: Session, case: Case, actor: str, **data: Any) -> None:
        self.uow.event(s, case, actor, "note", _jsonable(data))
        if data.get("followup") == HANDED_OVER:
            self.followups.hand_over(s, case)

    def _reply(self, s: Session, case: Case, actor: str, *, reply: str = "") -> None:
        text = _arg("reply", "reply", reply, lambda v: v[:MAX_TEXT])
        now = self.uow.clock()
        on_time = case.due_at is None or now <= case.due_at
        self.uow.event(s, case, actor, "reply",
                       {"owner_type": case.owner_type, "owner": case.owner_code,
                        "on_time": on_time, "reply": text, **self.joint.reply_part(s, case)})
        for citizen_case in (case, *self.followups.for_reply(s, case, text, now)):
            self.deliveries.owe(s, citizen_case, "reply",
                                reply_message(citizen_case.number, text))

    def _reassign(self, s: Session, case: Case, actor: str, *, to: str = "") -> None:
        if s.get(Department, to) is None:
            raise UnknownDepartmentError(f"unknown department {to!r}")
        if to == case.owner_code:
            raise IllegalTransitionError(f"case {case.number} is already with {to}")
        self.assignment.move(s, case, actor, "reassign", to)

    def _escalate(self, s: Session, case: Case, actor: str, *, to: str | None = None) -> None:
        target = to
        if target is None and case.owner_type == "department":
            dept = s.get(Department, case.owner_code)
            target = dept.parent_code if dept is not None else None
        target = target or "supervision_office"
        if s.get(Department, target) is None:
            raise UnknownDepartmentError(f"unknown department {target!r}")
        self.assignment.move(s, case, actor, "escalate", target)

    def _extend(self, s: Session, case: Case, actor: str, *, days: int = 0,
                approved_by: str = "") -> None:
        if approved_by != "supervision_office":
            raise IllegalTransitionError("an extension needs approval by supervision_office")
        more = _arg("extend", "days", days, int)
        total = case.extension_days + more
        if more <= 0 or total > sla.MAX_EXTENSION_DAYS:
            raise IllegalTransitionError(
                f"extension of {days} days refused: total may not exceed "
                f"{sla.MAX_EXTENSION_DAYS} working days (already {case.extension_days})"
            )
        case.extension_days = total
        self.clocks.set_due(case, case.assigned_at or self.uow.clock())
        self.uow.event(s, case, actor, "extend", {"days": more, "approved_by": approved_by,
                                                  "due_at": iso(case.due_at)})

    def _merge(self, s: Session, case: Case, actor: str, *, into: str = "") -> None:
        target = self.uow.load(s, into)
        if target.id == case.id or target.status == lifecycle.MERGED:
            raise IllegalTransitionError(f"cannot merge {case.number} into {into}")
        case.merged_into = target.number
        self.uow.event(s, case, actor, "merge", {"into": target.number})
        self.uow.event(s, target, actor, "note", {"merged_from": case.number})

"""Leader approval (领导批办): a supervisor marks a handling case for a named leader; the
leader writes an instruction (批示), which goes on the case and brings its deadline closer.

The rule for the deadline: the instruction leaves the case at most ``leader_days`` working
days (``CasePolicy.leader_days``), never more time than it already had, so a leader's
attention only ever speeds a case up. A leader instructs only the cases marked for them,
once per marking.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store import lifecycle
from case_store.accounts import WebUser
from case_store.clocks import Clocks
from case_store.creation import MAX_TEXT
from case_store.errors import IllegalTransitionError
from case_store.models import Case
from case_store.unit import UnitOfWork
from case_store.views import CaseView, iso
from case_store.workdays import Due, WorkCalendar

LEADER = "leader"  # the account role


def instruction_due(calendar: WorkCalendar, now: datetime, current: datetime | None,
                    days: int) -> Due | None:
    """The deadline after an instruction at ``now``, or None to keep ``current``."""
    sooner = calendar.add_working_days(now, days)
    return sooner if current is None or sooner.at < current else None


class LeaderApproval:
    """The ``mark_for_leader`` and ``instruct`` handlers, and a leader's queue."""

    def __init__(self, uow: UnitOfWork, clocks: Clocks, leader_days: int) -> None:
        self.uow = uow
        self.clocks = clocks
        self.leader_days = leader_days

    def mark(self, s: Session, case: Case, actor: str, *, leader: str = "",
             note: str = "") -> None:
        """Put the case before ``leader`` (an enabled account of role leader)."""
        account = s.scalar(select(WebUser).where(WebUser.name == leader,
                                                 WebUser.role == LEADER,
                                                 WebUser.disabled.is_(False)))
        if account is None:
            raise IllegalTransitionError(f"{leader!r} is not a leader's account")
        if case.leader is not None and case.leader_instructed_at is None:
            raise IllegalTransitionError(f"case {case.number} already waits for {case.leader}")
        case.leader, case.leader_instructed_at = leader, None
        self.uow.event(s, case, actor, "mark_for_leader",
                       {"leader": leader, "note": str(note)[:MAX_TEXT],
                        "owner_type": case.owner_type, "owner": case.owner_code})

    def instruct(self, s: Session, case: Case, actor: str, *, leader: str = "",
                 instruction: str = "") -> None:
        """The leader's 批示: attached to the case, and the deadline brought closer."""
        if case.leader != leader or case.leader_instructed_at is not None:
            raise IllegalTransitionError(f"case {case.number} is not waiting for {leader!r}")
        text = str(instruction).strip()[:MAX_TEXT]
        if not text:
            raise IllegalTransitionError("an instruction needs its text")
        now = self.uow.clock()
        was = case.due_at
        due = instruction_due(self.clocks.calendar, now, was, self.leader_days)
        if due is not None:
            case.due_at, case.due_provisional = due.at, due.provisional
        case.leader_instructed_at = now
        self.uow.event(s, case, actor, "instruct",
                       {"leader": leader, "instruction": text, "due_at": iso(case.due_at),
                        "was_due_at": iso(was), "owner_type": case.owner_type,
                        "owner": case.owner_code})

    def marked_for(self, leader: str) -> list[CaseView]:
        """Open cases marked for ``leader``: those still waiting first, soonest due first."""
        with self.uow.read() as s:
            rows = s.scalars(select(Case).where(Case.leader == leader,
                                                Case.status.in_(lifecycle.OPEN_STATUSES))
                             .order_by(Case.leader_instructed_at.is_not(None),
                                       Case.due_at.is_(None), Case.due_at, Case.id)
                             .limit(300)).all()
            return [self.uow.view(s, c) for c in rows]

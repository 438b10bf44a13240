"""Giving a case to an owner: a department (the local unit for the case's region), the
emergency person, or another department later on; each starts or keeps the right clock.

Shared by routing, company dispatch (its fallback when no company is left) and the
handling actions ``reassign`` and ``escalate``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store import sla
from case_store.clocks import Clocks
from case_store.deliveries import Deliveries
from case_store.errors import UnknownDepartmentError
from case_store.models import Case, Department, Outbox
from case_store.outbox import EMERGENCY_STREAM
from case_store.routing import EMERGENCY_DEPT, DeptNode, local_department
from case_store.unit import UnitOfWork
from case_store.views import iso


class Assignment:
    """Sets a case's owner and the clocks that go with it, inside the caller's session."""

    def __init__(self, uow: UnitOfWork, clocks: Clocks, deliveries: Deliveries) -> None:
        self.uow = uow
        self.clocks = clocks
        self.deliveries = deliveries  # each new owner hears of the order

    def emergency(self, s: Session, case: Case, now: datetime) -> None:
        """A person and the elderly centre take it at once, on a clock of minutes (it
        must acknowledge within EMERGENCY_ACK); the emergency stream is told."""
        case.owner_type, case.owner_code = "person", EMERGENCY_DEPT
        case.assigned_at = now
        case.contact_due_at = now + sla.EMERGENCY_ACK
        case.due_at = now + sla.EMERGENCY_DUE
        self.uow.event(s, case, "router", "assign",
                       {"owner_type": "person", "owner": EMERGENCY_DEPT, "rule": "emergency"})
        s.add(Outbox(stream=EMERGENCY_STREAM, created_at=now,
                     payload={"case": case.number, "kind": "emergency"}))

    def department(self, s: Session, case: Case, dept: str, actor: str, now: datetime,
                   why: str) -> None:
        """First assignment to ``dept``'s unit for the case's region; starts the clocks."""
        code = self.hand_to(s, case, dept, now)
        self.uow.event(s, case, actor, "assign",
                       {"owner_type": "department", "owner": code, "rule": why,
                        "due_at": iso(case.due_at), "provisional": case.due_provisional})

    def hand_to(self, s: Session, case: Case, dept: str, now: datetime) -> str:
        """Make ``dept``'s unit for the case's region its owner, with fresh clocks; the
        caller writes the event that says why. Returns the unit's code."""
        code = local_department(dept, case.region, self._departments(s))
        if s.get(Department, code) is None:
            raise UnknownDepartmentError(f"department {code!r} is not loaded; run the seed")
        case.owner_type, case.owner_code = "department", code
        case.assigned_at = now
        self.clocks.set_due(case, now)
        case.receipt_due_at = sla.receipt_due(now)
        self.deliveries.owe_order(s, case)
        return code

    def move(self, s: Session, case: Case, actor: str, action: str, dept: str) -> None:
        """Hand the case to another department; the handling clock keeps running."""
        now = self.uow.clock()
        self.uow.event(s, case, actor, action, {"owner_type": "department", "owner": dept,
                                                "from_owner": case.owner_code})
        if case.owner_type == "company":
            # a life case taken over by a department gets the affairs clock from dispatch
            case.contact_due_at = None
            self.clocks.set_due(case, case.assigned_at or now)
        case.owner_type, case.owner_code = "department", dept
        case.receipt_due_at = sla.receipt_due(now)
        self.deliveries.owe_order(s, case)

    @staticmethod
    def _departments(s: Session) -> list[DeptNode]:
        return [DeptNode(d.code, d.parent_code, d.level, d.region)
                for d in s.scalars(select(Department))]

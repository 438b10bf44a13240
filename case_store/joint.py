"""Joint handling (商办会办): the lead department (the case's owner) and co-handler
departments. Co-handlers add findings, each its own event with its department, so a
report can count every department's part; the lead writes the one joint reply, whose
event names the findings it draws on and the co-handlers that gave none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.creation import MAX_TEXT
from case_store.errors import IllegalTransitionError, UnknownDepartmentError
from case_store.models import Case, CaseEvent, Department
from case_store.unit import UnitOfWork


class JointHandling:
    """The ``add_cohandler`` and ``finding`` handlers, and the reply's joint part."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def add_cohandler(self, s: Session, case: Case, actor: str, *, dept: str = "") -> None:
        """First-responsible rule: the owner stays; co-handlers help and are listed."""
        if s.get(Department, dept) is None:
            raise UnknownDepartmentError(f"unknown department {dept!r}")
        if dept == case.owner_code or dept in (case.cohandlers or []):
            raise IllegalTransitionError(f"{dept} already handles case {case.number}")
        case.cohandlers = [*(case.cohandlers or []), dept]
        self.uow.event(s, case, actor, "add_cohandler", {"dept": dept, "owner": case.owner_code})

    def finding(self, s: Session, case: Case, actor: str, *, dept: str = "",
                finding: str = "") -> None:
        """A co-handler's part, timed against the case's deadline like a reply."""
        if dept not in (case.cohandlers or []):
            raise IllegalTransitionError(f"{dept!r} is not a co-handler of case {case.number}")
        text = str(finding).strip()[:MAX_TEXT]
        if not text:
            raise IllegalTransitionError("a finding needs its text")
        on_time = case.due_at is None or self.uow.clock() <= case.due_at
        self.uow.event(s, case, actor, "finding",
                       {"owner_type": "department", "owner": dept, "on_time": on_time,
                        "finding": text, "lead": case.owner_code})

    def reply_part(self, s: Session, case: Case) -> dict[str, Any]:
        """What a joint reply's event adds: co-handlers, whose findings it draws on, and
        who gave none (empty for a case without co-handlers)."""
        if not case.cohandlers:
            return {}
        rows = s.scalars(select(CaseEvent.data).where(CaseEvent.case_id == case.id,
                                                      CaseEvent.action == "finding")).all()
        given = list(dict.fromkeys(d.get("owner") for d in rows))
        return {"cohandlers": list(case.cohandlers), "findings_from": given,
                "findings_missing": [d for d in case.cohandlers if d not in given]}

"""Who may see and do what to a case: pure rules over a session and a case snapshot.

A department sees the cases it owns or co-handles; a company sees only the orders
dispatched to it, and sees the citizen's full number only while it serves the order;
a leader sees the cases marked for them; agents, supervisors and admins see every case.
Actions follow the case's status: the lead department handles and replies, co-handlers
add findings, a leader instructs what waits for them, supervisors oversee.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from case_store.routing import EMERGENCY_DEPT
from case_store.views import CaseView

STAFF = ("agent", "supervisor", "admin")
CENTRE = "elderly_centre"  # the elderly centre's role: its emergencies
LEADER = "leader"  # 领导批办: the cases a supervisor marked for them
HANDLING = ("assigned", "accepted", "in_progress")
NEAR = timedelta(hours=24)
NEAR_CONTACT = timedelta(minutes=3)


def can_view(session: dict[str, Any], case: CaseView) -> bool:
    role = session.get("role")
    if role in STAFF:
        return True
    if role == "department":
        dept = session.get("dept")
        return bool(dept) and (case.owner == dept or dept in case.cohandlers)
    if role == "company":
        return case.owner_type == "company" and bool(session.get("company")) \
            and case.owner == session.get("company")
    if role == CENTRE:
        return _centres(case)
    if role == LEADER:
        return case.leader is not None and case.leader == session.get("name")
    return False


def _centres(case: CaseView) -> bool:
    return case.owner_type == "person" and case.owner == EMERGENCY_DEPT


def shows_phone(session: dict[str, Any], case: CaseView) -> bool:
    """Companies get the number only for an open order they serve; others always."""
    if session.get("role") != "company":
        return True
    return can_view(session, case) and case.status in ("assigned", "accepted", "in_progress")


def actions(session: dict[str, Any], case: CaseView) -> list[str]:
    """Buttons this user may press on this case now."""
    role = session.get("role")
    status = case.status
    if role == "department" and case.owner == session.get("dept") \
            and case.owner_type == "department":
        return {"assigned": ["accept"], "accepted": ["start", "reply", "extension"],
                "in_progress": ["reply", "extension"]}.get(status, [])
    if role == "department" and session.get("dept") in case.cohandlers:
        return ["finding"] if status in HANDLING else []
    if role == CENTRE and _centres(case):
        # accept: acknowledged; start: the community worker is on the way; note: 120
        # called, a contact reached...; reply: resolved
        return {"assigned": ["accept", "note"], "accepted": ["start", "note", "reply"],
                "in_progress": ["note", "reply"]}.get(status, [])
    if role == "company" and can_view(session, case):
        return {"assigned": ["confirm_contact"], "accepted": ["complete"],
                "in_progress": ["complete"]}.get(status, [])
    if role == LEADER and can_view(session, case) and case.leader_instructed_at is None:
        return ["instruct"] if status in HANDLING else []
    if role in ("supervisor", "admin"):
        return _oversight(case)
    return []


def _oversight(case: CaseView) -> list[str]:
    """A supervisor's buttons: extensions, co-handlers, supervision, a leader, closure."""
    status, out = case.status, []
    if status in ("accepted", "in_progress"):
        out.append("approve_extension")
    if status in HANDLING and case.owner_type == "department":
        out += ["add_cohandler", "supervise"]
        if case.leader is None or case.leader_instructed_at is not None:
            out.append("mark_for_leader")
    if status in ("received", *HANDLING):
        out.append("close_out_of_jurisdiction")
    return out


def urgency(case: CaseView, now: datetime) -> str:
    """'overdue', 'near' or '' — the colour of a row in a portal."""
    if case.status not in ("assigned", "accepted", "in_progress"):
        return ""
    if case.owner_type in ("company", "person") and case.status == "assigned" \
            and case.contact_due_at:
        due, near = case.contact_due_at, NEAR_CONTACT
    else:
        due, near = case.due_at, NEAR
    if due is None:
        return ""
    if now > due:
        return "overdue"
    if due - now <= near:
        return "near"
    return ""

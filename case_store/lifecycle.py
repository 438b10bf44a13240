"""The life of a case as a pure state machine: which action is legal in which state.

received -> assigned -> accepted (timely receipt) -> in_progress -> replied -> visiting
-> closed, with side roads: reassign / escalate (back to assigned, new owner), send_back
(发回重办: an unsatisfied follow-up sends the case back to its handler), merge (a duplicate
folds into another case), close_out_of_jurisdiction (集中销案: not the city's to handle,
closed with a referral before anyone replies), and same-state actions that only append to
the event log: extend, supervise (督办), add_cohandler and finding (商办会办),
mark_for_leader and instruct (领导批办), acknowledge_notice (a supervision notice signed).
The store asks :func:`next_status` before writing anything, so an illegal action raises
and leaves no trace.
"""

from __future__ import annotations

from types import MappingProxyType

from case_store.errors import IllegalTransitionError

RECEIVED = "received"
ASSIGNED = "assigned"
ACCEPTED = "accepted"
IN_PROGRESS = "in_progress"
REPLIED = "replied"
VISITING = "visiting"
CLOSED = "closed"
MERGED = "merged"

STATUSES = (RECEIVED, ASSIGNED, ACCEPTED, IN_PROGRESS, REPLIED, VISITING, CLOSED, MERGED)
OPEN_STATUSES = frozenset({RECEIVED, ASSIGNED, ACCEPTED, IN_PROGRESS, REPLIED, VISITING})
HANDLING = (ASSIGNED, ACCEPTED, IN_PROGRESS)


def _same(states: tuple[str, ...]) -> dict[str, str]:
    return {s: s for s in states}


TRANSITIONS: MappingProxyType[str, dict[str, str]] = MappingProxyType({
    "assign": {RECEIVED: ASSIGNED},
    "answer": {RECEIVED: REPLIED},  # consult answered at once from the knowledge base
    "forward": {RECEIVED: REPLIED},  # praise: recorded and forwarded to the praised unit
    "accept": {ASSIGNED: ACCEPTED},  # department signs for it / company confirms contact
    "start": {ACCEPTED: IN_PROGRESS},
    "reply": {ACCEPTED: REPLIED, IN_PROGRESS: REPLIED},
    "visit": {REPLIED: VISITING},
    "close": {VISITING: CLOSED},
    "send_back": {VISITING: ASSIGNED, REPLIED: ASSIGNED},  # REPLIED: a merged caller said 3
    "reassign": {s: ASSIGNED for s in HANDLING},
    "escalate": {s: ASSIGNED for s in HANDLING},
    "merge": {s: MERGED for s in (RECEIVED, *HANDLING)},
    "extend": _same((ACCEPTED, IN_PROGRESS)),
    "supervise": _same(HANDLING),
    "add_cohandler": _same(HANDLING),
    "finding": _same(HANDLING),  # a co-handler's part, before the lead's joint reply
    "mark_for_leader": _same(HANDLING),
    "instruct": _same(HANDLING),  # the leader's 批示
    # not the city's to handle: closed with a referral, never after a local reply
    "close_out_of_jurisdiction": {s: CLOSED for s in (RECEIVED, *HANDLING)},
    "acknowledge_notice": _same(STATUSES),  # a notice is signed for whatever became of the case
    "note": _same(STATUSES),
    "duplicate": _same(STATUSES),  # the same request again: logged on the first case
    "deliver": _same(STATUSES),  # a message to the citizen went out (or could not)
})


def next_status(status: str, action: str) -> str:
    """The status after ``action``, or IllegalTransitionError naming what is allowed."""
    table = TRANSITIONS.get(action)
    if table is None:
        raise IllegalTransitionError(
            f"unknown action {action!r}; actions: {', '.join(sorted(TRANSITIONS))}"
        )
    if status not in table:
        allowed = sorted(a for a, t in TRANSITIONS.items() if status in t)
        raise IllegalTransitionError(
            f"cannot {action} a case that is {status}; allowed now: {', '.join(allowed)}"
        )
    return table[status]

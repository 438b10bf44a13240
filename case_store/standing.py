"""A partner company's standing and how a penalty changes it: pure rules, no I/O.

active -> yellow_card -> suspended -> term_proposed, and terminated only by the
supervision office. Automatic changes only ever make the standing worse; it gets better
when a suspension runs out or an operator lifts the penalty, and both start a fresh
record (penalties then count only what the company does afterwards).

A proposed termination is not executed: it waits for the supervision office, and the
company takes no new orders meanwhile (its figures are worse than a suspension's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ACTIVE = "active"
YELLOW_CARD = "yellow_card"
SUSPENDED = "suspended"
TERM_PROPOSED = "term_proposed"  # termination proposed to the supervision office
TERMINATED = "terminated"

STANDINGS = (ACTIVE, YELLOW_CARD, SUSPENDED, TERM_PROPOSED, TERMINATED)
DISPATCHABLE = frozenset({ACTIVE, YELLOW_CARD})  # dispatch and transfers pick only these
PENALTY_STANDING = {"yellow_card": YELLOW_CARD, "order_suspension": SUSPENDED,
                    "termination_proposal": TERM_PROPOSED}
_SEVERITY = {s: i for i, s in enumerate(STANDINGS)}


@dataclass(frozen=True)
class Change:
    """A standing change a penalty calls for."""

    to: str
    suspended_until: datetime | None


def judge(current: str, penalty: str | None, now: datetime,
          suspension: timedelta) -> Change | None:
    """The change ``penalty`` calls for, or None when the standing is already as bad."""
    if penalty is None:
        return None
    target = PENALTY_STANDING[penalty]
    if _SEVERITY[target] <= _SEVERITY.get(current, 0):
        return None
    return Change(target, now + suspension if target == SUSPENDED else None)


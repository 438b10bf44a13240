"""Scorecards computed from the event log alone, for companies and departments per period.

Input is any iterable of ``(at, action, data)`` (``CaseStore.iter_events`` or a generator),
consumed once in a single pass, so a million events need no more memory than the tallies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PenaltyRules:
    """Thresholds for company penalties (operator-configurable)."""

    min_orders: int = 5  # judge nobody on fewer dispatches than this
    yellow_on_time: float = 0.90
    suspend_on_time: float = 0.80
    terminate_on_time: float = 0.60
    yellow_complaints: int = 2
    suspend_complaints: int = 3
    terminate_complaints: int = 5


@dataclass
class Tally:
    assigned: int = 0
    accepted: int = 0
    accepted_on_time: int = 0
    missed: int = 0
    replied: int = 0
    replied_on_time: int = 0
    moved_away: int = 0
    sent_back: int = 0
    visits: int = 0
    satisfied: int = 0  # answered 1 or 2
    complaints: int = 0  # answered 3
    ratings: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


def rate(part: int, whole: int) -> float | None:
    """part / whole to four places; None when there was nothing to count."""
    return None if whole == 0 else round(part / whole, 4)


def tally(events: Iterable[tuple[datetime, str, dict[str, Any]]], start: datetime,
          end: datetime) -> dict[tuple[str, str], Tally]:
    """Count what each (owner_type, owner) did in [start, end)."""
    out: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for at, action, data in events:
        if start <= at < end:
            count(out, action, data)
    return out


def count(out: dict[tuple[str, str], Tally], action: str, data: dict[str, Any]) -> None:
    """Add one event to the tallies (the reports fold it into their own single pass)."""
    otype, owner = data.get("owner_type"), data.get("owner")
    if action in ("assign", "reassign", "escalate") and owner:
        out[(otype, owner)].assigned += 1
        if data.get("from_owner"):
            kind = "company" if action == "reassign" and otype == "company" else "department"
            out[(kind, data["from_owner"])].moved_away += 1
    elif action == "accept" and owner:
        t = out[(otype, owner)]
        t.accepted += 1
        t.accepted_on_time += bool(data.get("on_time"))
    elif action == "note" and data.get("contact_missed"):
        out[("company", data["contact_missed"])].missed += 1
    elif action == "reply" and owner:
        t = out[(otype, owner)]
        t.replied += 1
        t.replied_on_time += bool(data.get("on_time"))
    elif action == "visit" and owner and not data.get("unreachable"):
        t = out[(otype, owner)]
        t.visits += 1
        sat = data.get("satisfaction")
        t.satisfied += sat in (1, 2)
        t.complaints += sat == 3
        for key in ("company_time", "company_quality", "company_price"):
            if data.get(key):
                t.ratings[key].append(int(data[key]))
    elif action == "send_back" and owner:
        out[(otype, owner)].sent_back += 1


def company_card(code: str, t: Tally, rules: PenaltyRules) -> dict[str, Any]:
    """On-time contact rate, satisfaction, complaints and the penalty they call for."""
    dispatched = t.accepted + t.missed
    on_time = rate(t.accepted_on_time, dispatched)
    return {
        "company": code, "dispatched": dispatched, "on_time_contact_rate": on_time,
        "missed_contacts": t.missed, "satisfaction": rate(t.satisfied, t.visits),
        "complaints": t.complaints,
        "ratings": {k: round(sum(v) / len(v), 3) for k, v in t.ratings.items() if v},
        "penalty": penalty_for(dispatched, on_time, t.complaints, rules),
    }


def penalty_for(dispatched: int, on_time: float | None, complaints: int,
                rules: PenaltyRules) -> str | None:
    """termination_proposal, order_suspension, yellow_card or None (the worst that applies)."""
    if dispatched < rules.min_orders:
        return None
    rate = on_time if on_time is not None else 1.0
    if rate < rules.terminate_on_time or complaints >= rules.terminate_complaints:
        return "termination_proposal"
    if rate < rules.suspend_on_time or complaints >= rules.suspend_complaints:
        return "order_suspension"
    if rate < rules.yellow_on_time or complaints >= rules.yellow_complaints:
        return "yellow_card"
    return None


def department_card(code: str, t: Tally) -> dict[str, Any]:
    """Timely receipt, on-time completion, repeat dispatch, send-back and satisfaction."""
    return {
        "department": code, "assigned": t.assigned,
        "timely_receipt_rate": rate(t.accepted_on_time, t.accepted),
        "on_time_completion_rate": rate(t.replied_on_time, t.replied),
        "repeat_dispatch_rate": rate(t.moved_away, t.assigned),
        "send_back_rate": rate(t.sent_back, t.replied),
        "satisfaction": rate(t.satisfied, t.visits),
    }


def scorecards(events: Iterable[tuple[datetime, str, dict[str, Any]]], start: datetime,
               end: datetime, rules: PenaltyRules | None = None) -> dict[str, list[dict]]:
    """Company and department scorecards for the period [start, end)."""
    rules = rules or PenaltyRules()
    tallies = tally(events, start, end)
    companies = [company_card(o, t, rules) for (k, o), t in sorted(tallies.items())
                 if k == "company"]
    departments = [department_card(o, t) for (k, o), t in sorted(tallies.items())
                   if k == "department"]
    return {"companies": companies, "departments": departments}

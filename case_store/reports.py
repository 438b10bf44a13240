"""Monthly (or any period's) report on departments, regions, companies and the city, as
a pure function of the event log and a few rows: nothing here reads or writes a database.

Figures of a period [start, end) count the events inside it, so a report of a month that
has ended never changes when it is made again. Rates are ``None`` when nothing was there
to count (a department that replied to nothing has no on-time completion rate, not 0%).

- timely acceptance: accepts on time (within the receipt deadline) / accepts
- on-time completion: replies before the handling deadline / replies
- repeat dispatch: cases moved away to another department / cases assigned to it
- send-back: send-backs (发回重办 after an unsatisfied visit) / replies
- satisfaction: visits answered 1 or 2 / visits answered (unreachable ones count neither way)
- visit coverage: cases it replied to in the period whose citizen answered a visit or was
  marked unreachable after that reply, within the period / cases it replied to
- supervision notices: ``supervise`` events of the period on its cases
- overdue: cases it held at the end of the period (or now, if that is earlier), still
  being handled, past their deadline
- city completion: cases first handed to a department or company in the period (merged
  ones left out) that were replied in the period / those cases
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from case_store import lifecycle, scores
from case_store.scores import rate
from case_store.workdays import SHANGHAI

CITY_REGION = "city"  # departments with no region: the city's own
CITY_NAME = "市本级"
HANDLERS = ("department", "company")
MOVES = ("assign", "reassign", "escalate")

Event = tuple[int, datetime, str, dict[str, Any]]  # (case id, at, action, data)


@dataclass(frozen=True)
class Period:
    """[start, end) in aware time, with the label people call it by."""

    start: datetime
    end: datetime
    label: str

    @classmethod
    def month(cls, text: str) -> Period:
        """'2026-11': the month in Asia/Shanghai."""
        try:
            first = datetime.strptime(text, "%Y-%m").date()
        except ValueError as exc:
            raise ValueError(f"month must be YYYY-MM, got {text!r}") from exc
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return cls(_midnight(first), _midnight(following), first.strftime("%Y-%m"))

    @classmethod
    def days(cls, first: date, last: date) -> Period:
        """From the first to the last day, both included (Shanghai days)."""
        if last < first:
            raise ValueError(f"the period ends ({last}) before it starts ({first})")
        return cls(_midnight(first), _midnight(last + timedelta(days=1)),
                   f"{first.isoformat()}..{last.isoformat()}")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI)


@dataclass(frozen=True)
class Unit:
    """A department as the report groups it."""

    code: str
    name: str
    level: str
    region: str | None


@dataclass(frozen=True)
class HeldCase:
    """A case as it stood at the end of the period: who held it, in which status."""

    number: str
    owner_type: str | None
    owner: str | None
    status: str
    due_at: datetime | None


@dataclass
class Figures:
    """The counts behind one card; cards add up to regions and the city."""

    assigned: int = 0
    accepted: int = 0
    accepted_on_time: int = 0
    replied: int = 0
    replied_on_time: int = 0
    moved_away: int = 0
    sent_back: int = 0
    visits: int = 0
    satisfied: int = 0
    ended: int = 0
    visited: int = 0
    supervision_notices: int = 0
    overdue: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        for name in self.__dataclass_fields__:
            if name != "overdue":
                setattr(self, name, getattr(self, name) + getattr(other, name))
        self.overdue += other.overdue

    def card(self, listed: bool = True) -> dict[str, Any]:
        """Counts and rates; ``listed``: with the overdue cases themselves, not only how
        many (a region's or the city's card counts them)."""
        card = {
            "assigned": self.assigned, "accepted": self.accepted,
            "timely_acceptance_rate": rate(self.accepted_on_time, self.accepted),
            "replied": self.replied,
            "on_time_completion_rate": rate(self.replied_on_time, self.replied),
            "repeat_dispatch_rate": rate(self.moved_away, self.assigned),
            "send_back_rate": rate(self.sent_back, self.replied),
            "visits_answered": self.visits, "satisfied": self.satisfied,
            "satisfaction_rate": rate(self.satisfied, self.visits),
            "cases_replied": self.ended, "cases_visited": self.visited,
            "visit_coverage": rate(self.visited, self.ended),
            "supervision_notices": self.supervision_notices,
            "overdue_count": len(self.overdue),
        }
        return {**card, "overdue": self.overdue} if listed else card

    def active(self) -> bool:
        return any((self.assigned, self.accepted, self.replied, self.visits, self.ended,
                    self.supervision_notices, self.overdue))


@dataclass
class _Pass:
    """What one pass over the period's events leaves behind."""

    tallies: dict[tuple[str, str], scores.Tally] = field(
        default_factory=lambda: defaultdict(scores.Tally))
    replied_by: dict[int, tuple[str, str]] = field(default_factory=dict)  # first reply
    visited: set[int] = field(default_factory=set)
    taken: set[int] = field(default_factory=set)
    completed: set[int] = field(default_factory=set)
    merged: set[int] = field(default_factory=set)
    notices: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def read(self, events: Iterable[Event], start: datetime, end: datetime) -> _Pass:
        for case_id, at, action, data in events:
            if start <= at < end:
                self.event(case_id, action, data)
        return self

    def event(self, case_id: int, action: str, data: dict[str, Any]) -> None:
        scores.count(self.tallies, action, data)
        owner = (data.get("owner_type"), data.get("owner"))
        if action == "assign" and owner[0] in HANDLERS:
            self.taken.add(case_id)
        elif action == "reply" and owner[0] in HANDLERS and owner[1]:
            self.replied_by.setdefault(case_id, owner)
            self.completed.add(case_id)
        elif action == "visit" and case_id in self.replied_by:
            self.visited.add(case_id)
        elif action == "merge":
            self.merged.add(case_id)
        elif action == "supervise" and data.get("owner"):
            self.notices[data["owner"]] += 1

    def figures(self, kind: str, code: str) -> Figures:
        t = self.tallies.get((kind, code)) or scores.Tally()
        ended = [c for c, who in self.replied_by.items() if who == (kind, code)]
        return Figures(
            assigned=t.assigned, accepted=t.accepted, accepted_on_time=t.accepted_on_time,
            replied=t.replied, replied_on_time=t.replied_on_time, moved_away=t.moved_away,
            sent_back=t.sent_back, visits=t.visits, satisfied=t.satisfied, ended=len(ended),
            visited=sum(1 for c in ended if c in self.visited),
            supervision_notices=self.notices.get(code, 0) if kind == "department" else 0)


def overdue_at(held: Iterable[HeldCase], as_of: datetime) -> dict[str, list[dict[str, Any]]]:
    """Department -> its cases still being handled at ``as_of`` past their deadline,
    longest overdue first."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in sorted((c for c in held if c.due_at is not None), key=lambda c: c.due_at):
        if case.owner_type == "department" and case.owner and \
                case.status in lifecycle.HANDLING and case.due_at < as_of:
            out[case.owner].append({
                "number": case.number, "status": case.status,
                "due_at": case.due_at.astimezone(SHANGHAI).isoformat(),
                "overdue_hours": int((as_of - case.due_at).total_seconds() // 3600)})
    return out


def held_at(number: str, due_at: datetime | None,
            history: Iterable[tuple[str, str, dict[str, Any]]]) -> HeldCase:
    """The case as its (action, to_status, data) events, oldest first, left it: who held
    it and in which status when the last of them had happened."""
    status, otype, owner = lifecycle.RECEIVED, None, None
    for action, to_status, data in history:
        status = to_status
        if action in MOVES and data.get("owner"):
            otype, owner = data.get("owner_type"), data["owner"]
    return HeldCase(number, otype, owner, status, due_at)


def _ranked(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best first: satisfaction, then on-time completion, then timely acceptance, then
    fewer overdue cases; a rate nobody could earn sorts after every real one."""
    def key(card: dict[str, Any]) -> tuple:
        rates = [card[k] for k in ("satisfaction_rate", "on_time_completion_rate",
                                   "timely_acceptance_rate")]
        return (*((r is None, -(r or 0)) for r in rates), card["overdue_count"], card["code"])

    ordered = sorted(cards, key=key)
    return [{"rank": i, "code": c["code"], "name": c["name"],
             "satisfaction_rate": c["satisfaction_rate"],
             "on_time_completion_rate": c["on_time_completion_rate"],
             "timely_acceptance_rate": c["timely_acceptance_rate"],
             "overdue_count": c["overdue_count"]} for i, c in enumerate(ordered, 1)]


def department_report(events: Iterable[Event], period: Period, units: Iterable[Unit],
                      companies: dict[str, str], held: Iterable[HeldCase], as_of: datetime,
                      region_names: dict[str, str] | None = None) -> dict[str, Any]:
    """Departments, their ranking, regions, companies and the city for ``period``.

    ``events`` are (case id, at, action, data) in log order (events outside the period
    are skipped); ``held`` the cases as they stood at ``as_of``, the period's end or now
    if that is sooner (see :func:`held_at`). Departments and companies with nothing in
    the period are left out.
    """
    as_of = min(as_of, period.end)
    seen = _Pass().read(events, period.start, period.end)
    late = overdue_at(held, as_of)
    names = {CITY_REGION: CITY_NAME, **(region_names or {})}
    departments, by_region = [], defaultdict(lambda: (Figures(), []))
    everything = Figures()
    for unit in sorted(units, key=lambda u: u.code):
        figures = seen.figures("department", unit.code)
        figures.overdue = late.get(unit.code, [])
        if not figures.active():
            continue
        region = unit.region or CITY_REGION
        departments.append({"code": unit.code, "name": unit.name, "level": unit.level,
                            "region": region, **figures.card()})
        total, members = by_region[region]
        total.add(figures)
        members.append(unit.code)
        everything.add(figures)
    regions = [{"code": r, "name": names.get(r, r), "departments": members,
                **total.card(listed=False)} for r, (total, members) in sorted(by_region.items())]
    firms = []
    for code in sorted({o for k, o in seen.tallies if k == "company"}
                       | {o for k, o in seen.replied_by.values() if k == "company"}):
        f = seen.figures("company", code)
        if f.visits or f.ended:
            firms.append({"code": code, "name": companies.get(code, code),
                          "visits_answered": f.visits, "satisfied": f.satisfied,
                          "satisfaction_rate": rate(f.satisfied, f.visits),
                          "cases_replied": f.ended, "cases_visited": f.visited,
                          "visit_coverage": rate(f.visited, f.ended)})
    return {
        "period": {"label": period.label, "start": period.start.isoformat(),
                   "end": period.end.isoformat(),
                   "as_of": as_of.astimezone(SHANGHAI).isoformat()},
        "city": _city(seen, everything),
        "departments": departments,
        "ranking": _ranked(departments),
        "regions": regions,
        "companies": firms,
    }


def _city(seen: _Pass, departments: Figures) -> dict[str, Any]:
    """Completion, satisfaction and visit coverage over every handler, departments and
    companies alike, next to the departments' figures added up."""
    taken = seen.taken - seen.merged
    handlers = [t for (kind, _), t in seen.tallies.items() if kind in HANDLERS]
    visits = sum(t.visits for t in handlers)
    satisfied = sum(t.satisfied for t in handlers)
    ended = len(seen.replied_by)
    return {
        "cases_taken": len(taken), "cases_completed": len(taken & seen.completed),
        "completion_rate": rate(len(taken & seen.completed), len(taken)),
        "visits_answered": visits, "satisfied": satisfied,
        "satisfaction_rate": rate(satisfied, visits),
        "cases_replied": ended, "cases_visited": len(seen.visited),
        "visit_coverage": rate(len(seen.visited), ended),
        "departments": departments.card(listed=False),
    }


def own_card(report: dict[str, Any], code: str) -> dict[str, Any] | None:
    """One department's card from a report (what a department user may see)."""
    return next((d for d in report["departments"] if d["code"] == code), None)

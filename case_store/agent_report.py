"""The agents' day: time logged in, paused by reason, talking, in wrap-up, and calls.

Pure arithmetic on one day's window: the seat's login/pause events (`agent_events`)
with its state as the day began, and its answered calls (`calls`). A state is counted
from its event to the next one, clipped to the window (and to "now" for today);
pauses count only while logged in. Talk is each answered call's answer-to-end; wrap-up
follows each call for the configured time, cut short by the seat's next call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

SEAT_EVENTS = ("login", "logout", "pause", "unpause")


@dataclass(frozen=True)
class SeatEventRow:
    seat: str
    event: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class CallSpan:
    seat: str
    answered_at: datetime
    ended_at: datetime


@dataclass
class AgentDay:
    seat: str
    logged_in_s: float = 0.0
    paused_s: dict[str, float] = field(default_factory=dict)  # by reason
    talking_s: float = 0.0
    wrapup_s: float = 0.0
    calls: int = 0

    def as_dict(self) -> dict:
        return {"seat": self.seat, "logged_in_s": round(self.logged_in_s),
                "paused_s": {k: round(v) for k, v in sorted(self.paused_s.items())},
                "paused_total_s": round(sum(self.paused_s.values())),
                "talking_s": round(self.talking_s), "wrapup_s": round(self.wrapup_s),
                "calls": self.calls}


def _overlap(start: datetime, end: datetime, lo: datetime, hi: datetime) -> float:
    return max(0.0, (min(end, hi) - max(start, lo)).total_seconds())


def state_at_start(earlier: Iterable[SeatEventRow]) -> tuple[bool, str]:
    """(logged in, pause reason) after the events before the day, oldest first. A seat
    with no history counts as logged out: never "logged in" by default."""
    logged_in, paused = False, ""
    for row in earlier:
        logged_in, paused = _apply(logged_in, paused, row)
    return logged_in, paused


def _apply(logged_in: bool, paused: str, row: SeatEventRow) -> tuple[bool, str]:
    if row.event == "login":  # again while logged in (a duplicate): nothing changes
        return (True, paused) if logged_in else (True, "")
    if row.event == "logout":
        return False, ""
    if row.event == "pause":
        return logged_in, row.reason or "break"
    return logged_in, ""  # unpause


def agent_day(seat: str, start: datetime, end: datetime, initial: tuple[bool, str],
              events: Sequence[SeatEventRow], calls: Sequence[CallSpan],
              wrapup_s: float) -> AgentDay:
    """One seat's day in [start, end) (`end` already clipped to now for today)."""
    day = AgentDay(seat)
    logged_in, paused = initial
    since = start
    for row in sorted(events, key=lambda r: r.at):
        if not start <= row.at < end:
            continue
        _add_state(day, logged_in, paused, since, row.at)
        logged_in, paused = _apply(logged_in, paused, row)
        since = row.at
    _add_state(day, logged_in, paused, since, end)
    spans = sorted(calls, key=lambda c: c.answered_at)
    for n, call in enumerate(spans):
        if start <= call.answered_at < end:
            day.calls += 1
        day.talking_s += _overlap(call.answered_at, call.ended_at, start, end)
        wrap_end = call.ended_at.timestamp() + wrapup_s
        if n + 1 < len(spans):
            wrap_end = min(wrap_end, spans[n + 1].answered_at.timestamp())
        wrap_end_dt = datetime.fromtimestamp(max(wrap_end, call.ended_at.timestamp()),
                                             call.ended_at.tzinfo)
        day.wrapup_s += _overlap(call.ended_at, wrap_end_dt, start, end)
    return day


def _add_state(day: AgentDay, logged_in: bool, paused: str, since: datetime,
               until: datetime) -> None:
    seconds = max(0.0, (until - since).total_seconds())
    if not logged_in or not seconds:
        return
    day.logged_in_s += seconds
    if paused:
        day.paused_s[paused] = day.paused_s.get(paused, 0.0) + seconds

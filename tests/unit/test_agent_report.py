"""An agent's day from their login and pause history and their calls: pure arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from acd.seat_journal import transitions
from case_store.agent_report import CallSpan, SeatEventRow, agent_day, state_at_start

DAY = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 2026-12-02 00:00 in Beijing
END = DAY + timedelta(days=1)


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def ev(event: str, hours: float, reason: str = "") -> SeatEventRow:
    return SeatEventRow("8001", event, reason, at(hours))


def call(start_h: float, minutes: float) -> CallSpan:
    return CallSpan("8001", at(start_h), at(start_h) + timedelta(minutes=minutes))


def test_logged_in_and_paused_by_reason_add_up_between_events():
    events = [ev("login", 8), ev("pause", 10, "培训"), ev("unpause", 11, "培训"),
              ev("pause", 12, "午休"), ev("unpause", 13.5, "午休"), ev("logout", 17)]
    day = agent_day("8001", DAY, END, (False, ""), events, [], wrapup_s=15).as_dict()
    assert day["logged_in_s"] == 9 * 3600
    assert day["paused_s"] == {"午休": 5400, "培训": 3600}
    assert day["paused_total_s"] == 9000


def test_a_shift_over_midnight_counts_from_the_day_start_and_up_to_now():
    # logged in (and paused) since the evening before; the report for today at 02:00
    day = agent_day("8001", DAY, at(2), state_at_start([ev("login", -3),
                                                        ev("pause", -1, "break")]),
                    [ev("unpause", 1, "break")], [], wrapup_s=15).as_dict()
    assert day["logged_in_s"] == 7200 and day["paused_s"] == {"break": 3600}


def test_talk_wrapup_and_calls_and_a_next_call_cuts_wrapup_short():
    calls = [call(9, 5), call(9 + 5.1 / 60, 2), call(23.99, 10)]  # second: 6 s after the first
    day = agent_day("8001", DAY, END, (True, ""), [], calls, wrapup_s=15).as_dict()
    assert day["calls"] == 3
    # the last call runs past midnight: only its part inside the day is talk
    assert day["talking_s"] == 5 * 60 + 2 * 60 + round(0.01 * 3600)
    assert day["wrapup_s"] == 6 + 15  # 6 s until the next call, 15 s after the second


def test_a_seat_with_no_history_is_never_logged_in_by_default():
    assert state_at_start([]) == (False, "")
    day = agent_day("8001", DAY, END, (False, ""), [ev("pause", 9, "break")], [], 15)
    assert day.logged_in_s == 0 and day.paused_s == {}


def test_transitions_of_one_change():
    assert transitions((False, ""), (True, "")) == [("login", "")]
    assert transitions((True, ""), (True, "午休")) == [("pause", "午休")]
    assert transitions((True, "午休"), (True, "培训")) == [("unpause", "午休"),
                                                        ("pause", "培训")]
    assert transitions((True, "午休"), (False, "午休")) == [("unpause", "午休"),
                                                         ("logout", "")]
    assert transitions((True, ""), (True, "")) == []  # the same feature code again
    assert transitions((False, ""), (False, "break")) == []  # a pause while logged out


def test_a_duplicate_login_keeps_a_pause_running():
    events = [ev("login", 8), ev("pause", 9, "培训"), ev("login", 9.5), ev("unpause", 10),
              ev("logout", 11)]
    day = agent_day("8001", DAY, END, (False, ""), events, [], wrapup_s=15).as_dict()
    assert day["paused_s"] == {"培训": 3600} and day["logged_in_s"] == 3 * 3600

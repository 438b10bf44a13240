"""When an elderly person's check-in call is due, and what happens when nobody answers."""

from datetime import UTC, datetime

from ivr.checkin.rules import Attempts, CheckinSettings, next_step, open_window

DAILY = ({"days": "daily", "start": "09:00", "end": "10:00"},)
# Tuesday 2026-12-01 09:30 in Shanghai is 01:30 UTC
TUESDAY_0930 = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


def test_a_window_is_open_only_on_its_days_and_hours_in_shanghai_time():
    assert open_window(DAILY, TUESDAY_0930) == "2026-12-01 09:00"
    assert open_window(DAILY, datetime(2026, 12, 1, 2, 0, tzinfo=UTC)) == ""  # 10:00: closed
    weekend = ({"days": "weekends", "start": "09:00", "end": "10:00"},)
    assert open_window(weekend, TUESDAY_0930) == ""
    some = ({"days": "mon,tue", "start": "09:00", "end": "10:00"},)
    assert open_window(some, TUESDAY_0930) == "2026-12-01 09:00"
    assert open_window((), TUESDAY_0930) == ""


def test_a_window_ending_at_24_00_is_open_through_the_last_minute_of_the_day():
    all_day = ({"days": "daily", "start": "00:00", "end": "24:00"},)
    # 23:59:30 in Shanghai on 2026-12-01 is 15:59:30 UTC
    assert open_window(all_day, datetime(2026, 12, 1, 15, 59, 30, tzinfo=UTC)) == \
        "2026-12-01 00:00"
    assert open_window(all_day, datetime(2026, 12, 1, 16, 0, 0, tzinfo=UTC)) == \
        "2026-12-02 00:00"  # past midnight: the next day's window


def test_unanswered_calls_are_retried_after_the_backoff_then_escalated_once():
    settings = CheckinSettings(retries=2, backoff_s=600)
    assert next_step(Attempts(), settings, 1000.0) == "call"
    assert next_step(Attempts(made=1, last_at=1000.0), settings, 1300.0) == "wait"
    assert next_step(Attempts(made=1, last_at=1000.0), settings, 1600.0) == "call"
    assert next_step(Attempts(made=3, last_at=1000.0), settings, 1600.0) == "escalate"
    assert next_step(Attempts(made=3, last_at=0, escalated=True), settings, 1600.0) == "done"
    assert next_step(Attempts(made=1, answered=True), settings, 9999.0) == "done"

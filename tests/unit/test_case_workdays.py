"""Working-day deadlines on China's calendar, including 调休 and provisional years."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from case_store import sla
from case_store.errors import CalendarRangeError
from case_store.workdays import SHANGHAI, WorkCalendar, parse_schedule, provisional_schedule

CAL = WorkCalendar()


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


def test_assignment_before_national_day_is_due_after_the_holiday():
    due = sla.handling_due(CAL, "affairs", at(2025, 9, 30, 10, 0))
    # 1-8 October rest; 9, 10, 11 (make-up Saturday), 13, 14 count
    assert due.at == at(2025, 10, 14, 10, 0) and not due.provisional
    assert sla.handling_due(CAL, "consult", at(2025, 9, 30, 10, 0)).at == at(2025, 10, 9, 10, 0)


def test_make_up_weekend_days_count_as_working_days():
    assert CAL.add_working_days(at(2025, 9, 26, 9, 30), 1).at == at(2025, 9, 28, 9, 30)
    assert CAL.add_working_days(at(2025, 10, 10, 9, 30), 1).at == at(2025, 10, 11, 9, 30)


def test_assignment_on_a_rest_day_starts_the_clock_next_working_day():
    assert CAL.add_working_days(at(2025, 10, 3, 15, 0), 1).at == at(2025, 10, 10, 0, 0)


def test_utc_input_is_answered_in_shanghai_time():
    from datetime import UTC

    due = CAL.add_working_days(datetime(2025, 9, 30, 2, 0, tzinfo=UTC), 1)
    assert due.at.utcoffset().total_seconds() == 8 * 3600
    assert due.at == at(2025, 10, 9, 10, 0)


def test_a_year_without_official_data_is_provisional_with_lunar_holidays():
    due = CAL.add_working_days(at(2026, 12, 31, 16, 0), 1)
    assert due.provisional and due.at == at(2027, 1, 4, 16, 0)  # 1 Jan holiday, weekend
    spring = provisional_schedule(2027)
    assert {date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)} <= \
        spring.holidays  # Spring Festival eve to day three of 丁未年
    assert date(2027, 9, 15) in spring.holidays  # Mid-Autumn 2027
    assert CAL.is_provisional(2027) and not CAL.is_provisional(2025)


def test_loaded_schedule_replaces_the_provisional_one():
    loaded = WorkCalendar.with_schedules([parse_schedule(
        {"year": 2027, "holidays": ["2027-01-01"], "workdays": ["2027-01-02"]})])
    due = loaded.add_working_days(at(2026, 12, 31, 16, 0), 1)
    assert due.at == at(2027, 1, 2, 16, 0) and not due.provisional


@pytest.mark.parametrize("moment", [at(2100, 1, 4, 9, 0), at(2003, 6, 2, 9, 0)])
def test_dates_outside_every_calendar_raise_a_clear_error(moment):
    with pytest.raises(CalendarRangeError, match="outside the calendar"):
        CAL.add_working_days(moment, 5)


def test_bad_inputs_are_refused():
    with pytest.raises(CalendarRangeError, match="timezone"):
        CAL.add_working_days(datetime(2025, 9, 30, 10, 0), 1)
    with pytest.raises(CalendarRangeError, match="another year"):
        parse_schedule({"year": 2027, "holidays": ["2028-01-01"]})
    with pytest.raises(CalendarRangeError, match="working days"):
        CAL.add_working_days(at(2025, 9, 30, 10, 0), -1)

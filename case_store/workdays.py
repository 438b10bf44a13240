"""China's working-day calendar: official data, an operator-loaded table, provisional years.

Sources, first match wins for a year:

1. a schedule the operator loaded (the State Council's notice for a new year),
2. ``chinesecalendar`` (official holidays and make-up working days, 调休),
3. a *provisional* calendar for years with no official data yet: weekends plus the
   statutory holidays (New Year, Spring Festival eve to day 3, Qingming, 1-2 May, Dragon
   Boat, Mid-Autumn, 1-3 October), the lunar ones computed with ``lunardate``. It has no
   bridging days or make-up Saturdays, so deadlines computed from it are marked provisional
   and are recomputed when the official schedule is loaded.

A date outside all three raises :class:`CalendarRangeError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from lunardate import LunarDate

from case_store.errors import CalendarRangeError

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICIAL_FIRST_YEAR = 2004
PROVISIONAL_LAST_YEAR = 2099  # lunardate's range ends here
MAX_WORKING_DAYS = 120  # far beyond any rule (15 + 15 extension); guards runaway loops


@dataclass(frozen=True)
class YearSchedule:
    """One year's published schedule: holidays on weekdays and make-up working days."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]

    def is_workday(self, day: date) -> bool:
        """Make-up days work, holidays rest, otherwise Monday to Friday."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


@dataclass(frozen=True)
class Due:
    """A deadline as a Shanghai timestamp, and whether a provisional calendar produced it."""

    at: datetime
    provisional: bool


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise CalendarRangeError(f"not a date: {value!r}") from exc


def parse_schedule(data: Mapping) -> YearSchedule:
    """Turn ``{year, holidays: [...], workdays: [...]}`` (the operator's YAML) into a schedule.

    Every date must fall in the stated year, so a typo cannot silently shift another year.
    """
    try:
        year = int(data["year"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CalendarRangeError("a schedule needs an integer 'year'") from exc
    holidays = frozenset(_as_date(d) for d in data.get("holidays") or [])
    workdays = frozenset(_as_date(d) for d in data.get("workdays") or [])
    stray = sorted(d for d in holidays | workdays if d.year != year)
    if stray:
        raise CalendarRangeError(f"schedule for {year} lists dates of another year: {stray[:3]}")
    if holidays & workdays:
        raise CalendarRangeError(f"dates both holiday and workday: {sorted(holidays & workdays)}")
    return YearSchedule(year, holidays, workdays)


def _qingming(year: int) -> date:
    terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
    for day, name in terms:
        if name == "清明":
            return day
    return date(year, 4, 5)  # pragma: no cover - the solar term always falls 4-6 April


@lru_cache(maxsize=128)
def provisional_schedule(year: int) -> YearSchedule:
    """Statutory holidays of ``year`` under the 2025 rules, without 调休 (not yet published)."""
    if not OFFICIAL_FIRST_YEAR <= year <= PROVISIONAL_LAST_YEAR:
        raise CalendarRangeError(
            f"no calendar for {year}: supported {OFFICIAL_FIRST_YEAR}-{PROVISIONAL_LAST_YEAR}"
        )
    spring = LunarDate(year, 1, 1).to_solar_date()
    days = {date(year, 1, 1), _qingming(year), date(year, 5, 1), date(year, 5, 2)}
    days |= {spring + timedelta(days=i) for i in range(-1, 3)}
    days.add(LunarDate(year, 5, 5).to_solar_date())
    days.add(LunarDate(year, 8, 15).to_solar_date())
    days |= {date(year, 10, d) for d in (1, 2, 3)}
    return YearSchedule(year, frozenset(d for d in days if d.year == year), frozenset())


def _official(day: date) -> bool | None:
    """chinesecalendar's answer, or None for a year it has no data for (it raises then)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


@dataclass
class WorkCalendar:
    """Answers "is this a working day" and adds working days to a moment."""

    loaded: dict[int, YearSchedule] = field(default_factory=dict)

    @classmethod
    def with_schedules(cls, schedules: Iterable[YearSchedule]) -> WorkCalendar:
        return cls({s.year: s for s in schedules})

    def day(self, day: date) -> tuple[bool, bool]:
        """(is it a working day, is that answer provisional)."""
        schedule = self.loaded.get(day.year)
        if schedule is not None:
            return schedule.is_workday(day), False
        if day.year < OFFICIAL_FIRST_YEAR or day.year > PROVISIONAL_LAST_YEAR:
            raise CalendarRangeError(
                f"{day.isoformat()} is outside the calendar: official data covers "
                f"{OFFICIAL_FIRST_YEAR} onwards, provisional years end {PROVISIONAL_LAST_YEAR}; "
                "load the year's schedule to extend it"
            )
        official = _official(day)
        if official is not None:
            return official, False
        return provisional_schedule(day.year).is_workday(day), True

    def is_workday(self, day: date) -> bool:
        return self.day(day)[0]

    def is_provisional(self, year: int) -> bool:
        """True when ``year`` has neither a loaded nor an official schedule."""
        return self.day(date(year, 6, 30))[1]

    def add_working_days(self, start: datetime, days: int) -> Due:
        """The moment ``days`` working days after ``start``, in Asia/Shanghai.

        Rule: the clock starts at assignment. Assigned on a working day, the deadline is
        the same clock time on the ``days``-th following working day; assigned on a rest
        day, the clock starts at 00:00 of the next working day (so one working day means
        "by the end of that day"). Non-working days never count.
        """
        if start.tzinfo is None:
            raise CalendarRangeError("start time must carry a timezone (e.g. Asia/Shanghai)")
        if not 0 <= days <= MAX_WORKING_DAYS:
            raise CalendarRangeError(f"working days must be 0..{MAX_WORKING_DAYS}, got {days}")
        local = start.astimezone(SHANGHAI)
        current = local.date()
        clock = local.time().replace(tzinfo=None)
        working, provisional = self.day(current)
        while not working:
            current += timedelta(days=1)
            clock = time(0, 0)
            working, flag = self.day(current)
            provisional |= flag
        counted = 0
        while counted < days:
            current += timedelta(days=1)
            working, flag = self.day(current)
            provisional |= flag
            counted += working
        return Due(datetime.combine(current, clock, tzinfo=SHANGHAI), provisional)

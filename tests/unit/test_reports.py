"""The department report of a hand-built November 2026, every figure worked out by hand
in the comments next to it."""

from __future__ import annotations

from datetime import datetime

import pytest

from case_store.reports import HeldCase, Period, Unit, department_report, held_at, own_card
from case_store.workdays import SHANGHAI

NOVEMBER = Period.month("2026-11")
UNITS = [Unit("city_management", "市综合行政执法局", "city", None),
         Unit("wucheng_city_management", "婺城区综合行政执法局", "district", "wucheng"),
         Unit("lanxi_center", "兰溪市8890分中心", "county", "lanxi"),
         Unit("parks", "市园林局", "city", None)]  # nothing this month: left out
CM, WU, LX = "city_management", "wucheng_city_management", "lanxi_center"


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def dept(code: str, **more) -> dict:
    return {"owner_type": "department", "owner": code, **more}


EVENTS = [
    (8, at(10, 31), "assign", dept(CM)),  # before the month: not counted as assigned
    (1, at(11, 1), "assign", dept(CM)),
    (1, at(11, 1, 11), "accept", dept(CM, on_time=True)),
    (8, at(11, 2), "reply", dept(CM, on_time=True)),  # replied in the month, never visited
    (2, at(11, 2), "assign", dept(CM)),
    (1, at(11, 3), "reply", dept(CM, on_time=True)),
    (6, at(11, 3), "assign", {"owner_type": "company", "owner": "plumbing_wucheng"}),
    (6, at(11, 3, 11), "accept", {"owner_type": "company", "owner": "plumbing_wucheng",
                                  "on_time": True}),
    (2, at(11, 3), "accept", dept(CM, on_time=False)),
    (6, at(11, 3, 15), "reply", {"owner_type": "company", "owner": "plumbing_wucheng",
                                 "on_time": True}),
    (1, at(11, 4), "visit", dept(CM, satisfaction=1)),
    (6, at(11, 4), "visit", {"owner_type": "company", "owner": "plumbing_wucheng",
                             "satisfaction": 1}),
    (3, at(11, 5), "assign", dept(CM)),
    (3, at(11, 6), "reassign", dept(WU, from_owner=CM)),
    (3, at(11, 6, 11), "accept", dept(WU, on_time=True)),
    (7, at(11, 7), "assign", dept(LX)),
    (7, at(11, 7, 11), "merge", {"into": "x"}),  # merged away: not owed a completion
    (3, at(11, 8), "reply", dept(WU, on_time=True)),
    (3, at(11, 9), "visit", dept(WU, satisfaction=None, unreachable=True)),
    (4, at(11, 10), "assign", dept(CM)),
    (2, at(11, 20), "reply", dept(CM, on_time=False)),
    (2, at(11, 21), "visit", dept(CM, satisfaction=3)),
    (2, at(11, 21), "send_back", dept(CM, satisfaction=3)),
    (2, at(11, 21, 12), "accept", dept(CM, on_time=True)),
    (2, at(11, 23), "reply", dept(CM, on_time=True)),
    (2, at(11, 24), "visit", dept(CM, satisfaction=2)),
    (4, at(11, 25), "supervise", {"notice": "督办通知书", "owner": CM}),
    (5, at(11, 28), "assign", dept(WU)),
    (5, at(11, 28, 11), "accept", dept(WU, on_time=True)),
    (5, at(11, 30, 23), "reply", dept(WU, on_time=True)),
    (5, at(12, 1, 9), "visit", dept(WU, satisfaction=1)),  # December: not this report's
]
HELD = [HeldCase("4", "department", CM, "assigned", at(11, 24, 12)),
        HeldCase("9", "department", CM, "replied", at(11, 20)),  # done: not overdue
        HeldCase("10", "department", WU, "accepted", at(12, 2))]  # not due yet


@pytest.fixture(scope="module")
def report() -> dict:
    return department_report(EVENTS, NOVEMBER, UNITS, {"plumbing_wucheng": "婺城水电"},
                             HELD, at(12, 5), {"wucheng": "婺城区", "lanxi": "兰溪市"})


def test_a_month_is_its_shanghai_days_and_a_range_includes_its_last_day():
    assert (NOVEMBER.start, NOVEMBER.end) == (at(11, 1, 0), at(12, 1, 0))
    december = Period.month("2026-12")
    assert december.end == datetime(2027, 1, 1, tzinfo=SHANGHAI)
    days = Period.days(at(11, 3).date(), at(11, 4).date())
    assert (days.start, days.end, days.label) == (at(11, 3, 0), at(11, 5, 0),
                                                  "2026-11-03..2026-11-04")
    with pytest.raises(ValueError, match="YYYY-MM"):
        Period.month("November")


def test_the_city_departments_card_is_what_its_events_say(report):
    card = own_card(report, CM)
    assert card is not None
    assert card["assigned"] == 4  # cases 1, 2, 3, 4 (case 8 was assigned in October)
    assert card["timely_acceptance_rate"] == round(2 / 3, 4)  # 1 on time, 2 late, 2 again
    assert card["on_time_completion_rate"] == 0.75  # 1, 8, 2's second on time; 2 late
    assert card["repeat_dispatch_rate"] == 0.25  # case 3 went to Wucheng
    assert card["send_back_rate"] == 0.25  # one send-back over four replies
    assert card["satisfaction_rate"] == round(2 / 3, 4)  # answers 1, 3, 2
    assert (card["cases_replied"], card["cases_visited"]) == (3, 2)  # 8 never visited
    assert card["visit_coverage"] == round(2 / 3, 4)
    assert card["supervision_notices"] == 1
    # case 4 due 11-24 12:00, still assigned at the month's end: 6.5 days = 156 hours
    assert card["overdue"] == [{"number": "4", "status": "assigned",
                                "due_at": "2026-11-24T12:00:00+08:00", "overdue_hours": 156}]


def test_an_unreachable_citizen_covers_the_visit_but_gives_no_satisfaction(report):
    card = own_card(report, WU)
    assert (card["assigned"], card["timely_acceptance_rate"]) == (2, 1.0)
    assert (card["on_time_completion_rate"], card["repeat_dispatch_rate"]) == (1.0, 0.0)
    assert card["satisfaction_rate"] is None  # case 3 unreachable, case 5 visited in Dec
    assert card["visit_coverage"] == 0.5  # case 3 covered, case 5 not within November
    assert card["overdue"] == []  # case 10 is not due until December 2


def test_quiet_departments_are_left_out_and_rates_with_nothing_to_count_are_none(report):
    assert [d["code"] for d in report["departments"]] == [CM, LX, WU]
    lanxi = own_card(report, LX)
    assert (lanxi["assigned"], lanxi["timely_acceptance_rate"], lanxi["visit_coverage"]) == \
        (1, None, None)
    assert own_card(report, "parks") is None


def test_regions_add_up_their_departments(report):
    regions = {r["code"]: r for r in report["regions"]}
    assert set(regions) == {"city", "wucheng", "lanxi"}
    assert regions["wucheng"]["name"] == "婺城区"
    assert regions["wucheng"]["departments"] == [WU]
    assert regions["city"]["overdue_count"] == 1 and "overdue" not in regions["city"]
    assert regions["city"]["satisfaction_rate"] == round(2 / 3, 4)


def test_the_city_counts_every_handler(report):
    city = report["city"]
    # taken: cases 1-7 assigned in November, minus merged 7; replied: 1, 2, 3, 5, 6
    assert (city["cases_taken"], city["cases_completed"]) == (6, 5)
    assert city["completion_rate"] == round(5 / 6, 4)
    # visits answered: 1, 3, 2 (city management) and 1 (the company); 3 satisfied
    assert (city["visits_answered"], city["satisfaction_rate"]) == (4, 0.75)
    # replied: 1, 2, 3, 5, 6, 8; visited or unreachable: 1, 2, 3, 6
    assert city["visit_coverage"] == round(4 / 6, 4)
    assert city["departments"]["assigned"] == 7  # 4 + 2 + 1


def test_companies_show_satisfaction_and_visit_coverage(report):
    assert report["companies"] == [{
        "code": "plumbing_wucheng", "name": "婺城水电", "visits_answered": 1, "satisfied": 1,
        "satisfaction_rate": 1.0, "cases_replied": 1, "cases_visited": 1,
        "visit_coverage": 1.0}]


def test_the_ranking_puts_real_rates_before_missing_ones(report):
    assert [(r["rank"], r["code"]) for r in report["ranking"]] == [(1, CM), (2, WU), (3, LX)]


def test_who_held_a_case_follows_its_moves():
    history = [("create", "received", {}), ("assign", "assigned", dept(CM)),
               ("reassign", "assigned", dept(WU, from_owner=CM)),
               ("accept", "accepted", dept(WU, on_time=True)),
               ("supervise", "accepted", {"owner": WU})]
    assert held_at("3", at(11, 2), history) == HeldCase("3", "department", WU, "accepted",
                                                        at(11, 2))

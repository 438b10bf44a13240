"""A November 2026 of cases written through the real CaseStore API on a clock the test
moves, whose report figures the tests work out by hand (see EXPECTED)."""

from __future__ import annotations

from datetime import datetime

from case_store.store import CaseStore
from case_store.workdays import SHANGHAI
from tests.integration.case_support import FakeClock

START = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday
NEAR_WUCHENG = {"lat": 29.0800, "lon": 119.6475}

# What the month's report must say, worked out from seed_month below:
#   city_management: A, C, D assigned; A accepted on time and replied on time, visited 1;
#     C moved away to parks; D never accepted, supervised after its deadline, overdue
#   wucheng_city_management: B accepted late, replied, answered 3 (sent back), accepted on
#     time, replied again, answered 2
#   parks: C accepted on time, replied on time, citizen unreachable
#   plumbing_wucheng: F contacted, replied, answered 1
EXPECTED = {
    "city_management": {"assigned": 3, "timely_acceptance_rate": 1.0,
                        "on_time_completion_rate": 1.0, "repeat_dispatch_rate": 0.3333,
                        "send_back_rate": 0.0, "satisfaction_rate": 1.0,
                        "visit_coverage": 1.0, "supervision_notices": 1, "overdue_count": 1},
    "wucheng_city_management": {"assigned": 1, "timely_acceptance_rate": 0.5,
                                "on_time_completion_rate": 1.0, "repeat_dispatch_rate": 0.0,
                                "send_back_rate": 0.5, "satisfaction_rate": 0.5,
                                "visit_coverage": 1.0, "supervision_notices": 0,
                                "overdue_count": 0},
    "parks": {"assigned": 1, "timely_acceptance_rate": 1.0, "on_time_completion_rate": 1.0,
              "repeat_dispatch_rate": 0.0, "send_back_rate": 0.0, "satisfaction_rate": None,
              "visit_coverage": 1.0, "supervision_notices": 0, "overdue_count": 0},
}
# taken A B C D F, completed A B C F; visits answered 1 3 2 1; replied A B C F, all visited
EXPECTED_CITY = {"cases_taken": 5, "cases_completed": 4, "completion_rate": 0.8,
                 "visits_answered": 4, "satisfied": 3, "satisfaction_rate": 0.75,
                 "visit_coverage": 1.0}


def _case(store: CaseStore, caller: str, text: str, place: str, topic: str = "street_light",
          kind: str = "affairs", **more) -> str:
    made = store.create_case(channel="phone", caller=caller, text=text, kind=kind,
                             topic=topic, place=place, **more)
    return store.route(made.number).number


def seed_month(store: CaseStore) -> dict[str, str]:
    """Write the month on a moved clock (the store's own clock back afterwards); returns
    the case numbers by letter."""
    real, clock = store.clock, FakeClock(START)
    store.clock = clock
    try:
        return _write(store, clock)
    finally:
        store.clock = real


def _write(store: CaseStore, clock: FakeClock) -> dict[str, str]:
    a = _case(store, "13800000101", "路灯坏了", "八一南街1号")
    b = _case(store, "13800000102", "路灯不亮", "婺城区宾虹路2号", region="wucheng")
    c = _case(store, "13800000103", "公园路灯坏了", "燕尾洲公园")
    d = _case(store, "13800000104", "路灯闪烁", "双龙南街9号")
    f = _case(store, "13800000105", "水管漏水请派师傅", "婺城区某小区", topic="plumbing_electric",
              kind="life", **NEAR_WUCHENG)
    clock.advance(hours=1)
    store.transition(a, "accept", "city_management")
    store.confirm_contact(f, "plumbing_wucheng")
    store.transition(c, "reassign", "operator", to="parks")
    store.transition(c, "accept", "parks")
    clock.advance(hours=2)  # B's two-hour receipt window has passed
    store.transition(b, "accept", "wucheng_city_management")
    clock.advance(days=1)
    for number, who in ((a, "city_management"), (b, "wucheng_city_management"),
                        (c, "parks"), (f, "plumbing_wucheng")):
        store.transition(number, "reply", who, reply="已处理")
    clock.advance(hours=3)
    store.record_followup(a, 1)
    store.record_followup(b, 3)  # sent back to Wucheng with a fresh clock
    store.record_unreachable(c, actor="agent-8001", note="三次无人接听")
    store.record_followup(f, 1, company_time=1, company_quality=1, company_price=1)
    clock.advance(minutes=30)
    store.transition(b, "accept", "wucheng_city_management")
    clock.advance(days=1)
    store.transition(b, "reply", "wucheng_city_management", reply="重新修复")
    clock.advance(hours=2)
    store.record_followup(b, 2)
    clock.advance(days=10)  # D is past its five working days
    store.sweep()
    return {"A": a, "B": b, "C": c, "D": d, "F": f}

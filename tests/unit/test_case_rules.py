"""Pure rules: lifecycle, routing, company choice, knowledge search, scorecards, the
leader's deadline and the out-of-jurisdiction message."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from case_store import knowledge, lifecycle
from case_store.dispatch import CompanyView, rank_companies
from case_store.errors import IllegalTransitionError, InvalidCaseError
from case_store.jurisdiction import citizen_message
from case_store.leaders import instruction_due
from case_store.routing import DeptNode, local_department, rule_for
from case_store.scores import PenaltyRules, scorecards
from case_store.service_catalog import load_catalog
from case_store.workdays import SHANGHAI, WorkCalendar


def test_lifecycle_happy_path_and_clear_refusals():
    status = lifecycle.RECEIVED
    for action in ("assign", "accept", "start", "reply", "visit", "close"):
        status = lifecycle.next_status(status, action)
    assert status == lifecycle.CLOSED
    with pytest.raises(IllegalTransitionError, match="allowed now: .*accept"):
        lifecycle.next_status(lifecycle.ASSIGNED, "close")
    with pytest.raises(IllegalTransitionError, match="unknown action"):
        lifecycle.next_status(lifecycle.ASSIGNED, "teleport")
    assert lifecycle.next_status(lifecycle.VISITING, "send_back") == lifecycle.ASSIGNED


def test_each_kind_gets_its_rule():
    cat = load_catalog()
    assert rule_for(cat, "consult", "education").name == "kb"
    life = rule_for(cat, "life", "drain")
    assert (life.name, life.trade) == ("company", "plumbing")
    assert rule_for(cat, "complaint", "noise").dept == "environment"
    assert rule_for(cat, "emergency", None).dept == "elderly_center"
    assert rule_for(cat, "praise", "thanks").name == "forward"
    with pytest.raises(InvalidCaseError, match="valid kinds"):
        cat.check("gossip", None)


def test_local_department_prefers_district_then_county():
    tree = [DeptNode("city_management", None, "city", None),
            DeptNode("jd_cm", "city_management", "district", "jindong"),
            DeptNode("yiwu_center", None, "county", "yiwu")]
    assert local_department("city_management", "jindong", tree) == "jd_cm"
    assert local_department("city_management", "yiwu", tree) == "yiwu_center"
    assert local_department("city_management", None, tree) == "city_management"


def company(code, lat=29.08, lon=119.65, rating=4.5, load=0, standing="active"):
    return CompanyView(code, code, "plumbing", lat, lon, rating, standing, load)


def test_company_choice_is_nearest_fair_and_best():
    place = (29.08, 119.65)
    near, far = company("near"), company("far", lat=29.30, lon=120.07)
    assert rank_companies([far, near], "plumbing", place)[0].code == "near"
    busy = company("near_busy", load=12)
    assert [c.code for c in rank_companies([busy, far], "plumbing", place)] == ["far"]
    better = company("better", rating=5.0)
    worse = company("worse", rating=2.0)
    assert rank_companies([worse, better], "plumbing", place)[0].code == "better"
    banned = company("banned", standing="suspended")
    assert rank_companies([banned], "plumbing", place) == []
    assert rank_companies([near, far], "plumbing", place, frozenset({"near"}))[0].code == "far"
    assert "km away" in rank_companies([near], "plumbing", place)[0].reason


def test_knowledge_search_finds_the_fitting_entry_or_nothing():
    entries = [knowledge.Entry(1, "education", "小学 入学 报名 材料", "每年5月报名"),
               knowledge.Entry(2, "housing_policy", "公积金 提取 租房", "可在浙里办提取")]
    hit = knowledge.best(entries, "租房可以提取公积金吗")
    assert hit is not None and hit.entry.id == 2 and 0 < hit.score <= 1
    assert knowledge.best(entries, "楼下饭店油烟很大") is None


def test_scorecards_penalise_a_company_that_keeps_missing():
    t0 = datetime(2025, 10, 9, tzinfo=SHANGHAI)
    events = []
    for i in range(10):
        at = t0 + timedelta(minutes=i)
        events.append((at, "assign", {"owner_type": "company", "owner": "slow"}))
        if i < 6:
            events.append((at, "accept", {"owner_type": "company", "owner": "slow",
                                          "on_time": True}))
        else:
            events.append((at, "note", {"contact_missed": "slow"}))
    events += [(t0, "assign", {"owner_type": "department", "owner": "parks"}),
               (t0, "accept", {"owner_type": "department", "owner": "parks", "on_time": True}),
               (t0, "reply", {"owner_type": "department", "owner": "parks", "on_time": False}),
               (t0, "visit", {"owner_type": "department", "owner": "parks", "satisfaction": 3}),
               (t0, "send_back", {"owner_type": "department", "owner": "parks"})]
    cards = scorecards(iter(events), t0, t0 + timedelta(days=1))
    slow = cards["companies"][0]
    assert (slow["on_time_contact_rate"], slow["penalty"]) == (0.6, "order_suspension")
    lenient = scorecards(iter(events), t0, t0 + timedelta(days=1),
                         PenaltyRules(suspend_on_time=0.5, yellow_on_time=0.7))
    assert lenient["companies"][0]["penalty"] == "yellow_card"
    parks = cards["departments"][0]
    assert parks["timely_receipt_rate"] == 1.0
    assert parks["on_time_completion_rate"] == 0.0
    assert parks["send_back_rate"] == 1.0 and parks["satisfaction"] == 0.0
    outside = scorecards(iter(events), t0 + timedelta(days=1), t0 + timedelta(days=2))
    assert outside == {"companies": [], "departments": []}


def test_oversight_actions_keep_the_case_where_it_is_while_it_is_handled():
    for status in lifecycle.HANDLING:
        for action in ("mark_for_leader", "instruct", "finding", "supervise"):
            assert lifecycle.next_status(status, action) == status
    for action in ("mark_for_leader", "instruct", "finding"):
        with pytest.raises(IllegalTransitionError, match=f"cannot {action} a case that is"):
            lifecycle.next_status(lifecycle.REPLIED, action)


def test_a_supervision_notice_can_be_signed_for_whatever_became_of_the_case():
    for status in lifecycle.STATUSES:
        assert lifecycle.next_status(status, "acknowledge_notice") == status


def test_out_of_jurisdiction_closes_only_before_a_local_reply():
    for status in (lifecycle.RECEIVED, *lifecycle.HANDLING):
        assert lifecycle.next_status(status, "close_out_of_jurisdiction") == lifecycle.CLOSED
    for status in (lifecycle.REPLIED, lifecycle.VISITING, lifecycle.CLOSED, lifecycle.MERGED):
        with pytest.raises(IllegalTransitionError):
            lifecycle.next_status(status, "close_out_of_jurisdiction")


def test_a_leaders_instruction_only_ever_brings_the_deadline_closer():
    calendar = WorkCalendar()
    monday = datetime(2025, 10, 13, 9, 0, tzinfo=SHANGHAI)
    far = datetime(2025, 10, 24, 9, 0, tzinfo=SHANGHAI)
    sooner = instruction_due(calendar, monday, far, 2)
    assert sooner is not None and sooner.at == datetime(2025, 10, 15, 9, 0, tzinfo=SHANGHAI)
    assert instruction_due(calendar, monday, monday + timedelta(hours=4), 2) is None
    # an instruction on the eve of a holiday counts working days, not calendar days
    eve = datetime(2025, 9, 30, 16, 0, tzinfo=SHANGHAI)
    assert instruction_due(calendar, eve, None, 1).at == datetime(2025, 10, 9, 16, 0,
                                                                  tzinfo=SHANGHAI)


def test_the_citizen_is_told_why_and_where_to_go():
    text = citizen_message("20251013000007", datetime(2025, 10, 13, 9, 0, tzinfo=SHANGHAI),
                           "属于司法诉讼事项", "人民法院", "婺城区人民法院")
    assert "20251013000007" in text and "10月13日" in text
    assert "属于司法诉讼事项" in text and "人民法院（婺城区人民法院）" in text

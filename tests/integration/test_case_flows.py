"""Each kind of case flows through its rule with the right owner and deadline."""
# ruff: noqa: F811  (pytest fixtures imported from case_support are re-bound as arguments)

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from case_store.errors import InvalidCaseError
from case_store.workdays import SHANGHAI
from tests.integration.case_support import case_clock, case_db, cases  # noqa: F401

pytestmark = pytest.mark.integration
T0 = datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)  # last working day before National Day
NEAR_WUCHENG = (29.0800, 119.6475)


def make(cases, kind, topic, text, **kw):
    case = cases.create_case(channel="phone", caller=kw.pop("caller", "13800000001"),
                             text=text, kind=kind, topic=topic, **kw)
    return cases.route(case.number)


def test_consult_with_a_knowledge_answer_is_answered_at_once(cases):
    case = make(cases, "consult", "social_security", "我想查询一下社保缴费记录在哪里查")
    assert case.status == "replied"  # answered; closed once the citizen is visited
    assert case.owner_type == "kb"
    assert "浙里办" in case.answer


def test_consult_without_an_answer_goes_to_the_department_for_one_working_day(cases):
    case = make(cases, "consult", "education", "孩子户口在外地能不能在这里读初中")
    assert (case.status, case.owner) == ("assigned", "education")
    assert case.due_at == datetime(2025, 10, 9, 10, 0, tzinfo=SHANGHAI)


def test_life_goes_to_the_nearest_company_of_the_trade_with_ten_minutes(cases):
    case = make(cases, "life", "appliance_repair", "空调不制冷了请派师傅上门",
                lat=NEAR_WUCHENG[0], lon=NEAR_WUCHENG[1])
    assert (case.status, case.owner_type, case.owner) == ("assigned", "company",
                                                           "appliance_wucheng")
    assert case.contact_due_at == datetime(2025, 9, 30, 10, 10, tzinfo=SHANGHAI)
    assert "km away" in case.dispatch_reason


@pytest.mark.parametrize("kind,topic,owner,due", [
    ("affairs", "street_light", "city_management", datetime(2025, 10, 14, 10, 0)),
    ("complaint", "noise", "environment", datetime(2025, 10, 28, 10, 0)),
    ("suggestion", "city_suggestion", "development_reform", datetime(2025, 10, 28, 10, 0)),
])
def test_department_kinds_get_their_working_day_deadline(cases, kind, topic, owner, due):
    case = make(cases, kind, topic, f"{topic} 请尽快处理")
    assert (case.status, case.owner_type, case.owner) == ("assigned", "department", owner)
    assert case.due_at == due.replace(tzinfo=SHANGHAI)
    assert case.due_provisional is False


def test_region_routes_to_the_district_department(cases):
    case = make(cases, "affairs", "road_damage", "路面塌了一个坑", region="jindong")
    assert case.owner == "jindong_city_management"


def test_emergency_is_assigned_at_creation_without_routing(cases):
    case = cases.create_case(channel="terminal", caller="05798890001", text="老人摔倒了",
                             kind="emergency", topic="elderly_emergency")
    assert (case.status, case.owner_type, case.owner) == ("assigned", "person",
                                                           "elderly_center")
    assert case.priority > 0


def test_an_emergency_runs_on_minutes_and_only_the_centre_can_act_on_it(cases, case_clock):
    from case_store.access import actions, can_view

    case = cases.create_case(channel="terminal", caller="9003", text="（无应答）",
                             kind="emergency", topic="elderly_emergency")
    assert case.contact_due_at - case.assigned_at == timedelta(minutes=5)
    assert case.due_at - case.assigned_at == timedelta(minutes=60)
    assert cases.sweep().supervised == ()  # not supervised the moment it is made
    centre = {"role": "elderly_centre"}
    assert can_view(centre, case) and "accept" in actions(centre, case)
    assert not can_view(centre, make(cases, "affairs", "street_light", "路灯不亮"))
    assert actions({"role": "department", "dept": "elderly_center"}, case) == []
    cases.transition(case.number, "accept", "elderly_centre")
    case_clock.advance(minutes=61)
    assert cases.sweep().supervised == (case.number,)  # unresolved past the hour


def test_praise_is_recorded_and_forwarded(cases):
    case = make(cases, "praise", "thanks", "感谢环卫工人")
    assert (case.status, case.owner) == ("replied", "supervision_office")
    assert [e.action for e in cases.events(case.number)] == ["create", "forward"]


def test_a_useful_kb_answer_closes_at_its_visit(cases):
    case = make(cases, "consult", "social_security", "我想查询一下社保缴费记录在哪里查")
    [visit] = cases.due_followups()
    assert (visit.case_number, visit.owner_type) == (case.number, "kb")
    closed = cases.record_followup(case.number, 1)
    assert closed.status == "closed" and cases.due_followups() == []


def test_a_kb_answer_that_did_not_help_goes_to_the_topics_department(cases):
    case = make(cases, "consult", "social_security", "我想查询一下社保缴费记录在哪里查")
    handed = cases.record_followup(case.number, 3, note="答复没有用")
    assert (handed.status, handed.owner_type) == ("assigned", "department")
    assert handed.owner == "human_resources"
    assert handed.due_at is not None  # the consultation clock now runs for the department
    send_back = [e for e in cases.events(case.number) if e.action == "send_back"][0]
    assert send_back.data["owner_type"] == "kb" and send_back.data["to"] == handed.owner


def test_praise_is_visited_about_the_hotline_and_a_3_sends_nothing_back(cases):
    case = make(cases, "praise", "thanks", "感谢环卫工人")
    [visit] = cases.due_followups()
    assert (visit.owner_type, visit.owner) == ("hotline", "8890")
    closed = cases.record_followup(case.number, 3)
    assert (closed.status, closed.sent_back_count) == ("closed", 0)


def test_a_departments_visit_keeps_the_kinds_own_answers(cases):
    case = make(cases, "affairs", "street_light", "路灯不亮")
    cases.transition(case.number, "accept", case.owner)
    cases.transition(case.number, "reply", case.owner, reply="已修复")
    cases.record_followup(case.number, 2, answers={"timeliness": 3, "attitude": 1})
    visit = [e for e in cases.events(case.number) if e.action == "visit"][0]
    assert visit.data["answers"] == {"timeliness": 3, "attitude": 1}
    with pytest.raises(InvalidCaseError):
        cases.record_followup(case.number, 1, answers={"timeliness": 7})
    with pytest.raises(InvalidCaseError):
        cases.record_followup(case.number, 1, answers={"drop table": 1})


def test_routing_twice_changes_nothing(cases):
    case = make(cases, "affairs", "street_light", "路灯不亮")
    again = cases.route(case.number)
    assert again == case
    assert [e.action for e in cases.events(case.number)] == ["create", "assign"]

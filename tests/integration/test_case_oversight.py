"""Leader approval, joint handling, out-of-jurisdiction closure and supervision notices
against a real database (SQLite and PostgreSQL)."""
# ruff: noqa: F811  (pytest fixtures imported from case_support are re-bound as arguments)

from __future__ import annotations

from datetime import datetime

import pytest

from case_store.accounts import AccountStore
from case_store.errors import IllegalTransitionError
from case_store.notices import NoticeNotFoundError
from case_store.policy import REFERRALS
from case_store.workdays import SHANGHAI
from tests.integration.case_support import case_clock, case_db, cases  # noqa: F401

pytestmark = pytest.mark.integration
PASSWORD = "correct-horse-42"


def new(cases, text="路灯坏了", caller="13800000001"):
    case = cases.create_case(channel="phone", caller=caller, text=text, kind="affairs",
                             topic="street_light")
    return cases.route(case.number)


def actions(cases, number) -> list[str]:
    return [e.action for e in cases.events(number)]


def test_a_leaders_instruction_is_attached_and_brings_the_deadline_closer(cases, case_clock):
    accounts = AccountStore(cases.engine)
    accounts.add_user("leader1", "leader", PASSWORD)
    accounts.add_user("leader2", "leader", PASSWORD)
    accounts.add_user("sup9", "supervisor", PASSWORD)
    case = new(cases)
    assert case.due_at == datetime(2025, 10, 14, 10, 0, tzinfo=SHANGHAI)
    with pytest.raises(IllegalTransitionError, match="not a leader's account"):
        cases.transition(case.number, "mark_for_leader", "supervisor:sup9", leader="sup9")
    with pytest.raises(IllegalTransitionError, match="not waiting for 'leader1'"):
        cases.transition(case.number, "instruct", "leader:leader1", leader="leader1",
                         instruction="抓紧办理")
    cases.transition(case.number, "mark_for_leader", "supervisor:sup9", leader="leader1",
                     note="群众多次反映")
    assert [c.number for c in cases.marked_for("leader1")] == [case.number]
    assert cases.marked_for("leader2") == []
    with pytest.raises(IllegalTransitionError, match="not waiting for 'leader2'"):
        cases.transition(case.number, "instruct", "leader:leader2", leader="leader2",
                         instruction="我来批")
    case_clock.now = datetime(2025, 10, 9, 9, 0, tzinfo=SHANGHAI)
    after = cases.transition(case.number, "instruct", "leader:leader1", leader="leader1",
                             instruction="请城管局两日内修复并回复市民")
    # two working days from Thursday 9 October: Friday 10, Saturday 11 (a make-up day)
    assert after.due_at == datetime(2025, 10, 11, 9, 0, tzinfo=SHANGHAI)
    assert after.leader == "leader1" and after.leader_instructed_at is not None
    event = cases.events(case.number)[-1]
    assert event.action == "instruct" and event.data["instruction"].startswith("请城管局")
    assert event.data["was_due_at"].startswith("2025-10-14T10:00")
    assert event.data["owner"] == "city_management"
    with pytest.raises(IllegalTransitionError, match="not waiting"):  # once per marking
        cases.transition(case.number, "instruct", "leader:leader1", leader="leader1",
                         instruction="再批一次")


def test_an_instruction_never_gives_a_case_more_time(cases, case_clock):
    AccountStore(cases.engine).add_user("leader1", "leader", PASSWORD)
    case = new(cases)
    cases.transition(case.number, "mark_for_leader", "sup", leader="leader1")
    case_clock.now = datetime(2025, 10, 13, 10, 0, tzinfo=SHANGHAI)  # due tomorrow at 10
    after = cases.transition(case.number, "instruct", "leader:leader1", leader="leader1",
                             instruction="按期办结")
    assert after.due_at == case.due_at


def test_joint_handling_counts_each_departments_part(cases, case_clock):
    case = new(cases)
    cases.transition(case.number, "add_cohandler", "sup", dept="environment")
    cases.transition(case.number, "add_cohandler", "sup", dept="housing")
    cases.transition(case.number, "accept", "city_management")
    with pytest.raises(IllegalTransitionError, match="not a co-handler"):
        cases.transition(case.number, "finding", "city_management", dept="city_management",
                         finding="牵头单位不写会办意见")
    cases.transition(case.number, "finding", "environment", dept="environment",
                     finding="线路无污染隐患")
    case_clock.now = datetime(2025, 10, 15, 9, 0, tzinfo=SHANGHAI)  # past the deadline
    reply = "经会办，路灯已修复。环保：线路无污染隐患。"
    cases.transition(case.number, "reply", "city_management", reply=reply)
    events = {e.action: e for e in cases.events(case.number)}
    finding = events["finding"].data
    assert (finding["owner_type"], finding["owner"], finding["on_time"]) == \
        ("department", "environment", True)
    joint = events["reply"].data
    assert joint["owner"] == "city_management" and joint["on_time"] is False
    assert joint["cohandlers"] == ["environment", "housing"]
    assert joint["findings_from"] == ["environment"]
    assert joint["findings_missing"] == ["housing"]
    with pytest.raises(IllegalTransitionError):  # replied: the joint part is over
        cases.transition(case.number, "finding", "housing", dept="housing", finding="迟到")


def test_out_of_jurisdiction_closure_tells_the_citizen_where_to_go(cases):
    case = new(cases, text="要求法院重新审理我的离婚案件")
    closed = cases.transition(case.number, "close_out_of_jurisdiction", "supervisor:sup1",
                              reason="属于司法审判事项", referral="人民法院",
                              detail="婺城区人民法院")
    assert closed.status == "closed"
    event = cases.events(case.number)[-1]
    assert event.action == "close_out_of_jurisdiction" and event.to_status == "closed"
    assert (event.data["reason"], event.data["referral"]) == ("属于司法审判事项", "人民法院")
    assert event.data["referral_detail"] == "婺城区人民法院"
    notice = event.data["notify_citizen"]
    assert case.number in notice and "人民法院（婺城区人民法院）" in notice
    assert cases.list_cases() == []  # no longer open anywhere
    with pytest.raises(IllegalTransitionError):
        cases.transition(case.number, "close_out_of_jurisdiction", "sup", reason="x",
                         referral=REFERRALS[0])


def test_a_replied_case_cannot_be_closed_as_out_of_jurisdiction(cases):
    case = new(cases)
    cases.transition(case.number, "accept", "city_management")
    cases.transition(case.number, "reply", "city_management", reply="已修复")
    with pytest.raises(IllegalTransitionError, match="cannot close_out_of_jurisdiction"):
        cases.transition(case.number, "close_out_of_jurisdiction", "sup", reason="x",
                         referral=REFERRALS[0])
    assert cases.get_case(case.number).status == "replied"


def test_an_overdue_case_gets_a_numbered_notice_its_department_acknowledges(cases,
                                                                          case_clock):
    case = new(cases)
    cases.transition(case.number, "accept", "city_management")
    case_clock.now = datetime(2026, 1, 5, 10, 0, tzinfo=SHANGHAI)
    assert cases.sweep().supervised == (case.number,)
    [notice] = cases.supervision_notices(owner="city_management")
    assert notice.number.startswith("DB-2026-") and len(notice.number) == 14
    assert (notice.case_number, notice.reason) == (case.number, "超过办理期限未办结")
    assert notice.due_at == case.due_at and notice.acknowledged_at is None
    supervise = cases.events(case.number)[-1]
    assert supervise.action == "supervise" and supervise.data["notice_no"] == notice.number
    assert supervise.data["owner"] == "city_management"
    with pytest.raises(IllegalTransitionError, match="addressed to city_management"):
        cases.transition(case.number, "acknowledge_notice", "environment",
                         notice=notice.number, dept="environment")
    cases.transition(case.number, "acknowledge_notice", "department:dept_cm",
                     notice=notice.number, dept="city_management")
    signed = cases.notice(notice.number)
    assert signed.acknowledged_at == case_clock.now
    assert signed.acknowledged_by == "department:dept_cm"
    assert actions(cases, case.number)[-1] == "acknowledge_notice"
    with pytest.raises(IllegalTransitionError, match="already"):
        cases.transition(case.number, "acknowledge_notice", "department:dept_cm",
                         notice=notice.number, dept="city_management")
    with pytest.raises(NoticeNotFoundError):
        cases.notice("DB-2026-999999")


def test_a_supervisor_supervises_by_hand_with_a_reason_and_each_notice_has_its_number(cases):
    case = new(cases)
    cases.transition(case.number, "supervise", "supervisor:sup1", reason="群众反映强烈")
    cases.transition(case.number, "supervise", "supervisor:sup1")
    notices = cases.supervision_notices(case_number=case.number)
    assert len({n.number for n in notices}) == 2
    assert {n.reason for n in notices} == {"群众反映强烈", "督促加快办理"}
    assert [e.data["notice_no"] for e in cases.events(case.number)
            if e.action == "supervise"] == [n.number for n in reversed(notices)]

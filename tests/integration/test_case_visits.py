"""A follow-up visit the automatic calls gave up on goes to an agent: it is no longer
dialled, agents can list it, and the agent's answer is recorded like a phone answer."""
# ruff: noqa: F811  (pytest fixtures imported from case_support are re-bound as arguments)

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from case_store.errors import IllegalTransitionError, InvalidCaseError
from case_store.workdays import SHANGHAI
from tests.integration.case_support import case_clock, case_db, cases  # noqa: F401

pytestmark = pytest.mark.integration


def replied(cases, caller: str = "13800000001") -> str:
    case = cases.route(cases.create_case(channel="phone", caller=caller, text="路灯坏了",
                                         kind="affairs", topic="street_light").number)
    cases.transition(case.number, "accept", "city_management")
    cases.transition(case.number, "reply", "city_management", reply="已修复")
    return case.number


def hand_over(cases, number: str) -> None:
    """What the dialler writes after its last unanswered call."""
    cases.transition(number, "note", "followup", followup="handed_over", attempts=3,
                     reason="unreachable", message="电话回访未成功，请人工回访")


def test_a_handed_over_visit_leaves_the_dialler_and_waits_for_an_agent(cases, case_clock):
    number = replied(cases)
    other = replied(cases, "13800000002")
    case_clock.advance(hours=2)
    hand_over(cases, number)
    assert [v.case_number for v in cases.due_followups()] == [other]
    waiting = cases.agent_followups()
    assert [(v.case_number, v.caller) for v in waiting] == [(number, "13800000001")]
    assert waiting[0].handed_over_at == datetime(2025, 9, 30, 12, 0, tzinfo=SHANGHAI)

    closed = cases.record_followup(number, 2, note="visited at home", actor="agent-8001")
    assert closed.status == "closed"
    assert cases.agent_followups() == []
    visit = [e for e in cases.events(number) if e.action == "visit"][0]
    assert (visit.actor, visit.data["satisfaction"]) == ("agent-8001", 2)


def test_after_a_send_back_the_next_visit_is_dialled_again(cases):
    number = replied(cases)
    hand_over(cases, number)
    cases.record_followup(number, 3, actor="agent-8001")  # the agent hears "not satisfied"
    cases.transition(number, "accept", "city_management")
    cases.transition(number, "reply", "city_management", reply="重新修复")
    assert [v.case_number for v in cases.due_followups()] == [number]
    assert cases.agent_followups() == []


def test_a_citizen_the_agent_cannot_reach_closes_the_case_without_a_score(cases):
    from case_store.scores import tally

    number = replied(cases)
    hand_over(cases, number)
    closed = cases.record_unreachable(number, actor="agent-8001", note="三次无人接听")
    assert closed.status == "closed"
    assert cases.agent_followups() == [] and cases.due_followups() == []
    visit = [e for e in cases.events(number) if e.action == "visit"][0]
    assert visit.data["unreachable"] is True and visit.data["satisfaction"] is None
    events = [(e.at, e.action, e.data) for e in cases.events(number)]
    tallies = tally(events, events[0][0], events[-1][0] + timedelta(seconds=1))
    assert any(t.replied for t in tallies.values())  # the handler is in the tally
    assert sum(t.visits + t.complaints for t in tallies.values()) == 0  # no score either way
    with pytest.raises(IllegalTransitionError):
        cases.record_unreachable(number, actor="agent-8001")


def test_bad_agent_answers_are_refused_and_change_nothing(cases):
    number = replied(cases)
    hand_over(cases, number)
    with pytest.raises(InvalidCaseError, match="1 \\(satisfied\\)"):
        cases.record_followup(number, 4, actor="agent-8001")
    with pytest.raises(InvalidCaseError):
        cases.record_followup(number, 1, company_time=7, actor="agent-8001")
    assert cases.get_case(number).status == "replied"
    assert [v.case_number for v in cases.agent_followups()] == [number]
    unreplied = cases.route(cases.create_case(channel="sms", caller="13800000003",
                                              text="井盖丢了", kind="affairs",
                                              topic="street_light").number)
    with pytest.raises(IllegalTransitionError, match="no follow-up waiting"):
        cases.record_followup(unreplied.number, 1, actor="agent-8001")
    assert cases.get_case(unreplied.number).status == "assigned"

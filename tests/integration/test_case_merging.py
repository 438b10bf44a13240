"""Reports of one place and topic by different callers become one case to work, with every
caller attached and followed up; different topics, closed cases and old cases never merge."""
# ruff: noqa: F811  (pytest fixtures imported from case_support are re-bound as arguments)

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from case_store.models import Outbox
from case_store.policy import CasePolicy
from case_store.store import CaseStore
from tests.integration.case_support import case_clock, case_db, cases  # noqa: F401

pytestmark = pytest.mark.integration


def report(cases, caller: str, place: str | None = "宾虹路128号", topic: str = "street_light",
           kind: str = "affairs", text: str = "路灯不亮"):
    case = cases.create_case(channel="phone", caller=caller, text=text, kind=kind,
                             topic=topic, place=place)
    return case if case.duplicate else cases.route(case.number)


def outbox_rows(cases) -> int:
    with Session(cases.engine) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Outbox))


def test_second_caller_about_the_same_place_and_topic_joins_the_open_case(cases, case_clock):
    first = report(cases, "13900000001")
    case_clock.advance(hours=5)
    second = report(cases, "13900000002", place=" 宾虹路１２８号 ", text="宾虹路的路灯坏了好几天")
    assert second.duplicate and second.number != first.number
    assert (second.status, second.merged_into, second.caller) == (
        "merged", first.number, "13900000002")
    assert second.text == "宾虹路的路灯坏了好几天"  # their own words are kept
    assert outbox_rows(cases) == 1  # only the original is routed
    assert cases.route(second.number).status == "merged"  # a stray routing message: no-op
    note = cases.events(first.number)[-1]
    assert (note.action, note.data) == ("note", {"merged_from": second.number,
                                                 "caller": "13900000002",
                                                 "rule": "same place and topic"})
    merge = cases.events(second.number)[-1]
    assert (merge.action, merge.data["into"]) == ("merge", first.number)
    assert cases.get_case(first.number).status == "assigned"


@pytest.mark.parametrize("other", [
    {"topic": "road_damage", "text": "路面塌了个坑"},  # another topic
    {"place": "宾虹路128号楼"},  # another place (exact normalised match only)
    {"place": None},  # no place: nothing to match on
])
def test_different_topic_or_place_is_a_separate_case(cases, other):
    first = report(cases, "13900000001")
    second = report(cases, "13900000002", **other)
    assert not second.duplicate and second.merged_into is None
    assert second.number != first.number and second.status == "assigned"


def test_the_same_street_name_in_another_county_is_another_case(cases):
    first = cases.route(cases.create_case(channel="phone", caller="13900000001",
                                          text="路灯不亮", kind="affairs", topic="street_light",
                                          place="城西街道", region="wucheng").number)
    yiwu = cases.create_case(channel="phone", caller="13900000002", text="路灯不亮",
                             kind="affairs", topic="street_light", place="城西街道",
                             region="yiwu")
    assert not yiwu.duplicate and yiwu.merged_into is None
    same = cases.create_case(channel="phone", caller="13900000003", text="路灯不亮",
                             kind="affairs", topic="street_light", place="城西街道",
                             region="wucheng")
    assert same.merged_into == first.number


def test_no_merge_into_a_replied_or_closed_case_or_after_the_window(cases, case_clock):
    first = report(cases, "13900000001")
    cases.transition(first.number, "accept", "city_management")
    cases.transition(first.number, "reply", "city_management", reply="已修复")
    after_reply = report(cases, "13900000002")  # still broken after the reply: new case
    assert not after_reply.duplicate
    case_clock.advance(hours=25)
    late = report(cases, "13900000003")
    assert not late.duplicate  # the open case is older than the 24 h window


def test_the_window_comes_from_the_policy(case_db, case_clock):
    store = CaseStore(case_db, clock=case_clock,
                      policy=CasePolicy(merge_window=timedelta(hours=1)))
    store.setup()
    try:
        report(store, "13900000001")
        case_clock.advance(minutes=61)
        assert not report(store, "13900000002").duplicate
    finally:
        store.close()


def test_emergencies_are_never_merged(cases):
    kw = {"kind": "emergency", "topic": "elderly_emergency", "text": "老人摔倒了"}
    first = report(cases, "13900000001", **kw)
    second = report(cases, "13900000002", **kw)
    assert not second.duplicate and second.number != first.number


def test_every_attached_caller_hears_the_reply_and_gets_a_visit(cases):
    first = report(cases, "13900000001")
    second = report(cases, "13900000002")
    cases.transition(first.number, "accept", "city_management")
    cases.transition(first.number, "reply", "city_management", reply="已更换灯泡")
    due = {(v.case_number, v.caller, v.owner) for v in cases.due_followups()}
    assert due == {(first.number, "13900000001", "city_management"),
                   (second.number, "13900000002", "city_management")}
    told = cases.events(second.number)[-1]
    assert told.data == {"reply_from": "city_management", "original": first.number,
                         "reply": "已更换灯泡"}

    cases.record_followup(first.number, 1)
    assert cases.get_case(first.number).status == "visiting"  # one caller still to answer
    cases.record_followup(second.number, 2)
    assert cases.get_case(first.number).status == "closed"
    assert cases.get_case(second.number).status == "merged"
    assert cases.due_followups() == []


def test_an_attached_caller_not_satisfied_sends_the_original_back(cases):
    first = report(cases, "13900000001")
    second = report(cases, "13900000002")
    cases.transition(first.number, "accept", "city_management")
    cases.transition(first.number, "reply", "city_management", reply="已修复")
    cases.record_followup(second.number, 3)
    back = cases.get_case(first.number)
    assert (back.status, back.owner, back.sent_back_count) == ("assigned", "city_management", 1)
    assert cases.due_followups() == []  # the original caller's visit waits for the next reply
    cases.transition(first.number, "accept", "city_management")
    cases.transition(first.number, "reply", "city_management", reply="这次真修好了")
    assert len(cases.due_followups()) == 2

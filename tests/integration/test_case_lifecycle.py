"""Handling, deadlines, follow-up and bad input against a real database."""
# ruff: noqa: F811  (pytest fixtures imported from case_support are re-bound as arguments)

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from case_store.errors import (
    CalendarRangeError,
    IllegalTransitionError,
    InvalidCaseError,
    UnknownActionError,
    UnknownDepartmentError,
)
from case_store.models import Case, CaseEvent, Outbox
from case_store.scores import scorecards
from case_store.workdays import SHANGHAI
from tests.integration.case_support import case_clock, case_db, cases  # noqa: F401

pytestmark = pytest.mark.integration
NEAR_WUCHENG = {"lat": 29.0800, "lon": 119.6475}


def new(cases, kind="affairs", topic="street_light", text="路灯坏了", caller="13800000001", **kw):
    case = cases.create_case(channel="phone", caller=caller, text=text, kind=kind, topic=topic,
                             **kw)
    return cases.route(case.number)


def count(cases, model) -> int:
    with Session(cases.engine) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def test_unconfirmed_life_dispatch_moves_on_and_counts_against_the_first(cases, case_clock):
    case = new(cases, "life", "unlock", "钥匙丢了进不了门", **NEAR_WUCHENG)
    first = case.owner
    case_clock.advance(minutes=9)
    assert cases.sweep().redispatched == ()
    case_clock.advance(minutes=2)
    assert cases.sweep().redispatched == (case.number,)
    moved = cases.get_case(case.number)
    assert moved.owner_type == "company" and moved.owner != first
    assert moved.contact_due_at == datetime(2025, 9, 30, 10, 21, tzinfo=SHANGHAI)
    assert moved.assigned_at == case.assigned_at  # the handling clock was not reset
    cases.confirm_contact(case.number, moved.owner)
    with pytest.raises(IllegalTransitionError):
        cases.confirm_contact(case.number, first)  # the first company lost it
    start, end = datetime(2025, 9, 1, tzinfo=SHANGHAI), datetime(2025, 11, 1, tzinfo=SHANGHAI)
    cards = {c["company"]: c for c in
             scorecards(cases.iter_events(start, end), start, end)["companies"]}
    assert cards[first]["missed_contacts"] == 1
    assert cards[first]["on_time_contact_rate"] == 0.0
    assert cards[moved.owner]["on_time_contact_rate"] == 1.0


def test_same_request_twice_within_a_minute_is_merged(cases, case_clock):
    first = cases.create_case(channel="phone", caller="13900000002", text="小区门口路灯坏了",
                              kind="affairs", topic="street_light")
    case_clock.advance(seconds=40)
    second = cases.create_case(channel="wechat", caller="13900000002",
                               text="小区门口 路灯坏了！", kind="affairs", topic="street_light")
    assert second.number == first.number and second.duplicate
    assert count(cases, Case) == 1
    assert count(cases, Outbox) == 1
    case_clock.advance(minutes=5)
    later = cases.create_case(channel="phone", caller="13900000002", text="小区门口路灯坏了",
                              kind="affairs", topic="street_light")
    assert later.number != first.number


def test_full_life_of_a_department_case_with_send_back(cases, case_clock):
    case = new(cases)
    cases.transition(case.number, "accept", "city_management")
    cases.transition(case.number, "start", "city_management")
    cases.transition(case.number, "reply", "city_management", reply="已修复")
    due = cases.due_followups()
    assert [f.case_number for f in due] == [case.number]
    case_clock.now = datetime(2025, 10, 9, 10, 0, tzinfo=SHANGHAI)
    back = cases.record_followup(case.number, 3)
    assert (back.status, back.owner, back.sent_back_count) == ("assigned", "city_management", 1)
    assert back.due_at == datetime(2025, 10, 15, 10, 0, tzinfo=SHANGHAI)  # fresh 5 days
    cases.transition(case.number, "accept", "city_management")
    cases.transition(case.number, "reply", "city_management")
    closed = cases.record_followup(case.number, 1)
    assert closed.status == "closed"
    assert cases.due_followups() == []
    actions = [e.action for e in cases.events(case.number)]
    assert actions == ["create", "assign", "accept", "start", "reply", "visit", "send_back",
                       "accept", "reply", "visit", "close"]


def test_illegal_transition_raises_and_writes_nothing(cases):
    case = new(cases)
    before = count(cases, CaseEvent)
    with pytest.raises(IllegalTransitionError, match="cannot reply a case that is assigned"):
        cases.transition(case.number, "reply", "city_management")
    assert count(cases, CaseEvent) == before
    assert cases.get_case(case.number).status == "assigned"


def test_unknown_action_and_wrong_keywords_raise_and_write_nothing(cases):
    case = new(cases)
    before = count(cases, CaseEvent)
    with pytest.raises(UnknownActionError, match="'teleport' is not a handling action"):
        cases.transition(case.number, "teleport", "operator")
    with pytest.raises(IllegalTransitionError, match="bad arguments for reassign: unexpected"):
        cases.transition(case.number, "reassign", "operator", dept="parks")
    assert count(cases, CaseEvent) == before
    assert cases.get_case(case.number).owner == case.owner


def test_reassign_keeps_the_clock_and_unknown_department_is_refused(cases, case_clock):
    case = new(cases)
    case_clock.advance(hours=3)
    moved = cases.transition(case.number, "reassign", "operator", to="parks")
    assert moved.owner == "parks" and moved.due_at == case.due_at
    with pytest.raises(UnknownDepartmentError, match="no_such_dept"):
        cases.transition(case.number, "reassign", "operator", to="no_such_dept")
    assert cases.get_case(case.number).owner == "parks"


def test_first_responsible_department_keeps_the_case_with_cohandlers(cases):
    case = new(cases, "complaint", "pollution", "饭店油烟直排还往河里倒污水")
    with_help = cases.transition(case.number, "add_cohandler", "environment",
                                 dept="city_management")
    assert with_help.owner == "environment"
    assert with_help.cohandlers == ("city_management",)


def test_overdue_case_gets_one_supervision_notice_and_extension_moves_deadline(cases,
                                                                               case_clock):
    case = new(cases)
    cases.transition(case.number, "accept", "city_management")
    with pytest.raises(IllegalTransitionError, match="supervision_office"):
        cases.transition(case.number, "extend", "city_management", days=3, approved_by="")
    case_clock.now = datetime(2025, 10, 14, 10, 1, tzinfo=SHANGHAI)
    assert cases.sweep().supervised == (case.number,)
    assert cases.sweep().supervised == ()
    assert [c.number for c in cases.list_cases(overdue=True)] == [case.number]
    longer = cases.transition(case.number, "extend", "supervision_office", days=3,
                              approved_by="supervision_office")
    assert longer.due_at == datetime(2025, 10, 17, 10, 0, tzinfo=SHANGHAI)
    with pytest.raises(IllegalTransitionError, match="15"):
        cases.transition(case.number, "extend", "supervision_office", days=13,
                         approved_by="supervision_office")


def test_bad_input_is_refused_with_a_clear_error_and_nothing_written(cases):
    bad = [
        dict(kind="gossip", topic="noise", text="x"),
        dict(kind="complaint", topic="no_such_topic", text="x"),
        dict(kind="complaint", topic="noise", text="吵" * 100_000),
        dict(kind="complaint", topic="noise", text="   "),
    ]
    for fields in bad:
        with pytest.raises(InvalidCaseError):
            cases.create_case(channel="phone", caller="13800000009", **fields)
    with pytest.raises(InvalidCaseError, match="channel"):
        cases.create_case(channel="fax", caller="13800000009", text="x", kind="consult")
    assert count(cases, Case) == 0
    assert count(cases, Outbox) == 0


def test_sql_looking_text_is_stored_verbatim(cases):
    nasty = "路灯坏了'); DROP TABLE cases; -- \" OR 1=1"
    case = new(cases, text=nasty, caller="13800000010")
    assert cases.get_case(case.number).text == nasty
    assert count(cases, Case) == 1


def test_date_out_of_calendar_range_writes_nothing(cases, case_clock):
    case_clock.now = datetime(2100, 3, 1, 10, 0, tzinfo=SHANGHAI)
    case = cases.create_case(channel="phone", caller="13800000011", text="路灯坏了",
                             kind="affairs", topic="street_light")
    with pytest.raises(CalendarRangeError, match="2100"):
        cases.route(case.number)
    assert cases.get_case(case.number).status == "received"
    assert [e.action for e in cases.events(case.number)] == ["create"]


def test_event_log_is_append_only(cases):
    new(cases)
    with pytest.raises(sa.exc.DatabaseError), Session(cases.engine) as s, s.begin():
        s.execute(sa.update(CaseEvent).values(actor="someone else"))
    with pytest.raises(sa.exc.DatabaseError), Session(cases.engine) as s, s.begin():
        s.execute(sa.delete(CaseEvent))


def test_loading_the_official_schedule_recomputes_provisional_deadlines(cases, case_clock):
    case_clock.now = datetime(2026, 12, 31, 16, 0, tzinfo=SHANGHAI)
    case = new(cases, "consult", "education", "孩子户口在外地能不能在这里读初中")
    assert case.due_provisional
    assert case.due_at == datetime(2027, 1, 4, 16, 0, tzinfo=SHANGHAI)
    # suppose the State Council makes Sat 2 January 2027 a make-up working day
    changed = cases.load_schedule("year: 2027\nholidays: [2027-01-01]\nworkdays: [2027-01-02]\n")
    assert changed == 1
    after = cases.get_case(case.number)
    assert after.due_at == datetime(2027, 1, 2, 16, 0, tzinfo=SHANGHAI)
    assert after.due_provisional is False


def test_caller_history_lists_their_cases_newest_first(cases, case_clock):
    a = new(cases, caller="13700000001", text="路灯坏了")
    case_clock.advance(minutes=5)
    b = new(cases, "complaint", "noise", "楼上半夜唱歌", caller="13700000001")
    assert [c.number for c in cases.caller_history("13700000001")] == [b.number, a.number]

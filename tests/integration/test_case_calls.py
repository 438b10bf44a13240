"""Call records and durable callbacks, as the ACD writes and reloads them (SQLite and PG)."""
# ruff: noqa: F811  (pytest fixtures imported from case_support are re-bound as arguments)

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from case_store.db import migrate
from case_store.errors import (
    CallbackNotFoundError,
    CallNotFoundError,
    CaseStoreError,
)
from case_store.store import CaseStore
from case_store.workdays import SHANGHAI
from tests.integration.case_support import case_clock, case_db, cases  # noqa: F401

pytestmark = pytest.mark.integration
T0 = datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)
HOSTILE = "O'Brien \"x\"'); DROP TABLE calls; -- 张三 %_\\"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def arrive(cases, uniqueid: str, seconds: float = 0, **fields):
    return cases.record_call(uniqueid, caller=fields.pop("caller", "13800000001"),
                             origin=fields.pop("origin", "trunk"), arrived_at=at(seconds),
                             **fields)


def promise(cases, callback_id: str, *, arrived: float, due: float, **fields):
    return cases.save_callback(callback_id, caller=fields.pop("caller", "13800000001"),
                               callback_number=fields.pop("callback_number", "13800000001"),
                               origin="trunk", arrived_at=at(arrived), due_at=at(due), **fields)


# -- call records ----------------------------------------------------------------------


def test_arrival_answer_and_hangup_land_on_one_row(cases):
    arrive(cases, "1727661600.1", caller_name="Li Lei")
    cases.record_call("1727661600.1", ring_started_at=at(1), answered_at=at(6), seat="1001",
                      rang_ms=5000, waited_ms=6000, seats_tried=1)
    call = cases.record_call("1727661600.1", ended_at=at(190), outcome="answered_in_window")

    assert cases.get_call("1727661600.1") == call
    assert (call.caller, call.caller_name, call.origin) == ("13800000001", "Li Lei", "trunk")
    assert (call.arrived_at, call.ring_started_at, call.answered_at, call.ended_at) == (
        T0, at(1), at(6), at(190))
    assert (call.seat, call.rang_ms, call.waited_ms, call.seats_tried) == ("1001", 5000, 6000, 1)
    assert call.outcome == "answered_in_window"
    assert call.arrived_at.tzinfo is not None
    assert [c.uniqueid for c in cases.calls()] == ["1727661600.1"]


def test_a_call_in_progress_has_no_outcome_yet(cases):
    assert arrive(cases, "1727661600.2").outcome is None
    assert arrive(cases, "1727661600.2").seats_tried == 0


def test_a_repeated_arrival_write_keeps_one_row_and_the_first_arrival_time(cases, case_clock):
    case_clock.now = at(0)
    cases.record_call("1727661600.3", caller="13800000001", origin="trunk")
    cases.record_call("1727661600.3", seat="1002")
    case_clock.advance(seconds=30)
    again = cases.record_call("1727661600.3", caller="13800000001", origin="trunk")
    assert again.arrived_at == T0  # a retry without arrived_at does not move the arrival
    assert again.seat == "1002"  # fields not given are left alone
    assert len(cases.calls()) == 1


def test_fields_given_as_none_are_cleared(cases):
    arrive(cases, "1727661600.4", seat="1003")
    assert cases.record_call("1727661600.4", seat=None).seat is None


def test_a_later_write_for_a_call_never_recorded_is_refused(cases):
    with pytest.raises(CallNotFoundError, match="needs caller and origin"):
        cases.record_call("1727661600.5", answered_at=at(5), seat="1001")
    with pytest.raises(CallNotFoundError):
        cases.get_call("1727661600.5")
    assert cases.calls() == []


@pytest.mark.parametrize("bad,message", [
    ({"outcome": "lost"}, "unknown outcome"),
    ({"origin": "pstn"}, "unknown origin"),
    ({"caller_name": "x" * 65}, "caller_name has 65 characters"),
    ({"answered_at": datetime(2025, 9, 30, 10, 0, 5)}, "naive"),
    ({"rang_ms": -1}, "rang_ms must be between"),
    ({"waited_ms": "6000"}, "whole number"),
    ({"sead": "1001"}, "no field sead"),
    ({"caller": None}, "caller must be text"),
    ({"caller": "1380\x000001"}, "NUL"),
])
def test_bad_call_values_raise_and_write_nothing(cases, bad, message):
    before = arrive(cases, "1727661600.6")
    with pytest.raises(CaseStoreError, match=message):
        cases.record_call("1727661600.6", seat="1009", **bad)  # the good field is not kept
    assert cases.get_call("1727661600.6") == before
    with pytest.raises(CaseStoreError, match=message):
        arrive(cases, "1727661600.7", **bad)
    assert [c.uniqueid for c in cases.calls()] == ["1727661600.6"]


def test_caller_text_that_looks_like_sql_is_stored_verbatim(cases):
    arrive(cases, "1727661600.8", caller="'; DELETE FROM calls; --", caller_name=HOSTILE)
    call = cases.get_call("1727661600.8")
    assert (call.caller, call.caller_name) == ("'; DELETE FROM calls; --", HOSTILE)
    assert cases.calls_for_case("' OR '1'='1") == []
    assert len(cases.calls()) == 1


def test_calls_come_newest_first_and_since_limits_them(cases):
    for n, seconds in enumerate((0, 60, 30)):
        arrive(cases, f"1727661600.{10 + n}", seconds)
    assert [c.uniqueid for c in cases.calls()] == ["1727661600.11", "1727661600.12",
                                                   "1727661600.10"]
    assert [c.uniqueid for c in cases.calls(since=at(30))] == ["1727661600.11",
                                                               "1727661600.12"]
    assert [c.uniqueid for c in cases.calls(since=at(30).astimezone(UTC), limit=1)] == [
        "1727661600.11"]
    with pytest.raises(CaseStoreError, match="limit"):
        cases.calls(limit=0)


def test_calls_for_a_case_are_the_calls_linked_to_it(cases):
    case = cases.create_case(channel="phone", caller="13800000001", text="路灯不亮",
                             kind="affairs", topic="street_light")
    arrive(cases, "1727661600.20", 0, case_number=case.number)
    arrive(cases, "1727661600.21", 60)
    cases.record_call("1727661600.21", case_number=case.number)
    arrive(cases, "1727661600.22", 120)
    assert [c.uniqueid for c in cases.calls_for_case(case.number)] == ["1727661600.21",
                                                                       "1727661600.20"]


# -- callbacks ---------------------------------------------------------------------------


def test_pending_callbacks_come_back_by_deadline_after_a_restart(cases, case_db, case_clock):
    promise(cases, "cb-late", arrived=100, due=400, priority=1)
    promise(cases, "cb-second", arrived=20, due=320)
    promise(cases, "cb-first", arrived=10, due=320)
    promise(cases, "cb-done", arrived=0, due=300)
    cases.update_callback("cb-done", status="done", outcome="answered")
    cases.update_callback("cb-late", status="dialing", attempts=1)

    reopened = CaseStore(case_db, clock=case_clock)  # what the ACD sees after a restart
    try:
        owed = reopened.pending_callbacks()
    finally:
        reopened.close()
    assert [c.callback_id for c in owed] == ["cb-first", "cb-second", "cb-late"]
    first = owed[0]
    assert (first.arrived_at, first.due_at, first.status) == (at(10), at(320), "pending")
    assert (owed[2].status, owed[2].attempts, owed[2].priority) == ("dialing", 1, 1)
    assert cases.pending_callbacks(limit=1) == owed[:1]


def test_saving_a_callback_twice_keeps_the_first(cases, case_clock):
    first = promise(cases, "cb-1", arrived=0, due=300, priority=2)
    case_clock.advance(seconds=5)
    again = promise(cases, "cb-1", arrived=5, due=305, priority=9)
    assert again == first
    assert [c.callback_id for c in cases.pending_callbacks()] == ["cb-1"]


def test_a_callback_is_dialled_then_done(cases, case_clock):
    saved = promise(cases, "cb-2", arrived=0, due=300, transcript="路灯不亮")
    assert (saved.status, saved.attempts, saved.done_at) == ("pending", 0, None)
    case_clock.advance(seconds=40)
    cases.update_callback("cb-2", status="dialing", attempts=1, seat="1001")
    case_clock.advance(seconds=20)
    done = cases.update_callback("cb-2", status="done", outcome="answered",
                                 recording="/var/spool/hotline/cb-2.wav")
    assert (done.status, done.outcome, done.seat, done.attempts) == ("done", "answered",
                                                                      "1001", 1)
    assert done.done_at == done.updated_at == at(60)
    assert done.created_at == T0 and done.arrived_at == T0
    assert cases.get_callback("cb-2") == done
    assert cases.pending_callbacks() == []


@pytest.mark.parametrize("closed", ["done", "failed", "cancelled"])
def test_a_closed_callback_is_never_owed_again(cases, case_clock, closed):
    """A late or replayed "back in line" (a reaper, a spool replay) after the citizen
    was reached must not make SQL owe the callback again: it would be dialled twice."""
    promise(cases, "cb-12", arrived=0, due=300)
    cases.update_callback("cb-12", status="dialing", seat="1001")
    final = cases.update_callback("cb-12", status=closed, attempts=1)
    case_clock.advance(seconds=30)
    for late in ({"status": "pending", "seat": None}, {"status": "dialing", "attempts": 2}):
        assert cases.update_callback("cb-12", **late) == final
    assert cases.pending_callbacks() == []
    replayed = cases.update_callback("cb-12", status=closed, attempts=1)
    assert (replayed.status, replayed.done_at) == (closed, final.done_at)
    noted = cases.update_callback("cb-12", case_number="J2025-1")  # notes still land
    assert (noted.status, noted.case_number) == (closed, "J2025-1")


def test_a_missed_attempt_is_retried_later(cases, case_clock):
    promise(cases, "cb-3", arrived=0, due=300)
    retry = cases.update_callback("cb-3", status="pending", attempts=1, outcome="no_answer",
                                  next_attempt_at=at(120))
    assert (retry.status, retry.next_attempt_at, retry.done_at) == ("pending", at(120), None)
    assert [c.callback_id for c in cases.pending_callbacks()] == ["cb-3"]


@pytest.mark.parametrize("bad,message", [
    ({"status": "lost"}, "unknown status"),
    ({"outcome": "maybe"}, "unknown outcome"),
    ({"callback_number": "1001&PJSIP/evil"}, "dialable"),
    ({"attempts": -1}, "attempts must be between"),
    ({"due_at": None}, "due_at must be a datetime"),
    ({"created_at": T0}, "no field created_at"),
])
def test_bad_callback_updates_raise_and_write_nothing(cases, bad, message):
    before = promise(cases, "cb-4", arrived=0, due=300)
    with pytest.raises(CaseStoreError, match=message):
        cases.update_callback("cb-4", seat="1009", **bad)  # the good field is not kept
    assert cases.get_callback("cb-4") == before


def test_bad_or_incomplete_new_callbacks_are_not_saved(cases):
    with pytest.raises(CaseStoreError, match="needs due_at"):
        cases.save_callback("cb-5", caller="13800000001", callback_number="13800000001",
                            origin="trunk", arrived_at=T0)
    with pytest.raises(CaseStoreError, match="dialable"):
        promise(cases, "cb-6", arrived=0, due=300, callback_number="13800000001,1")
    with pytest.raises(CaseStoreError, match="unknown status"):
        promise(cases, "cb-7", arrived=0, due=300, status="queued")
    assert cases.pending_callbacks() == []
    with pytest.raises(CallbackNotFoundError):
        cases.get_callback("cb-5")
    with pytest.raises(CallbackNotFoundError, match="no callback 'cb-404'"):
        cases.update_callback("cb-404", status="done")


def test_callbacks_for_a_caller_find_them_by_caller_or_callback_number(cases):
    promise(cases, "cb-8", arrived=0, due=300, caller="13800000008")
    promise(cases, "cb-9", arrived=60, due=360, caller="", callback_number="13800000008")
    promise(cases, "cb-10", arrived=30, due=330, caller="13900000000",
            callback_number="13900000000")
    assert [c.callback_id for c in cases.callbacks_for_caller("13800000008")] == ["cb-9",
                                                                                  "cb-8"]
    assert cases.callbacks_for_caller("") == []


def test_callback_text_is_stored_verbatim(cases):
    saved = promise(cases, "cb-'; DROP TABLE callbacks; --", arrived=0, due=300,
                    caller=HOSTILE, transcript=HOSTILE * 3)
    got = cases.get_callback("cb-'; DROP TABLE callbacks; --")
    assert got == saved
    assert (got.caller, got.transcript) == (HOSTILE, HOSTILE * 3)
    assert [c.callback_id for c in cases.callbacks_for_caller(HOSTILE)] == [saved.callback_id]


# -- schema ------------------------------------------------------------------------------


def test_an_existing_database_upgrades_and_keeps_its_cases(case_db, case_clock):
    migrate(case_db, "0001")
    old = CaseStore(case_db, clock=case_clock)
    try:
        old.setup(seed=True)  # setup migrates 0001 -> head
        case = old.create_case(channel="phone", caller="13800000001", text="路灯不亮",
                               kind="affairs", topic="street_light")
        arrive(old, "1727661600.30", case_number=case.number)
        assert [c.uniqueid for c in old.calls_for_case(case.number)] == ["1727661600.30"]
        assert old.get_case(case.number).text == "路灯不亮"
    finally:
        old.close()


def test_a_store_seeded_before_duty_phones_gets_them_and_keeps_an_edited_one(case_db,
                                                                            case_clock):
    from sqlalchemy import update

    from case_store.models import Department

    migrate(case_db, "0009")
    store = CaseStore(case_db, clock=case_clock)
    try:
        store.setup(seed=True)  # 0009 -> 0010: the column arrives empty, the seed fills it
        with store.uow.tx() as s:
            s.execute(update(Department).values(duty_phone=None))
            s.execute(update(Department).where(Department.code == "parks")
                      .values(duty_phone="0579-82000000"))  # the operator's own number
        store.setup(seed=True)
        phones = {t.code: (t.phone, t.digits) for t in store.duty_phones()}
        assert phones["parks"] == ("0579-82000000", "057982000000")
        assert phones["water_group"] == ("0579-88901005", "057988901005")
        assert phones["wuyi_center"] == ("0579-88901030", "057988901030")
        assert set(phones) == set(store.department_names())
    finally:
        store.close()


def test_racing_writers_make_one_call_and_one_callback(cases):
    """Two ACD nodes writing the same arrival or callback at once never duplicate it."""
    from concurrent.futures import ThreadPoolExecutor

    def arrival(n: int):
        return arrive(cases, "1727661600.40", seat=f"10{n:02d}")

    def save(n: int):
        return promise(cases, "cb-race", arrived=n, due=300 + n)

    with ThreadPoolExecutor(max_workers=8) as pool:
        calls = list(pool.map(arrival, range(16)))
        saved = list(pool.map(save, range(16)))
    assert [c.uniqueid for c in cases.calls()] == ["1727661600.40"]
    assert cases.get_call("1727661600.40").seat in {c.seat for c in calls}
    owed = cases.pending_callbacks()
    assert len(owed) == 1 and all(s == owed[0] for s in saved)

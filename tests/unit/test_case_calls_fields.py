"""Pure checks on call and callback fields: what the ACD may write, and clear refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from case_store.call_fields import (
    CALL_FIELDS,
    CALLBACK_FIELDS,
    CALLBACK_REQUIRED,
    UNIQUEID_LIMIT,
    check_key,
    clean,
    require,
)
from case_store.errors import CaseStoreError, InvalidCallError

T0 = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)


def test_a_full_call_record_passes_unchanged():
    record = {"caller": "'; DROP TABLE calls; --", "caller_name": 'O\'Brien "x"',
              "origin": "terminal", "arrived_at": T0, "ring_started_at": T0,
              "answered_at": T0 + timedelta(seconds=6), "ended_at": None, "seat": "1001",
              "rang_ms": 5000, "waited_ms": 6000, "outcome": "answered_late",
              "seats_tried": 2, "case_number": "20250930000001", "callback_id": None}
    assert clean(record, CALL_FIELDS, "call") == record


def test_a_withheld_caller_number_is_allowed_on_a_call():
    assert clean({"caller": ""}, CALL_FIELDS, "call") == {"caller": ""}


@pytest.mark.parametrize("field,value,message", [
    ("origin", "sip", "unknown origin 'sip'; use one of trunk, terminal, callback, followup"),
    ("outcome", "answered", "unknown outcome"),
    ("arrived_at", "2025-09-30T10:00", "must be a datetime"),
    ("arrived_at", datetime(2025, 9, 30, 10, 0), "naive"),
    ("seats_tried", True, "whole number"),
    ("seats_tried", 2**31, "between 0 and"),
    ("rang_ms", 1.5, "whole number"),
    ("caller", "1" * 65, "65 characters; the limit is 64"),
    ("seat", "10\x0001", "NUL"),
    ("origin", None, "unknown origin None"),
])
def test_bad_call_values_are_refused_by_name(field, value, message):
    with pytest.raises(InvalidCallError, match=message) as err:
        clean({field: value}, CALL_FIELDS, "call")
    assert isinstance(err.value, CaseStoreError)


def test_unknown_fields_are_refused_not_dropped():
    with pytest.raises(InvalidCallError, match="a call has no field anwsered_at, sead"):
        clean({"sead": "1", "anwsered_at": T0}, CALL_FIELDS, "call")


def test_times_in_any_timezone_are_accepted():
    eastern = datetime(2025, 9, 30, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    assert clean({"due_at": eastern}, CALLBACK_FIELDS, "callback") == {"due_at": eastern}


@pytest.mark.parametrize("number", ["13800000001", "+8613800000001", "*86#1", "05798890001"])
def test_dialable_callback_numbers_pass(number):
    assert clean({"callback_number": number}, CALLBACK_FIELDS, "callback") == {
        "callback_number": number}


@pytest.mark.parametrize("number", ["", "anonymous", "1001&PJSIP/evil", "138 0000", "+",
                                    "1" * 33, None, "138,1"])
def test_callback_numbers_that_cannot_be_dialled_are_refused(number):
    with pytest.raises(InvalidCallError, match="dialable"):
        clean({"callback_number": number}, CALLBACK_FIELDS, "callback")


@pytest.mark.parametrize("field,value,message", [
    ("status", "queued", "unknown status"),
    ("outcome", "answered_in_window", "unknown outcome"),
    ("attempts", -1, "between 0"),
    ("transcript", "字" * 20_001, "limit is 20000"),
])
def test_bad_callback_values_are_refused(field, value, message):
    with pytest.raises(InvalidCallError, match=message):
        clean({field: value}, CALLBACK_FIELDS, "callback")


def test_a_new_callback_must_say_who_to_call_and_by_when():
    with pytest.raises(InvalidCallError, match="a new callback needs callback_number, due_at"):
        require({"caller": "1", "origin": "trunk", "arrived_at": T0}, CALLBACK_REQUIRED,
                "callback")


@pytest.mark.parametrize("key", ["", "   ", None, 17, "x" * (UNIQUEID_LIMIT + 1)])
def test_record_keys_must_be_non_empty_text_that_fits(key):
    with pytest.raises(InvalidCallError):
        check_key("uniqueid", key, UNIQUEID_LIMIT)


def test_a_uniqueid_is_kept_as_given():
    assert check_key("uniqueid", "host-1727661600.12", UNIQUEID_LIMIT) == "host-1727661600.12"

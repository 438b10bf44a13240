"""What a call or callback record may hold: the vocabularies and a check for every field.

Pure functions, no I/O: the store cleans what the ACD hands it *before* opening a
transaction, so a bad value raises ``InvalidCallError`` and nothing is written. Text
fields are kept verbatim (quotes, SQL-looking text and all); only what no database
column can hold (NUL characters, oversize text, naive times, out-of-range integers) is
refused, with a message that names the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from case_store.errors import InvalidCallError

ORIGINS = ("trunk", "terminal", "callback", "followup")
CALL_OUTCOMES = ("answered_in_window", "answered_late", "abandoned_waiting", "abandoned_ivr",
                 "callback_requested", "ivr_handled", "failed")
CALLBACK_STATUSES = ("pending", "dialing", "done", "failed", "cancelled", "needs_check")
OPEN_CALLBACK_STATUSES = ("pending", "dialing")  # what the ACD reloads after a Redis restart
CLOSED_CALLBACK_STATUSES = ("done", "failed", "cancelled")  # these stamp done_at
# The callback state machine: a closed callback (the citizen reached, given up, or
# cancelled) never opens again, so a replayed or late "back in line" cannot dial twice.
CALLBACK_MOVES = MappingProxyType({
    "pending": frozenset(CALLBACK_STATUSES),
    "dialing": frozenset(CALLBACK_STATUSES),
    "done": frozenset({"done"}), "failed": frozenset({"failed"}),
    "cancelled": frozenset({"cancelled"}),
    # outside the dial plan: an agent confirms the number (pending) or closes it
    "needs_check": frozenset({"needs_check", "pending", "failed", "cancelled"}),
})
CALLBACK_OUTCOMES = ("answered", "no_answer", "busy", "wrong_number", "cancelled_called_again",
                     "agent_missed", "number_to_check", "number_confirmed")

UNIQUEID_LIMIT = 150  # Asterisk's AST_MAX_UNIQUEID
CALLBACK_ID_LIMIT = 160  # room for a prefix on a uniqueid
TRANSCRIPT_LIMIT = 20_000
INT_MAX = 2**31 - 1  # SQL INTEGER on PostgreSQL
_DIALABLE = re.compile(r"^\+?[0-9*#]*[0-9][0-9*#]*$")

Check = Callable[[str, Any], Any]


def _text(limit: int, nullable: bool = False) -> Check:
    def check(name: str, value: Any) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            raise InvalidCallError(f"{name} must be text, got {value!r}")
        if len(value) > limit:
            raise InvalidCallError(f"{name} has {len(value)} characters; the limit is {limit}")
        if "\x00" in value:
            raise InvalidCallError(f"{name} contains a NUL character, which SQL cannot store")
        return value

    return check


def _choice(values: tuple[str, ...], nullable: bool = False) -> Check:
    def check(name: str, value: Any) -> str | None:
        if value is None and nullable:
            return None
        if value not in values:
            raise InvalidCallError(f"unknown {name} {value!r}; use one of {', '.join(values)}")
        return value

    return check


def _moment(nullable: bool = False) -> Check:
    def check(name: str, value: Any) -> datetime | None:
        if value is None and nullable:
            return None
        if not isinstance(value, datetime):
            raise InvalidCallError(f"{name} must be a datetime, got {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidCallError(f"{name} is a naive datetime; attach a timezone")
        return value

    return check


def _integer(low: int, nullable: bool = False) -> Check:
    def check(name: str, value: Any) -> int | None:
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidCallError(f"{name} must be a whole number, got {value!r}")
        if not low <= value <= INT_MAX:
            raise InvalidCallError(f"{name} must be between {low} and {INT_MAX}, got {value}")
        return value

    return check


def _dialable(name: str, value: Any) -> str:
    """A callback number is dialled by Originate, so it must be a plain number."""
    if not isinstance(value, str) or len(value) > 32 or not _DIALABLE.match(value):
        raise InvalidCallError(f"{name} must be a dialable number (digits, leading +, * or #; "
                               f"at most 32), got {value!r}")
    return value


CALL_FIELDS: Mapping[str, Check] = MappingProxyType({
    "caller": _text(64),  # "" for a withheld number
    "caller_name": _text(64, nullable=True),
    "origin": _choice(ORIGINS),
    "arrived_at": _moment(),
    "ring_started_at": _moment(nullable=True),
    "answered_at": _moment(nullable=True),
    "ended_at": _moment(nullable=True),
    "seat": _text(64, nullable=True),
    "rang_ms": _integer(0, nullable=True),
    "waited_ms": _integer(0, nullable=True),
    "outcome": _choice(CALL_OUTCOMES, nullable=True),  # None while the call is in progress
    "seats_tried": _integer(0),
    "case_number": _text(32, nullable=True),
    "callback_id": _text(CALLBACK_ID_LIMIT, nullable=True),
})
CALL_REQUIRED = ("caller", "origin")  # to start a record; arrived_at defaults to now

CALLBACK_FIELDS: Mapping[str, Check] = MappingProxyType({
    "caller": _text(64),
    "callback_number": _dialable,
    "origin": _choice(ORIGINS),
    "priority": _integer(-INT_MAX),
    "arrived_at": _moment(),
    "due_at": _moment(),
    "status": _choice(CALLBACK_STATUSES),
    "attempts": _integer(0),
    "next_attempt_at": _moment(nullable=True),
    "outcome": _choice(CALLBACK_OUTCOMES, nullable=True),
    "seat": _text(64, nullable=True),
    "case_number": _text(32, nullable=True),
    "recording": _text(500, nullable=True),
    "transcript": _text(TRANSCRIPT_LIMIT, nullable=True),
    "done_at": _moment(nullable=True),
})
CALLBACK_REQUIRED = ("caller", "callback_number", "origin", "arrived_at", "due_at")


def check_key(name: str, value: Any, limit: int) -> str:
    """A record's key: non-empty text that fits its column."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidCallError(f"{name} must be non-empty text, got {value!r}")
    return _text(limit)(name, value)


def clean(fields: Mapping[str, Any], checks: Mapping[str, Check], what: str) -> dict[str, Any]:
    """Every given field checked; an unknown name is refused rather than silently dropped."""
    unknown = sorted(set(fields) - set(checks))
    if unknown:
        raise InvalidCallError(f"a {what} has no field {', '.join(unknown)}; "
                               f"known fields: {', '.join(checks)}")
    return {name: checks[name](name, value) for name, value in fields.items()}


def require(fields: Mapping[str, Any], required: Iterable[str], what: str) -> None:
    """Refuse a new record that lacks what its columns need."""
    lacking = [name for name in required if name not in fields]
    if lacking:
        raise InvalidCallError(f"a new {what} needs {', '.join(lacking)}")

"""Caller ID from the dialplan's base64 stash: whatever arrives, the record gets a bounded,
printable name and a number made only of what can be dialled."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.caller import (
    NAME_LIMIT,
    NUMBER_LIMIT,
    RAW_LIMIT,
    _decode,
    decode_caller,
    dialable,
    printable,
)
from tests.fuzz.seeds import seeds, text_of

DIALABLE = re.compile(r"\+?[0-9*#]*")
B64 = st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode())
STASH = st.one_of(st.none(), st.text(max_size=300), B64,
                  st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
                          max_size=60))


def check_caller(number: str | None, name: str | None, fallback: str) -> None:
    caller = decode_caller(number, name, fallback)
    assert DIALABLE.fullmatch(caller.number) and len(caller.number) <= NUMBER_LIMIT
    assert len(caller.name) <= NAME_LIMIT and len(caller.raw) <= RAW_LIMIT
    for text in (caller.name, caller.raw):
        assert all(ch.isprintable() for ch in text)


@given(STASH, STASH, st.text(max_size=100))
def test_decode_caller(number: str | None, name: str | None, fallback: str) -> None:
    check_caller(number, name, fallback)


@pytest.mark.parametrize("seed", seeds("caller"))
def test_caller_corpus(seed: Path) -> None:
    text = text_of(seed)
    check_caller(text, text, text)
    check_caller(None, None, text)


@given(st.text())
def test_decode_of_any_text_is_text(b64: str) -> None:
    assert isinstance(_decode(b64), str)


@given(st.text())
def test_decode_inverts_the_stash(text: str) -> None:
    raw = text.encode("utf-8", "surrogatepass")
    assert _decode(base64.b64encode(raw).decode()) == raw.decode("utf-8", "replace")


@given(st.text(), st.integers(min_value=0, max_value=300))
def test_printable_is_one_bounded_line(text: str, limit: int) -> None:
    line = printable(text, limit)
    assert len(line) <= limit and all(ch.isprintable() for ch in line)
    assert "  " not in line and not line.startswith(" ")


@given(st.text())
def test_dialable_keeps_only_dial_characters(text: str) -> None:
    number = dialable(text)
    assert DIALABLE.fullmatch(number) and len(number) <= NUMBER_LIMIT
    keys = "".join(ch for ch in text if ch in "0123456789*#")
    assert number.lstrip("+") == keys[: NUMBER_LIMIT - number.startswith("+")]

"""Keyed digits and typed numbers on their way to an automatic callback: garbage never
raises, and nothing outside the callback dial plan comes out as dialable on its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acd.callback_numbers import KINDS, NumberPlan, area_code_of, digits_of, national_form
from ivr.fastagi import AgiHangup, AgiProtocolError, parse_result_line
from ivr.incoming import _digits, _int, _safe, chosen_number
from tests.fuzz.seeds import seeds, text_of

ASCII_DIGITS = re.compile(r"[0-9]+")
MOBILE = re.compile(r"1[3-9][0-9]{9}")
# DTMF keys, number punctuation, and digits of other scripts that str.isdigit() accepts
KEYED = st.text(st.one_of(st.sampled_from("0123456789*#ABCD+-() "),
                          st.sampled_from("²³١٣٨０１９߀"), st.characters()), max_size=40)
PLAUSIBLE = st.from_regex(r"(\+86 ?|0086|00|\+)?(1[3-9][0-9]{9}|0?[1-9][0-9]{1,3}[2-9][0-9]{6,7}"
                          r"|[2-9][0-9]{6,7})[#*]?", fullmatch=True)
MUTATED = st.builds(lambda text, at, ch: text[:at] + ch + text[at + 1:], PLAUSIBLE,
                    st.integers(0, 16), st.sampled_from("²١٣٨０ -#*A\x00"))
NUMBERS = st.one_of(KEYED, PLAUSIBLE, MUTATED)
PLANS = st.builds(NumberPlan, area_code=st.sampled_from(["0579", "010", "021", "0571"]),
                  other_areas=st.booleans(), terminals=st.just(frozenset({"9001", "9002"})))


def check_verdict(plan: NumberPlan, raw: str) -> None:
    """The plan's verdict: dialable only in the forms the plan allows, in ASCII digits."""
    verdict = plan.check(raw)
    assert verdict.dialable == (verdict.kind in KINDS) and verdict.dialable != bool(verdict.reason)
    if not verdict.dialable:
        return
    if verdict.kind == "terminal":
        assert verdict.number == raw.strip() and verdict.number in plan.terminals
        return
    assert ASCII_DIGITS.fullmatch(verdict.number)
    if verdict.kind == "mobile":
        assert MOBILE.fullmatch(verdict.number)
    else:
        area = area_code_of(verdict.number)
        assert area and (area == plan.area_code) == (verdict.kind == "local")
        assert verdict.kind == "local" or plan.other_areas


def check_keyed(caller: str, keyed: str) -> None:
    number = chosen_number(caller, keyed)
    assert number == caller or (re.fullmatch(r"\+?[0-9]+", number) and 5 <= len(number) <= 15)
    for plan in (NumberPlan(), NumberPlan(other_areas=True)):
        check_verdict(plan, number)


@given(PLANS, NUMBERS)
def test_verdict(plan: NumberPlan, raw: str) -> None:
    check_verdict(plan, raw)


@given(st.sampled_from(["", "13800138000", "057982345678"]), NUMBERS)
def test_keyed_number(caller: str, keyed: str) -> None:
    check_keyed(caller, keyed)


@pytest.mark.parametrize("seed", seeds("dtmf"))
def test_dtmf_corpus(seed: Path) -> None:
    text = text_of(seed)
    check_keyed("13800138000", text)
    check_keyed("", text)
    check_keyed("", _digits({"result": (text, "")}))
    for plan in (NumberPlan(terminals=frozenset({"9001"})), NumberPlan(other_areas=True)):
        check_verdict(plan, text)
    check_forms(text)


def check_forms(text: str) -> None:
    national = national_form(text)
    assert national is None or ASCII_DIGITS.fullmatch(national)
    assert re.fullmatch(r"\+?[0-9]{0,32}", digits_of(text))
    area = area_code_of(text)
    assert area == "" or (text.startswith(area) and ASCII_DIGITS.fullmatch(area))


@given(NUMBERS)
def test_number_forms(text: str) -> None:
    check_forms(text)


@given(NUMBERS)
def test_get_data_digits(keyed: str) -> None:
    """GET DATA's answer as the route reads it: digits or nothing."""
    try:
        result = parse_result_line(f"200 result={keyed}")
    except (AgiHangup, AgiProtocolError):
        return
    digits = _digits(result)
    assert digits == "" or ASCII_DIGITS.fullmatch(digits)
    check_keyed("13800138000", digits)


@given(st.one_of(st.none(), st.text(), st.floats().map(str), st.integers().map(str)))
def test_int_of_any_variable(value: str | None) -> None:
    assert isinstance(_int(value), int)


@given(st.text())
def test_safe_in_a_path_and_a_command(text: str) -> None:
    safe = _safe(text)
    assert len(safe) <= 64 and all(ch.isalnum() or ch in ".-" for ch in safe)
    assert not any(ch in safe for ch in "/\\\"' \t\r\n\x00")

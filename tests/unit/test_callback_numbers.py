"""The callback dial plan: what the hotline dials on its own, and what an agent checks."""

import pytest

from acd.callback_numbers import NumberPlan, national_form

PLAN = NumberPlan(terminals=frozenset({"9001", "9002"}))


@pytest.mark.parametrize("keyed,kind,dialled", [
    ("13912345678", "mobile", "13912345678"),
    ("+8613912345678", "mobile", "13912345678"),
    ("008613912345678", "mobile", "13912345678"),
    ("+86 139-1234-5678", "mobile", "13912345678"),
    ("82345678", "local", "057982345678"),  # Jinhua without the area code
    ("057982345678", "local", "057982345678"),
    ("+8657982345678", "local", "057982345678"),
    ("9001", "terminal", "9001"),  # on its own endpoint, never the trunk
])
def test_numbers_in_the_plan_are_dialled_in_national_form(keyed, kind, dialled):
    verdict = PLAN.check(keyed)
    assert (verdict.kind, verdict.number, verdict.dialable) == (kind, dialled, True)


@pytest.mark.parametrize("keyed,reason", [
    ("+12025550123", "not a mainland number"),  # another country, E.164
    ("0012025550123", "not a mainland number"),
    ("01062345678", "another area code"),  # Beijing, long distance off
    ("+861062345678", "another area code"),
    ("12345", "not a mobile"),
    ("10086", "not a mobile"),  # a carrier's service number
    ("12345678901", "not a mobile"),  # 11 digits, not a mobile prefix
    ("110", "not a mobile"),  # the police
    ("1391234567#", "not a mainland number"),
    ("", "not a mainland number"),
    ("9003", "not a mobile"),  # not a registered terminal
])
def test_numbers_outside_the_plan_are_not_dialled_on_their_own(keyed, reason):
    verdict = PLAN.check(keyed)
    assert not verdict.dialable
    assert verdict.reason.startswith(reason)


def test_other_area_codes_are_dialled_when_enabled():
    verdict = NumberPlan(other_areas=True).check("02162345678")
    assert (verdict.kind, verdict.number) == ("long_distance", "02162345678")


def test_the_national_form_keeps_only_digits_of_a_mainland_number():
    assert national_form("+86 (579) 8234 5678") == "057982345678"
    assert national_form("+44 20 7946 0000") is None
    assert national_form("1391234567*") is None

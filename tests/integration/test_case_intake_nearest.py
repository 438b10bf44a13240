"""Life requests that only name a Jinhua place (phone, web form) are placed by the
gazetteer and go to the nearest company of their trade, on the real store (SQLite and
PostgreSQL); coordinates a channel gave (Open311) are kept."""
# ruff: noqa: F811  (pytest fixtures imported from case_support are re-bound as arguments)

from __future__ import annotations

import re

import pytest

from case_store.intake_service import Intake, IntakeService
from tests.integration.case_support import case_clock, case_db, cases  # noqa: F401

pytestmark = pytest.mark.integration


def _km(reason: str | None) -> float:
    """The distance the dispatch reason gives for the chosen company."""
    m = re.match(r"[^:]+: ([\d.]+) km away", reason or "")
    assert m, reason
    return float(m.group(1))


def test_a_web_request_near_the_yiwu_market_goes_to_the_yiwu_plumber(cases):
    result = IntakeService(cases).take_now(
        Intake(channel="web", caller="13800006601", text="义乌国际商贸城附近家里水管爆了"),
        "web-intake")
    case = cases.get_case(result.case.number)
    assert (case.topic, case.owner_type, case.owner) == (
        "plumbing_electric", "company", "plumbing_yiwu")
    assert _km(case.dispatch_reason) < 5  # not 52 km away in the city, not "distance unknown"


def test_a_phone_request_naming_a_street_gets_its_region_and_the_nearest_plumber(cases):
    heard = "我家在多湖街道，厨房水管爆了，快派师傅来"
    result = IntakeService(cases).take_now(
        Intake(channel="phone", caller="13800006602", text=heard, transcript=heard,
               kind="life", topic="plumbing_electric", place="多湖街道"), "phone-intake")
    case = cases.get_case(result.case.number)
    # the nearer company wins over the better rated one 5 km away in the old town
    assert (case.region, case.owner) == ("jindong", "plumbing_jindong")
    assert _km(case.dispatch_reason) < 2


def test_the_district_named_in_the_request_decides_between_same_named_streets(cases):
    service = IntakeService(cases)
    yiwu = service.take_now(Intake(channel="web", caller="13800006603",
                                   text="义乌市城西街道，家里水管爆了", place="城西街道"), "web")
    # (another trade: two reports of one topic at "城西街道" would merge as duplicates)
    city = service.take_now(Intake(channel="web", caller="13800006604",
                                   text="城西街道，钥匙丢了进不了门，请开锁师傅"), "web")
    assert cases.get_case(yiwu.case.number).owner == "plumbing_yiwu"
    assert cases.get_case(city.case.number).owner == "locksmith_wucheng"


def test_coordinates_open311_gave_are_kept(cases):
    result = IntakeService(cases).take_now(
        Intake(channel="web", caller="13800006605", text="义乌国际商贸城附近家里水管爆了",
               topic="plumbing_electric", lat=29.103, lon=119.703), "open311")
    case = cases.get_case(result.case.number)
    assert case.owner == "plumbing_jindong" and _km(case.dispatch_reason) < 0.1


def test_a_request_naming_no_place_is_dispatched_without_a_distance(cases):
    result = IntakeService(cases).take_now(
        Intake(channel="web", caller="13800006606", text="家里水管爆了，快派师傅"), "web")
    case = cases.get_case(result.case.number)
    assert case.owner_type == "company" and case.region is None
    assert "distance unknown" in (case.dispatch_reason or "")

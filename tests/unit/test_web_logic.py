"""Pure parts of the web console: escaping, access rules, Open311 mapping, wallboard maths,
metrics text, password hashing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from case_store import access
from case_store.accounts import check_password, hash_password
from case_store.service_catalog import load_catalog
from case_store.views import CaseView
from case_store.workdays import SHANGHAI
from hotline.web.html import Safe, h, mask_phone, table
from hotline.web.metrics import render
from hotline.web.open311_map import Open311Error, parse_post, request_record, status_of
from hotline.web.wallboard_view import build_view, staffing

NOW = datetime(2025, 10, 9, 10, 0, tzinfo=SHANGHAI)


def case(**over) -> CaseView:
    base = dict(number="20251009000001", channel="phone", caller="13812345678", text="井盖丢了",
                transcript=None, kind="affairs", topic="road_damage", place="八一北街",
                region=None, status="assigned", priority=0, owner_type="department",
                owner="city_management", cohandlers=(), call_ref=None, received_at=NOW,
                assigned_at=NOW, due_at=NOW + timedelta(days=5), due_provisional=False,
                extension_days=0, receipt_due_at=None, contact_due_at=None,
                dispatch_reason=None, answer=None, merged_into=None, sent_back_count=0,
                supervised_at=None)
    base.update(over)
    return CaseView(**base)


def test_templates_escape_every_argument_but_keep_built_markup():
    inner = h("<b>{}</b>", "<script>")
    page = h("<p>{}{}</p>", inner, '"onerror=x')
    assert page == "<p><b>&lt;script&gt;</b>&quot;onerror=x</p>"
    assert isinstance(page, Safe)
    assert "<img" not in table(["<th>"], [["<img src=x>"]])


def test_phone_masking_keeps_the_ends():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0579-88900023") == "057******0023"
    assert mask_phone("") == ""


def test_department_sees_own_and_cohandled_cases_only():
    dept = {"role": "department", "dept": "environment"}
    assert not access.can_view(dept, case())
    assert access.can_view(dept, case(cohandlers=("environment",)))
    assert access.can_view({"role": "department", "dept": "city_management"}, case())
    # a helper, not the owner: it adds its finding while the case is handled, nothing else
    assert access.actions(dept, case(cohandlers=("environment",))) == ["finding"]
    assert access.actions(dept, case(cohandlers=("environment",), status="replied")) == []


def test_a_leader_sees_and_instructs_only_what_waits_for_them():
    leader = {"role": "leader", "name": "leader1"}
    mine = case(leader="leader1", status="accepted")
    assert access.can_view(leader, mine) and access.actions(leader, mine) == ["instruct"]
    assert access.actions(leader, replace(mine, leader_instructed_at=NOW)) == []
    assert not access.can_view(leader, case(leader="leader2"))
    assert not access.can_view(leader, case())
    sup = {"role": "supervisor"}
    assert "mark_for_leader" not in access.actions(sup, mine)  # it waits already
    assert "mark_for_leader" in access.actions(sup, case())


def test_only_supervisors_close_out_of_jurisdiction_and_never_after_a_reply():
    assert "close_out_of_jurisdiction" in access.actions({"role": "supervisor"}, case())
    assert "close_out_of_jurisdiction" not in access.actions(
        {"role": "supervisor"}, case(status="replied"))
    owner = {"role": "department", "dept": "city_management"}
    assert "close_out_of_jurisdiction" not in access.actions(owner, case())


def test_company_sees_its_order_and_the_number_only_while_serving():
    mine = case(owner_type="company", owner="plumbing_wucheng")
    company = {"role": "company", "company": "plumbing_wucheng"}
    assert access.can_view(company, mine) and access.shows_phone(company, mine)
    assert not access.shows_phone(company, replace(mine, status="replied"))
    assert not access.can_view({"role": "company", "company": "plumbing_jindong"}, mine)
    assert not access.can_view({"role": "company", "company": "city_management"}, case())
    assert access.actions(company, mine) == ["confirm_contact"]


def test_urgency_colours_overdue_and_near_deadlines():
    assert access.urgency(case(due_at=NOW - timedelta(minutes=1)), NOW) == "overdue"
    assert access.urgency(case(due_at=NOW + timedelta(hours=3)), NOW) == "near"
    assert access.urgency(case(), NOW) == ""
    assert access.urgency(case(status="replied", due_at=NOW - timedelta(days=1)), NOW) == ""
    dispatch = case(owner_type="company", owner="x", contact_due_at=NOW + timedelta(minutes=2))
    assert access.urgency(dispatch, NOW) == "near"


def test_open311_post_parsing_lists_every_problem():
    catalog = load_catalog()
    with pytest.raises(Open311Error) as info:
        parse_post({"service_code": "nope", "lat": "abc", "phone": "x"}, catalog)
    text = str(info.value)
    for part in ("not found", "description is required", "lat must be a number",
                 "not a phone number"):
        assert part in text
    ok = parse_post({"service_code": "noise", "description": "楼上太吵", "phone": "13800000000",
                     "address_string": "人民路", "first_name": "明", "last_name": "李"}, catalog)
    assert ok.name == "李 明" and ok.lat is None and ok.address == "人民路"


def test_open311_record_hides_the_phone_and_maps_status():
    record = request_record(case(), load_catalog(), {"media_url": "https://x/y.jpg"},
                            {"city_management": "市综合行政执法局"})
    assert record["agency_responsible"] == "市综合行政执法局"
    assert record["media_url"] == "https://x/y.jpg"
    assert "13812345678" not in str(record)
    assert status_of("in_progress") == "open" and status_of("visiting") == "closed"


def test_staffing_matches_the_design_load_model():
    # 105 calls/h, AHT 240 s: A = 7 erlang; 10 seats -> 81.6% within 15 s (DESIGN.md)
    s = staffing(105, 240, 10)
    assert s["offered_erlang"] == 7.0
    assert s["predicted_service_level"] == pytest.approx(0.816, abs=0.002)
    assert s["agents_needed"] == 10
    assert staffing(0, 0, 0)["agents_needed"] == 0
    assert staffing(157.5, 240, 10)["predicted_asa_s"] is None  # overloaded: no finite ASA


def test_wallboard_view_masks_waiting_callers_and_counts_staffed_seats():
    snap = {"per_seat": {"8001": {"state": "talking", "since": 100.0},
                         "8002": {"state": "paused", "since": 50.0},
                         "8003": {"state": "logged_out", "since": 0.0}},
            "calls_per_hour": 20, "aht_s": 200}
    view = build_view(snap, None, [{"id": "e1", "caller": "13812345678", "arrived_at": 190.0}],
                      now=200.0)
    assert view["staffing"]["staffed"] == 1
    assert view["seats"][1]["for_s"] == 150
    assert view["queue"][0]["caller"] == "138****5678" and view["queue"][0]["waited_s"] == 10


def test_metrics_text_has_types_and_escaped_labels():
    text = render({"waiting": 2, "seats": {'odd"state': 1}},
                  {"open": 3, "overdue": 1, "by_channel": {"web": 2}}, {"http_2xx": 5})
    assert "# TYPE hotline_queue_waiting gauge\nhotline_queue_waiting 2.0" in text
    assert 'hotline_seats{state="odd\\"state"} 1.0' in text
    assert 'hotline_seats{state="talking"} 0.0' in text  # every state, zero included
    assert "hotline_cases_open 3.0" in text
    assert 'hotline_web_responses_total{class="2xx"} 5.0' in text


def test_metrics_raise_the_alarm_when_the_spool_is_not_draining():
    stuck = render({"spool": {"depth": 7, "oldest_s": 95.0, "alarm": True}}, None, {})
    assert "hotline_spool_items 7.0" in stuck and "hotline_spool_oldest_seconds 95.0" in stuck
    assert "hotline_spool_not_draining 1.0" in stuck
    assert "hotline_spool_not_draining 0.0" in render(
        {"spool": {"depth": 0, "oldest_s": 0.0, "alarm": False}}, None, {})


def test_password_hashes_are_salted_and_verify():
    one, two = hash_password("correct-horse-1"), hash_password("correct-horse-1")
    assert one != two
    assert check_password("correct-horse-1", one)
    assert not check_password("correct-horse-2", one)
    assert not check_password("anything", "garbage")


def test_pause_reasons_are_named_from_the_config_and_the_consoles_words():
    from hotline.web.pause_reasons import configured_names, reason_name

    names = configured_names("1=午休, 2 = 培训,x=坏,3=,9")
    assert names == {"code1": "午休", "code2": "培训"}
    assert reason_name("code2", names, "zh") == "培训"
    assert reason_name("code7", names, "zh") == "code7"  # unnamed: the code, not nothing
    assert reason_name("break", names, "zh") == "小休"
    assert reason_name("supervisor 王五", names, "en") == "by a supervisor 王五"
    assert reason_name("", names, "zh") == ""

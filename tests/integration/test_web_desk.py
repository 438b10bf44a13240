"""Agent desk corrections (SQLite and PostgreSQL), the tagger learning from them, and the
transfer endpoint's refusals; the transfer itself through Asterisk is in
test_web_desk_transfer.py."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.integration.web_support import web, web_pg  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def stack(request):
    return request.getfixturevalue("web" if request.param == "sqlite" else "web_pg")


async def test_desk_correction_changes_the_case_and_logs_before_and_after(stack):
    case = stack.store.create_case(channel="phone", caller="13511112222",
                                   text="路口红绿灯坏了", kind="affairs", topic="street_light")
    agent = await stack.login("agent1")
    status, body = await agent.post_json("/desk/case", {
        "case_number": case.number, "kind": "affairs", "topic": "traffic_facility",
        "place": "八一街与人民路口", "text": "路口红绿灯坏了", "do": "save"})
    assert status == 200, body
    assert body["corrected"] == ["topic", "place"]
    assert body["status_name"] == "已受理"  # the desk shows the status's name, not its code
    now = stack.store.get_case(case.number)
    assert (now.topic, now.place, now.text) == ("traffic_facility", "八一街与人民路口",
                                                "路口红绿灯坏了")
    corrected = [e for e in stack.store.events(case.number) if e.action == "corrected"]
    assert len(corrected) == 1
    assert corrected[0].actor == "agent:agent1" and corrected[0].to_status == now.status
    assert corrected[0].data == {"before": {"topic": "street_light", "place": None},
                                 "after": {"topic": "traffic_facility",
                                           "place": "八一街与人民路口"}}


async def test_bad_corrections_get_400_and_write_nothing(stack):
    case = stack.store.create_case(channel="phone", caller="13511113333",
                                   text="小区噪音太大", kind="complaint", topic="noise")
    agent = await stack.login("agent1")
    for change, message in ((({"topic": "no_such_topic"}), "unknown topic"),
                            ({"kind": "nonsense"}, "unknown kind"),
                            ({"text": "   "}, "text"),
                            ({"place": "路" * 301}, "place"),
                            ({"text": "x" * 10_001}, "text")):
        body = {"case_number": case.number, "kind": "complaint", "topic": "noise",
                "text": "小区噪音太大", **change, "do": "save"}
        status, err = await agent.post_json("/desk/case", body)
        assert status == 400, (change, err)
        assert message in err["error"]
    status, err = await agent.post_json("/desk/case", {"case_number": "20990101999999",
                                                       "kind": "complaint", "text": "x"})
    assert status == 400 and "no case" in err["error"]
    assert stack.store.get_case(case.number).topic == "noise"
    assert [e.action for e in stack.store.events(case.number)] == ["create"]


async def test_correction_escapes_html_on_the_case_page(web):  # noqa: F811
    case = web.store.create_case(channel="phone", caller="13511114444", text="井盖丢了",
                                 kind="affairs", topic="road_damage")
    agent = await web.login("agent1")
    status, _ = await agent.post_json("/desk/case", {
        "case_number": case.number, "kind": "affairs", "topic": "road_damage",
        "text": "井盖丢了<script>alert(1)</script>", "do": "save"})
    assert status == 200
    status, html = await agent.page(f"/case/{case.number}")
    assert status == 200
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


async def test_a_corrected_topic_teaches_the_tagger(web):  # noqa: F811
    agent = await web.login("agent1")
    # the packaged tagger reads a radiator as an appliance; this agent says plumbing
    probe = f"/desk/suggest?text={quote('暖气片不热')}"
    async with agent.http.get(probe) as r:
        assert (await r.json())["topic"] != "plumbing_electric"
    case = web.store.create_case(channel="phone", caller="13511115555",
                                 text="家里的暖气片不热了", kind="complaint",
                                 topic="gov_efficiency")
    status, body = await agent.post_json("/desk/case", {
        "case_number": case.number, "kind": "life", "topic": "plumbing_electric",
        "text": "家里的暖气片不热了", "do": "save"})
    assert status == 200 and "暖气片" in body["learned"]
    async with agent.http.get(probe) as r:
        assert (await r.json())["topic"] == "plumbing_electric"
    # the next citizen who says it the same way gets the right topic on the web form too
    citizen = web.client()
    from tests.integration.web_support import Browser

    form = Browser(citizen)
    await form.page("/report")
    status, html = await form.form("/report", {"phone": "13511116666",
                                               "text": "楼上暖气片不热，麻烦看看"})
    assert status == 200
    number = html.split('id="report-number">')[1].split("<")[0]
    assert web.store.get_case(number).topic == "plumbing_electric"


async def test_transfer_refuses_unknown_targets_and_explains_without_a_call(web):  # noqa: F811
    agent = await web.login("agent1")
    status, err = await agent.post_json("/desk/transfer", {"target": "13800000000"})
    assert status == 400 and "unknown transfer target" in err["error"]
    status, err = await agent.post_json("/desk/transfer", {"target": "company:nobody"})
    assert status == 400
    status, err = await agent.post_json("/desk/transfer", {"target": "seat:8002"})
    assert status == 503 and "未连接" in err["error"]  # this console has no AMI link
    sup = await web.login("sup1")
    status, _ = await sup.post_json("/desk/transfer", {"target": "seat:8002"})
    assert status == 403
    status, html = await agent.page("/desk")
    assert 'value="seat:8002"' in html and 'value="seat:8001"' not in html
    assert "0579-88900026" in html  # partner companies with a phone are offered


async def test_an_agent_checks_a_number_outside_the_plan_then_it_goes_in_line(web):  # noqa: F811
    """The ACD never dials +1 202... on its own; the desk shows it with what the caller
    said, and once an agent confirms the number the callback is owed like any other."""
    from datetime import UTC, datetime, timedelta

    from acd.line import WaitingLine

    now = datetime.now(UTC)
    web.store.save_callback("cb-check-1", caller="13800000001", callback_number="+12025550123",
                            origin="trunk", arrived_at=now, due_at=now + timedelta(minutes=5),
                            status="needs_check", outcome="number_to_check",
                            transcript="请打我美国的号码")
    agent = await web.login("agent1")
    status, page = await agent.page("/desk")
    assert status == 200 and "+12025550123" in page and "请打我美国的号码" in page
    status, body = await agent.post_json("/desk/callbacks/cb-check-1/confirm",
                                         {"number": "+86 139 1234 5678"})  # the right one
    assert status == 200, body
    assert body["number"] == "13912345678"
    assert web.store.get_callback("cb-check-1").status == "pending"
    line = WaitingLine(web.redis, web.prefix)
    assert (await line.get("cb-check-1")).callback_number == "13912345678"
    status, _ = await agent.post_json("/desk/callbacks/cb-check-1/confirm",
                                      {"number": "13912345678"})
    assert status == 409  # checked once
    department = await web.login("dept_cm")
    status, _ = await department.post_json("/desk/callbacks/cb-check-1/confirm",
                                           {"number": "13912345678"})
    assert status == 403


async def test_consult_targets_are_named_and_only_the_agent_on_the_call_may_consult(
        web):  # noqa: F811
    duty = {t.code: t.phone for t in web.store.duty_phones()}
    assert duty["city_management"] == "0579-88901004"  # a catalog (city) department
    assert duty["lanxi_center"] == "0579-88901025"  # a county sub-centre from the seed
    assert len(duty) == len(web.store.department_names())  # every department has one
    agent = await web.login("agent1")
    status, html = await agent.page("/desk")
    assert 'value="department:city_management" data-stay="1"' in html
    assert 'value="company:plumbing_wucheng" data-stay="0"' in html
    status, err = await agent.post_json("/desk/consult", {"target": "057988901004"})
    assert status == 400 and "unknown consult target" in err["error"]  # never a number
    status, err = await agent.post_json("/desk/consult", {"target": "department:nobody"})
    assert status == 400
    status, err = await agent.post_json("/desk/consult", {"target": "department:parks",
                                                          "stay": "yes"})
    assert status == 400
    status, err = await agent.post_json("/desk/consult", {"target": "department:parks"})
    assert status == 503 and "未连接" in err["error"]  # this console has no AMI link
    status, err = await agent.post_json("/desk/consult/leave", {})
    assert status == 503
    for name in ("dept_cm", "comp_a", "leader1", "admin1"):  # not on any call
        other = await web.login(name)
        for path in ("/desk/consult", "/desk/consult/leave"):
            status, _ = await other.post_json(path, {"target": "department:parks"})
            assert status == 403, (name, path)
    sup = await web.login("sup1")  # a supervisor at a seat gets as far as the phone system
    status, _ = await sup.post_json("/desk/consult", {"target": "department:parks"})
    assert status == 503
    web.accounts.add_user("sup_noseat", "supervisor", "correct-horse-42")
    seatless = await web.login("sup_noseat")
    status, err = await seatless.post_json("/desk/consult", {"target": "department:parks"})
    assert status == 403 and "no seat" in err["error"]


async def test_consult_refuses_without_the_csrf_token(web):  # noqa: F811
    agent = await web.login("agent1")
    agent.csrf = "forged"
    status, _ = await agent.post_json("/desk/consult", {"target": "department:parks"})
    assert status == 403

"""Leader approval, joint handling, out-of-jurisdiction closure and supervision notices
through real HTTP, with the roles that may not act refused."""

from __future__ import annotations

import re

import pytest

from tests.integration.web_support import web  # noqa: F401

pytestmark = pytest.mark.integration


def _dept_case(store, text="八一北街路灯不亮，晚上很危险", caller="13900000101"):
    case = store.create_case(channel="phone", caller=caller, text=text, kind="affairs",
                             topic="street_light")
    return store.route(case.number)


async def test_a_leader_instructs_what_a_supervisor_marked_and_the_department_sees_it(web):  # noqa: F811
    case = _dept_case(web.store)
    other = _dept_case(web.store, text="人民路路灯闪烁", caller="13900000102")
    assert case.owner == "city_management"
    web.accounts.add_user("leader2", "leader", "pw-leader-2-long")
    web.accounts.disable("leader2")  # a disabled (or retired) leader is no longer offered
    sup = await web.login("sup1")
    _, page = await sup.page(f"/case/{case.number}")
    assert "呈领导批办" in page and '<option value="leader1">' in page
    assert 'value="leader2"' not in page
    status, _ = await sup.form(f"/case/{case.number}/mark_for_leader",
                               {"leader": "leader1", "note": "群众多次来电"})
    assert status == 200
    leader = await web.login("leader1")
    status, page = await leader.page("/leader")
    assert status == 200 and case.number in page and other.number not in page
    status, _ = await leader.page(f"/case/{other.number}")
    assert status == 404  # not marked for them
    for name in ("agent1", "dept_cm", "sup1"):  # may see the case, may not instruct it
        browser = await web.login(name)
        status, _ = await browser.form(f"/case/{case.number}/instruct",
                                       {"instruction": "我来批"})
        assert status == 403, name
    due_before = web.store.get_case(case.number).due_at
    status, _ = await leader.form(f"/case/{case.number}/instruct",
                                  {"instruction": "请两日内修复并回复市民"})
    assert status == 200
    assert web.store.get_case(case.number).due_at < due_before
    status, _ = await leader.form(f"/case/{case.number}/instruct", {"instruction": "再批"})
    assert status == 403  # one instruction per marking
    _, page = await leader.page("/leader")
    waiting, instructed = page.split('id="waiting"')[1].split('id="instructed"')
    assert case.number not in waiting and case.number in instructed
    dept = await web.login("dept_cm")
    _, page = await dept.page(f"/case/{case.number}")
    instruction = page.split('id="instruction"')[1].split("</div>")[0]
    assert "请两日内修复并回复市民" in instruction and "leader1" in instruction


async def test_co_handlers_give_findings_the_lead_replies_for_all(web):  # noqa: F811
    case = _dept_case(web.store)
    sup = await web.login("sup1")
    status, _ = await sup.form(f"/case/{case.number}/add_cohandler", {"dept": "environment"})
    assert status == 200 and web.store.get_case(case.number).cohandlers == ("environment",)
    env = await web.login("dept_env")
    _, page = await env.page("/dept")
    assert case.number in page
    _, page = await env.page(f"/case/{case.number}")
    assert "提交会办意见" in page and "do-accept" not in page
    status, _ = await env.form(f"/case/{case.number}/reply", {"reply": "越权答复"})
    assert status == 403  # the lead replies, not a co-handler
    lead = await web.login("dept_cm")
    status, _ = await lead.form(f"/case/{case.number}/finding", {"finding": "牵头单位"})
    assert status == 403  # the lead's part is the reply
    agent = await web.login("agent1")
    status, _ = await agent.form(f"/case/{case.number}/finding", {"finding": "座席"})
    assert status == 403
    status, _ = await env.form(f"/case/{case.number}/finding", {"finding": "   "})
    assert status == 400
    status, _ = await env.form(f"/case/{case.number}/finding",
                               {"finding": "路灯线路无漏电隐患"})
    assert status == 200
    await lead.form(f"/case/{case.number}/accept", {})
    _, page = await lead.page(f"/case/{case.number}")
    joint = page.split('id="joint"')[1].split("</table>")[0]
    assert "路灯线路无漏电隐患" in joint and "尚未提交" in joint  # the lead's part is due
    draft = re.search(r'<textarea name="reply"[^>]*>([^<]*)</textarea>', page).group(1)
    assert "路灯线路无漏电隐患" in draft  # the joint reply starts from the findings
    status, page = await lead.form(f"/case/{case.number}/reply",
                                   {"reply": draft + "经会办，路灯已修复。"})
    assert status == 200
    joint = page.split('id="joint"')[1].split("</table>")[0]
    assert "经会办，路灯已修复。" in joint and "尚未提交" not in joint
    reply = web.store.events(case.number)[-1]
    assert reply.action == "reply" and reply.data["findings_from"] == ["environment"]


async def test_only_a_supervisor_closes_out_of_jurisdiction_and_the_citizen_is_told(web):  # noqa: F811
    case = _dept_case(web.store, text="要求重审我的劳动争议判决")
    form = {"reason": "属于司法审判事项", "referral": "人民法院", "detail": "婺城区人民法院"}
    for name in ("dept_cm", "agent1"):
        browser = await web.login(name)
        status, _ = await browser.form(f"/case/{case.number}/close_out_of_jurisdiction", form)
        assert status == 403, name
    sup = await web.login("sup1")
    _, page = await sup.page(f"/case/{case.number}")
    assert "集中销案" in page and '<option value="浙江省12345政务服务热线">' in page
    status, _ = await sup.form(f"/case/{case.number}/close_out_of_jurisdiction",
                               {**form, "referral": "月球"})
    assert status == 409 and web.store.get_case(case.number).status == "assigned"
    status, page = await sup.form(f"/case/{case.number}/close_out_of_jurisdiction", form)
    assert status == 200 and web.store.get_case(case.number).status == "closed"
    assert "婺城区人民法院" in page  # in the history
    event = web.store.events(case.number)[-1]
    assert event.action == "close_out_of_jurisdiction"
    assert "人民法院（婺城区人民法院）" in event.data["notify_citizen"]


async def test_a_department_reads_prints_and_acknowledges_its_supervision_notice(web):  # noqa: F811
    case = _dept_case(web.store)
    web.store.transition(case.number, "accept", "test")
    dept = await web.login("dept_cm")
    status, _ = await dept.form(f"/case/{case.number}/supervise", {"reason": "自己督办"})
    assert status == 403
    sup = await web.login("sup1")
    status, _ = await sup.form(f"/case/{case.number}/supervise", {"reason": "群众反映强烈"})
    assert status == 200
    _, page = await dept.page("/dept")
    number = re.search(r"DB-\d{4}-\d{6}", page.split('id="notices"')[1]).group(0)
    assert "未签收" in page
    status, page = await dept.page(f"/notice/{number}")
    assert status == 200 and "群众反映强烈" in page and case.number in page
    assert 'href="/static/notice.css"' in page and 'id="do-acknowledge"' in page
    assert "style=" not in page and "<script>" not in page  # the CSP allows neither
    async with web.client().get("/static/notice.css") as r:
        assert r.status == 200 and "@media print" in await r.text()
    for name in ("agent1", "sup1", "leader1"):  # may not sign for a department
        browser = await web.login(name)
        status, _ = await browser.form(f"/notice/{number}/acknowledge", {})
        assert status == 403, name
    env = await web.login("dept_env")
    status, _ = await env.page(f"/notice/{number}")
    assert status == 404
    status, _ = await env.form(f"/notice/{number}/acknowledge", {})
    assert status == 404
    status, page = await dept.form(f"/notice/{number}/acknowledge", {})
    assert status == 200 and "已签收" in page and 'id="do-acknowledge"' not in page
    [notice] = web.store.supervision_notices(owner="city_management")
    assert notice.acknowledged_by == "department:dept_cm"
    status, _ = await dept.form(f"/notice/{number}/acknowledge", {})
    assert status == 409
    event = web.store.events(case.number)[-1]
    assert (event.action, event.data["notice_no"]) == ("acknowledge_notice", number)

"""Department and company portals through real HTTP: queues, actions, isolation, escaping."""

from __future__ import annotations

import pytest

from tests.integration.web_support import web, web_pg  # noqa: F401

pytestmark = pytest.mark.integration

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _dept_case(store, text="八一北街井盖缺失，请尽快处理", caller="13900000001"):
    case = store.create_case(channel="phone", caller=caller, text=text, kind="affairs",
                             topic="road_damage")
    return store.route(case.number)


def _company_case(store, caller="13900000009"):
    case = store.create_case(channel="phone", caller=caller, text="厨房下水道堵了", kind="life",
                             topic="drain", lat=29.08, lon=119.65)
    return store.route(case.number)


async def test_department_accepts_and_replies_and_the_case_moves_on(web):  # noqa: F811
    case = _dept_case(web.store)
    assert case.owner == "city_management" and case.status == "assigned"
    dept = await web.login("dept_cm")
    status, page = await dept.page("/dept")
    assert status == 200 and case.number in page
    status, page = await dept.page(f"/case/{case.number}")
    assert "签收" in page and "13900000001" in page  # departments see the number
    status, page = await dept.form(f"/case/{case.number}/accept", {})
    assert status == 200 and "已签收" in page
    status, page = await dept.form(f"/case/{case.number}/reply",
                                   {"reply": "已安排人员更换井盖"})
    assert status == 200
    after = web.store.get_case(case.number)
    assert after.status == "replied"
    assert "已安排人员更换井盖" in page  # the history shows the reply
    assert [e.action for e in web.store.events(case.number)][-2:] == ["accept", "reply"]
    # a reply is not possible twice
    status, _ = await dept.form(f"/case/{case.number}/reply", {"reply": "again"})
    assert status == 403


async def test_extension_request_goes_to_the_supervisor_for_approval(web):  # noqa: F811
    case = _dept_case(web.store, text="路面塌陷需要大修")
    web.store.transition(case.number, "accept", "test")
    due_before = web.store.get_case(case.number).due_at
    dept = await web.login("dept_cm")
    status, _ = await dept.form(f"/case/{case.number}/extension",
                                {"days": "5", "reason": "需要协调施工"})
    assert status == 200
    assert web.store.get_case(case.number).due_at == due_before  # not granted yet
    status, _ = await dept.form(f"/case/{case.number}/extension", {"days": "99", "reason": "x"})
    assert status == 400
    sup = await web.login("sup1")
    status, page = await sup.page(f"/case/{case.number}")
    assert "批准延期 5" in page
    status, _ = await sup.form(f"/case/{case.number}/approve_extension", {"days": "5"})
    assert status == 200
    assert web.store.get_case(case.number).due_at > due_before


async def test_a_department_sees_only_its_own_cases(web):  # noqa: F811
    case = _dept_case(web.store)
    other = await web.login("dept_env")
    status, page = await other.page("/dept")
    assert case.number not in page
    status, _ = await other.page(f"/case/{case.number}")
    assert status == 404
    status, _ = await other.form(f"/case/{case.number}/accept", {})
    assert status == 404
    assert web.store.get_case(case.number).status == "assigned"


async def test_company_confirms_contact_and_completion(web):  # noqa: F811
    case = _company_case(web.store)
    assert case.owner_type == "company"
    name = {"plumbing_wucheng": "comp_a", "plumbing_jindong": "comp_b"}[case.owner]
    company = await web.login(name)
    status, page = await company.page("/company")
    assert case.number in page and "13900000009" in page  # it serves this order
    status, page = await company.form(f"/case/{case.number}/confirm_contact", {})
    assert status == 200 and web.store.get_case(case.number).status == "accepted"
    status, page = await company.form(f"/case/{case.number}/complete", {"reply": "已疏通"})
    assert status == 200 and web.store.get_case(case.number).status == "replied"
    assert "139****0009" in page and "13900000009" not in page  # done: number masked


async def test_a_company_cannot_open_another_companys_order(web):  # noqa: F811
    case = _company_case(web.store, caller="13900000077")
    other = {"plumbing_wucheng": "comp_b", "plumbing_jindong": "comp_a"}[case.owner]
    company = await web.login(other)
    status, page = await company.page("/company")
    assert case.number not in page
    status, page = await company.page(f"/case/{case.number}")
    assert status == 404 and "13900000077" not in page
    status, _ = await company.form(f"/case/{case.number}/confirm_contact", {})
    assert status == 404
    assert web.store.get_case(case.number).status == "assigned"
    # and a company never sees department cases
    dept_case = _dept_case(web.store)
    status, _ = await company.page(f"/case/{dept_case.number}")
    assert status == 404


async def test_html_in_case_text_is_escaped_on_every_page(web):  # noqa: F811
    case = _dept_case(web.store, text=f"井盖{HOSTILE}缺失")
    web.store.transition(case.number, "accept", "test")
    web.store.transition(case.number, "note", "test", reason=HOSTILE)
    pages = {"dept_cm": ["/dept", f"/case/{case.number}"], "sup1": ["/dept",
                                                                   f"/case/{case.number}"]}
    for name, paths in pages.items():
        browser = await web.login(name)
        for path in paths:
            status, page = await browser.page(path)
            assert status == 200
            assert "<script>alert" not in page and "<img src=x" not in page, (name, path)
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page, (name, path)
    dept = await web.login("dept_cm")
    status, page = await dept.form(f"/case/{case.number}/reply", {"reply": HOSTILE})
    assert "<script>alert" not in page and "&lt;img src=x" in page


async def test_portals_and_open311_work_on_postgresql(web_pg):  # noqa: F811
    case = _dept_case(web_pg.store)
    helper = _dept_case(web_pg.store, text="路面塌陷", caller="13900000002")
    web_pg.store.transition(helper.number, "add_cohandler", "test", dept="environment")
    env = await web_pg.login("dept_env")
    _, page = await env.page("/dept")
    assert helper.number in page and case.number not in page  # co-handled only
    dept = await web_pg.login("dept_cm")
    status, _ = await dept.form(f"/case/{case.number}/accept", {})
    assert status == 200 and web_pg.store.get_case(case.number).status == "accepted"
    async with web_pg.client().get(
            f"/open311/v2/requests.json?service_request_id={case.number}",
            headers={"X-Api-Key": web_pg.keys["open311"]}) as r:
        assert [x["service_request_id"] for x in await r.json()] == [case.number]

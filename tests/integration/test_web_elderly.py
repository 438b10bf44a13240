"""The elderly registry's console and API through real HTTP, on SQLite and PostgreSQL: the
centre creates, imports and views; every view is logged and the admin sees the log;
everyone else is refused; bad bodies get 400 with a message."""

from __future__ import annotations

import csv
import io
import re

import aiohttp
import pytest

from case_store.elderly import FIELDS
from hotline.web.context import CTX
from hotline.web.elderly import READ_ONLY
from hotline.web.openapi import CONSOLE_OPENAPI
from tests.integration.web_support import schema_errors, web, web_pg  # noqa: F401

pytestmark = pytest.mark.integration
HOSTILE = '<script>alert("x")</script>'
OUTSIDERS = ["agent1", "sup1", "dept_cm", "comp_a"]
PROFILE = {
    "name": "张桂英", "address": "婺城区八一北街12号", "community": "八一北街社区",
    "lat": 29.0789, "lon": 119.6521, "health_notes": "高血压", "medicines": "二甲双胍",
    "mobility": "拄拐杖", "dialect": "jinhua", "worker_name": "李红",
    "worker_phone": "13905790001",
    "care_plan": [{"service": "meals", "days": "mon,wed,fri", "time": "11:30"}],
    "checkin_windows": [{"days": "daily", "start": "09:00", "end": "10:00"}],
    "contacts": [{"name": "王建国", "relation": "儿子", "phone": "+86 138 0013 8000"},
                 {"name": "王丽", "relation": "女儿", "phone": "82345678"}],
}


@pytest.fixture(params=["sqlite", "postgresql"])
def stack(request):
    return request.getfixturevalue("web" if request.param == "sqlite" else "web_pg")


def registry(stack):
    return stack.server.app[CTX].elderly


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


async def put(browser, terminal: str, body, csrf: bool = True) -> tuple[int, dict]:
    headers = {"X-CSRF-Token": browser.csrf} if csrf else {}
    async with browser.http.put(f"/api/elderly/{terminal}", json=body, headers=headers) as r:
        return r.status, await r.json()


async def get_json(browser, path: str) -> tuple[int, object]:
    async with browser.http.get(path) as r:
        return r.status, await r.json()


async def upload(browser, data: bytes, filename: str = "centre.csv") -> tuple[int, str]:
    form = aiohttp.FormData()
    form.add_field("csrf_token", browser.csrf)
    form.add_field("file", data, filename=filename, content_type="application/octet-stream")
    async with browser.http.post("/elderly/import", data=form,
                                 headers={"Accept": "text/html"}) as r:
        return r.status, await r.text()


def schema_of(path: str, method: str, status: int) -> dict:
    op = CONSOLE_OPENAPI["paths"][path][method]
    return op["responses"][str(status)]["content"]["application/json"]["schema"]


async def test_the_centre_logs_in_to_the_registry_and_adds_a_person_by_form(stack):
    centre = await stack.login("centre1")
    status, page = await centre.page("/")
    assert 'href="/elderly"' in page  # in the navigation
    status, page = await centre.page("/elderly/new")
    assert status == 200 and 'name="contact3_phone"' in page
    status, page = await centre.form("/elderly", {
        "terminal": "9001", "name": "张桂英", "address": "八一北街12号",
        "community": "八一北街社区", "lat": "29.08", "lon": "119.65", "dialect": "jinhua",
        "active": "yes",
        "care_plan": "助餐 周一,周三,周五 11:30", "checkin_windows": "每天 09:00-10:00",
        "contact1_name": "王建国", "contact1_relation": "儿子", "contact1_phone": "13800138000",
        "contact2_name": "王丽", "contact2_relation": "女儿", "contact2_phone": "82345678"})
    assert status == 200 and "张桂英" in page and "057982345678" in page  # the card
    assert "助餐 mon,wed,fri 11:30" in page and "金华话" in page
    saved = registry(stack).profile("9001")
    assert [c.name for c in saved.contacts] == ["王建国", "王丽"]
    status, page = await centre.page("/elderly")
    assert re.search(r'<a href="/elderly/9001">9001</a></td><td>张桂英</td><td>八一北街社区</td>'
                     r"<td>在用</td>", page)
    # editing shows the same text back, and a wrong number is refused with the form kept
    status, page = await centre.page("/elderly/9001/edit")
    assert status == 200 and 'value="王建国"' in page and "readonly" in page
    status, page = await centre.form("/elderly", {"terminal": "9001", "name": "张桂英",
                                                  "contact1_name": "王建国",
                                                  "contact1_phone": "12345"})
    assert status == 400 and "outside the callback dial plan" in page and 'value="12345"' in page
    assert registry(stack).profile("9001").contacts[0].phone == "13800138000"
    status, page = await centre.form("/elderly/9001/deactivate", {})
    assert status == 200 and "已停用" in page and registry(stack).terminals() == []


async def test_the_import_page_reports_bad_rows_and_imports_the_good_ones(stack):
    centre = await stack.login("centre1")
    await centre.page("/elderly")
    rows = [["终端号", "姓名", "社区", "紧急联系人1", "紧急联系人1电话", "关系1", "备注"],
            ["9001", "张桂英", "八一北街社区", "王建国", "13800138000", "儿子", ""],
            ["9002", "李桂兰", "江南社区", "李伟", "12345", "儿子", ""],
            ["9003", "", "江南社区", "", "", "", "喜欢越剧"],
            ["9004", "赵奶奶", "江南社区", "赵强", "+1 202 555 0123", "孙子", ""]]
    status, page = await upload(centre, csv_bytes(rows, "gb18030"))
    assert status == 200
    assert re.search(r'id="imported">已导入: <b>1</b> 9001<', page)
    bad = re.findall(r"<tr class=\"\"><td>(\d+)</td><td>(\d+)</td><td>([^<]+)</td>", page)
    assert [(row, terminal) for row, terminal, _ in bad] == [("3", "9002"), ("4", "9003"),
                                                            ("5", "9004")]
    assert "outside the callback dial plan" in bad[0][2] and "name is required" in bad[1][2]
    assert "备注" in page  # the column it did not know
    assert registry(stack).terminals() == ["9001"]
    status, page = await upload(centre, b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls")
    assert status == 400 and "xlsx" in page.lower()


async def test_a_sheet_larger_than_an_ordinary_form_imports(stack):
    centre = await stack.login("centre1")
    await centre.page("/elderly")
    rows = [["terminal", "name", "address", "health_notes"]] + [
        [str(100000 + n), f"老人{n}", "婺城区八一北街" * 4, "高血压，需定期测量血压" * 8]
        for n in range(800)]
    data = csv_bytes(rows)
    assert len(data) > 256 * 1024  # the console's cap for other bodies
    status, page = await upload(centre, data)
    assert status == 200 and "已导入: <b>800</b>" in page
    assert len(registry(stack).terminals()) == 800


async def test_every_view_is_logged_and_the_admin_reads_the_log(stack):
    registry(stack).upsert("9001", name="张桂英", contacts=[
        {"name": "王建国", "relation": "儿子", "phone": "13800138000"}])
    centre = await stack.login("centre1")
    status, page = await centre.page("/elderly/9001")
    assert status == 200 and "13800138000" in page and "view-log" not in page
    status, body = await get_json(centre, "/api/elderly/9001")
    assert status == 200 and body["contacts"][0]["phone"] == "13800138000"
    status, _ = await get_json(centre, "/api/elderly")  # the list is not a view
    registry(stack).view("9001", "agent1", "agent", "desk pop")  # what the desk will call
    admin = await stack.login("admin1")
    status, page = await admin.page("/elderly/9001/views")
    assert status == 200
    logged = re.findall(r"<td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)</td><td>(\w+)</td>"
                        r"<td>(\w+)</td><td>([\w ]+)</td>", page)
    assert [row[1:] for row in logged] == [("agent1", "agent", "desk pop"),
                                           ("centre1", "elderly_centre", "api"),
                                           ("centre1", "elderly_centre", "page")]
    status, page = await admin.page("/elderly/9001")  # the admin's own look is logged too
    assert 'id="view-log"' in page
    assert [(v.viewer, v.purpose) for v in registry(stack).views("9001")][0] == ("admin1", "page")
    async with centre.http.get("/elderly/9001/views") as r:
        assert r.status == 403  # the log is the admin's


@pytest.mark.parametrize("name", OUTSIDERS)
async def test_agents_supervisors_departments_and_companies_are_refused(web, name):  # noqa: F811
    web.server.app[CTX].elderly.upsert("9001", name="张桂英")
    browser = await web.login(name)
    for path in ("/elderly", "/elderly/9001", "/elderly/9001/edit", "/elderly/new",
                 "/elderly/9001/views", "/api/elderly", "/api/elderly/9001", "/api/openapi.json"):
        async with browser.http.get(path, allow_redirects=False) as r:
            assert r.status == 403, (name, path)
    status, _ = await put(browser, "9001", {"name": "改名"})
    assert status == 403
    async with browser.http.delete("/api/elderly/9001",
                                   headers={"X-CSRF-Token": browser.csrf}) as r:
        assert r.status == 403
    status, _ = await browser.form("/elderly", {"terminal": "9001", "name": "改名"})
    assert status == 403
    status, _ = await upload(browser, csv_bytes([["终端号", "姓名"], ["9001", "改名"]]))
    assert status == 403
    registry_now = web.server.app[CTX].elderly
    assert registry_now.profile("9001").name == "张桂英" and registry_now.views("9001") == []


async def test_anonymous_visitors_are_sent_to_log_in(web):  # noqa: F811
    async with web.client().get("/elderly", headers={"Accept": "text/html"},
                                allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"].startswith("/login?next=")
    async with web.client().get("/api/elderly/9001") as r:
        assert r.status == 401


async def test_the_api_creates_replaces_reads_and_deactivates(stack):
    centre = await stack.login("centre1")
    await centre.page("/elderly")
    status, created = await put(centre, "9001", PROFILE)
    assert status == 201, created
    root = CONSOLE_OPENAPI
    assert schema_errors(created, schema_of("/elderly/{terminal}", "put", 201), root) == []
    assert [c["phone"] for c in created["contacts"]] == ["13800138000", "057982345678"]
    status, replaced = await put(centre, "9001", {**created, "medicines": "阿司匹林"})
    assert status == 200 and replaced["medicines"] == "阿司匹林"  # a GET's body goes back
    assert replaced["created_at"] == created["created_at"]
    status, listed = await get_json(centre, "/api/elderly")
    assert listed == [{"terminal": "9001", "name": "张桂英", "community": "八一北街社区",
                       "active": True}]
    assert schema_errors(listed, schema_of("/elderly", "get", 200), root) == []
    status, one = await get_json(centre, "/api/elderly/9001")
    assert status == 200 and one == replaced
    assert schema_errors(one, schema_of("/elderly/{terminal}", "get", 200), root) == []
    async with centre.http.delete("/api/elderly/9001",
                                  headers={"X-CSRF-Token": centre.csrf}) as r:
        assert r.status == 200 and await r.json() == {"terminal": "9001", "active": False}
    assert registry(stack).terminals() == []
    status, page = await centre.page("/elderly/9001")
    assert "已停用" in page and 'id="deactivate"' not in page
    status, doc = await get_json(centre, "/api/openapi.json")
    assert status == 200 and {"/elderly", "/elderly/{terminal}"} <= set(doc["paths"])
    accepted = set(doc["components"]["schemas"]["ProfileInput"]["properties"])
    assert accepted == set(FIELDS) | set(READ_ONLY)  # the document takes what PUT takes


@pytest.mark.parametrize("body, message", [
    ({"name": "张桂英", "nickname": "张阿姨"}, "unknown fields: nickname"),
    ({"address": "八一北街"}, "name is required"),
    ({"name": "张桂英", "lat": "29.08"}, "lat must be a number"),
    ({"name": "张桂英", "contacts": [{"name": "王", "phone": "12345"}]},
     "outside the callback dial plan"),
    ({"name": "张桂英", "contacts": "王建国 13800138000"}, "contacts must be a list"),
    ({"name": "张桂英", "terminal": "9002"}, "differs"),
    (["张桂英"], "must be a JSON object"),
])
async def test_bad_fields_get_400_with_what_was_wrong(web, body, message):  # noqa: F811
    centre = await web.login("centre1")
    status, answer = await put(centre, "9001", body)
    assert status == 400 and message in answer["error"]
    assert web.server.app[CTX].elderly.profile("9001") is None


async def test_bodies_that_are_not_utf8_or_not_json_get_400(web):  # noqa: F811
    centre = await web.login("centre1")
    headers = {"X-CSRF-Token": centre.csrf}
    async with centre.http.put("/api/elderly/9001", data='{"name": "张桂英"}'.encode("gb18030"),
                               headers={**headers, "Content-Type": "application/json"}) as r:
        assert r.status == 400 and "JSON" in (await r.json())["error"]
    async with centre.http.put("/api/elderly/9001", data=b"{name:",
                               headers={**headers, "Content-Type": "application/json"}) as r:
        assert r.status == 400
    form = f"csrf_token={centre.csrf}&terminal=9001&name=".encode() + "张桂英".encode("gb18030")
    async with centre.http.post("/elderly", data=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}) as r:
        assert r.status == 400 and "UTF-8" in await r.text()
    assert web.server.app[CTX].elderly.profile("9001") is None


async def test_unknown_terminals_are_404_and_unsafe_calls_need_the_csrf_token(web):  # noqa: F811
    centre = await web.login("centre1")
    for path in ("/elderly/9999", "/elderly/not-a-number", "/api/elderly/9999"):
        async with centre.http.get(path, headers={"Accept": "text/html"}) as r:
            assert r.status == 404, path
    async with centre.http.delete("/api/elderly/9999",
                                  headers={"X-CSRF-Token": centre.csrf}) as r:
        assert r.status == 404
    status, _ = await put(centre, "9001", {"name": "张桂英"}, csrf=False)
    assert status == 403 and web.server.app[CTX].elderly.profile("9001") is None


async def test_names_and_notes_are_escaped_on_every_page(web):  # noqa: F811
    web.server.app[CTX].elderly.upsert("9001", name=HOSTILE, health_notes=HOSTILE,
                                       community=HOSTILE)
    centre = await web.login("centre1")
    for path in ("/elderly", "/elderly/9001", "/elderly/9001/edit"):
        status, page = await centre.page(path)
        assert status == 200 and HOSTILE not in page and "&lt;script&gt;" in page, path

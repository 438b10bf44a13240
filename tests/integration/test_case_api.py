"""The cases' machine API (a CRM's view): create through the intake, read, search with
filters, and the refusals it must make plainly (400, 401, 403, 404)."""

from __future__ import annotations

import pytest

from hotline.web.openapi import CONSOLE_OPENAPI
from tests.integration.web_support import schema_errors, web  # noqa: F401

pytestmark = pytest.mark.integration
CALLER = "13812345678"


def _schema(path: str, method: str, status: int) -> dict:
    op = CONSOLE_OPENAPI["paths"][path][method]
    return op["responses"][str(status)]["content"]["application/json"]["schema"]


async def call(web, method: str, path: str, scope: str | None = "cases:write",  # noqa: F811
               **kw) -> tuple[int, object]:
    headers = {"X-Api-Key": web.keys[scope]} if scope else {}
    async with web.client().request(method, path, headers=headers, **kw) as r:
        return r.status, await r.json()


async def test_a_crm_creates_a_case_reads_it_back_and_finds_it(web):  # noqa: F811
    status, made = await call(web, "POST", "/api/cases", json={
        "caller": CALLER, "text": "八一北街人行道井盖缺失", "kind": "affairs",
        "topic": "road_damage", "place": "婺城区八一北街 123 号"})
    assert status == 201, made
    assert schema_errors(made, _schema("/cases", "post", 201), CONSOLE_OPENAPI) == []
    assert made["caller"] == "138****5678"  # the full number stays in the case store
    assert made["owner"] == "wucheng_city_management" and made["status"] == "assigned"
    number = made["number"]
    assert web.store.get_case(number).caller == CALLER

    status, one = await call(web, "GET", f"/api/cases/{number}", "cases:read")
    assert status == 200 and one["number"] == number and one["topic"] == "road_damage"
    assert schema_errors(one, _schema("/cases/{id}", "get", 200), CONSOLE_OPENAPI) == []

    status, tagged = await call(web, "POST", "/api/cases", json={
        "caller": "13900001111", "text": "人民路路灯不亮，晚上很黑"})  # the tagger decides
    assert status == 201 and tagged["topic"] == "street_light", tagged
    assert tagged["tags"]["topic"] == "street_light"

    status, found = await call(web, "GET", "/api/cases", "cases:read",
                               params={"topic": "road_damage", "status": "assigned"})
    assert status == 200 and [c["number"] for c in found] == [number]
    assert schema_errors(found, _schema("/cases", "get", 200), CONSOLE_OPENAPI) == []
    status, found = await call(web, "GET", "/api/cases", "cases:read",
                               params={"kind": "affairs", "limit": "1"})
    assert status == 200 and [c["number"] for c in found] == [tagged["number"]]  # newest
    status, found = await call(web, "GET", "/api/cases", "cases:read",
                               params={"kind": "consult,complaint"})
    assert (status, found) == (200, [])
    status, found = await call(web, "GET", "/api/cases", "cases:read",
                               params={"until": "2020-01-01"})
    assert (status, found) == (200, [])
    status, found = await call(web, "GET", "/api/cases", "cases:read",
                               params={"since": "2020-01-01T00:00:00+08:00"})
    assert status == 200 and {c["number"] for c in found} == {number, tagged["number"]}


@pytest.mark.parametrize("body, words", [
    ({"caller": CALLER, "text": "井盖没了", "topic": "no_such_topic"}, "unknown topic"),
    ({"caller": CALLER, "text": "井盖没了", "kind": "gossip"}, "unknown kind"),
    ({"caller": CALLER, "text": "井盖没了", "mood": "angry"}, "unknown fields: mood"),
    ({"caller": "not a phone", "text": "井盖没了", "kind": "affairs"}, "caller"),
    ({"caller": CALLER, "text": "  ", "kind": "affairs"}, "empty"),
    ({"caller": CALLER, "text": 42}, "text must be a string"),
])
async def test_bad_cases_are_refused_with_why(web, body, words):  # noqa: F811
    status, err = await call(web, "POST", "/api/cases", json=body)
    assert status == 400 and words in err["error"], err
    assert web.store.search_cases() == []


@pytest.mark.parametrize("query, words", [
    ({"topic": "no_such_topic"}, "unknown topic"), ({"kind": "gossip"}, "unknown kind"),
    ({"status": "lost"}, "unknown status"), ({"limit": "0"}, "limit"),
    ({"limit": "many"}, "limit"), ({"since": "yesterday"}, "since"),
    ({"since": "2026-02-01", "until": "2026-01-01"}, "after"),
])
async def test_bad_filters_are_a_400_not_an_empty_list(web, query, words):  # noqa: F811
    status, err = await call(web, "GET", "/api/cases", "cases:read", params=query)
    assert status == 400 and words in err["error"], err


async def test_bodies_that_are_not_json_objects_get_400(web):  # noqa: F811
    for data in (b"{not json", b"\xff\xfe\x00", b"[1, 2]"):
        status, err = await call(web, "POST", "/api/cases", data=data)
        assert status == 400 and "JSON" in err["error"], (data, err)


async def test_keys_scopes_and_unknown_cases(web):  # noqa: F811
    body = {"caller": CALLER, "text": "井盖没了", "kind": "affairs"}
    assert (await call(web, "GET", "/api/cases", None))[0] == 401
    async with web.client().get("/api/cases", headers={"X-Api-Key": "hk_forged"}) as r:
        assert r.status == 401
    status, err = await call(web, "POST", "/api/cases", "cases:read", json=body)
    assert status == 403 and "cases:write" in err["error"]  # a reader may not create
    for scope in ("acd:write", "open311"):
        assert (await call(web, "GET", "/api/cases", scope))[0] == 403, scope
    async with web.client().get("/api/cases", headers={
            "Authorization": f"Bearer {web.keys['cases:read']}"}) as r:
        assert r.status == 200
    status, err = await call(web, "GET", "/api/cases/2026-9999999", "cases:read")
    assert status == 404


async def test_a_limit_in_other_digits_is_a_400(web):  # noqa: F811
    for limit in ("²", "١٠", "1e3"):  # str.isdigit says yes to some, int() does not
        status, err = await call(web, "GET", "/api/cases", "cases:read", params={"limit": limit})
        assert status == 400 and "limit" in err["error"], limit

"""Open311 GeoReport v2 against the real app: schema, round trip of every field, errors."""

from __future__ import annotations

from xml.etree.ElementTree import fromstring

import pytest

from hotline.web.openapi import OPENAPI
from tests.integration.web_support import (  # noqa: F401
    response_schema,
    schema_errors,
    web,
)

pytestmark = pytest.mark.integration

FULL = {
    "service_code": "road_damage", "lat": "29.0795", "long": "119.647",
    "address_string": "婺城区八一北街 123 号", "address_id": "JH-000123",
    "email": "citizen@example.org", "device_id": "device-77", "account_id": "acct-5",
    "first_name": "小明", "last_name": "王", "phone": "13812345678",
    "description": "八一北街人行道井盖缺失，夜里很危险", "media_url": "https://img.example.org/1.jpg",
}


async def _post(http, form, key):
    async with http.post("/open311/v2/requests.json", data={**form, "api_key": key}) as r:
        return r.status, await r.json()


async def test_service_list_is_public_and_matches_the_schema(web):  # noqa: F811
    async with web.client().get("/open311/v2/services.json") as r:
        assert r.status == 200
        services = await r.json()
    assert schema_errors(services, response_schema("/services.json", "get", 200), OPENAPI) == []
    codes = {s["service_code"] for s in services}
    assert {"road_damage", "drain", "noise"} <= codes
    road = next(s for s in services if s["service_code"] == "road_damage")
    assert road["service_name"] == "道路破损与井盖"
    async with web.client().get("/open311/v2/services.xml") as r:
        root = fromstring(await r.read())
    assert root.tag == "services" and len(root) == len(services)


async def test_posted_request_reads_back_every_field(web):  # noqa: F811
    http = web.client()
    status, created = await _post(http, FULL, web.keys["open311"])
    assert status == 201, created
    assert schema_errors(created, response_schema("/requests.json", "post", 201), OPENAPI) == []
    number = created[0]["service_request_id"]
    assert created[0]["account_id"] == "acct-5"
    async with http.get(f"/open311/v2/requests/{number}.json",
                        headers={"X-Api-Key": web.keys["open311"]}) as r:
        assert r.status == 200
        records = await r.json()
    schema = response_schema("/requests/{service_request_id}.json", "get", 200)
    assert schema_errors(records, schema, OPENAPI) == []
    rec = records[0]
    assert rec["service_request_id"] == number
    assert rec["service_code"] == "road_damage"
    assert rec["service_name"] == "道路破损与井盖"
    assert rec["description"] == FULL["description"]
    assert rec["address"] == FULL["address_string"]
    assert rec["address_id"] == "JH-000123"
    assert (rec["lat"], rec["long"]) == (29.0795, 119.647)
    assert rec["media_url"] == FULL["media_url"]
    assert rec["status"] == "open"
    assert rec["agency_responsible"] == "市综合行政执法局"  # routed to city_management
    assert rec["expected_datetime"]  # a working-day deadline was set
    assert "13812345678" not in str(rec)  # the citizen's number is never published
    case = web.store.get_case(number)
    assert case.channel == "web" and case.caller == "13812345678"
    assert web.store.caller_history("13812345678")[0].number == number
    # the listing finds it by id, by service code and by status, in JSON and XML
    key = {"X-Api-Key": web.keys["open311"]}
    async with http.get("/open311/v2/requests.json?service_code=road_damage&status=open",
                        headers=key) as r:
        listed = await r.json()
    assert number in [x["service_request_id"] for x in listed]
    assert schema_errors(listed, response_schema("/requests.json", "get", 200), OPENAPI) == []
    async with http.get("/open311/v2/requests.json?status=closed", headers=key) as r:
        assert number not in [x["service_request_id"] for x in await r.json()]
    async with http.get(f"/open311/v2/requests/{number}.xml", headers=key) as r:
        xml = fromstring(await r.read())
    assert xml.find("request/service_request_id").text == number
    assert xml.find("request/description").text == FULL["description"]


async def test_a_closed_case_reads_as_closed(web):  # noqa: F811
    http = web.client()
    _, created = await _post(http, FULL | {"description": "路灯不亮了", "service_code":
                                           "street_light"}, web.keys["open311"])
    number = created[0]["service_request_id"]
    web.store.transition(number, "accept", "test")
    web.store.transition(number, "reply", "test", reply="已修复")
    async with http.get(f"/open311/v2/requests/{number}.json",
                        headers={"X-Api-Key": web.keys["open311"]}) as r:
        rec = (await r.json())[0]
    assert rec["status"] == "closed" and rec["status_notes"] == "已答复"


async def test_json_bodies_are_accepted_too(web):  # noqa: F811
    async with web.client().post("/open311/v2/requests.json", json=FULL,
                                 headers={"X-Api-Key": web.keys["open311"]}) as r:
        assert r.status == 201


@pytest.mark.parametrize("change, message", [
    ({"service_code": ""}, "service_code is required"),
    ({"service_code": "no_such_service"}, "not found"),
    ({"description": ""}, "description is required"),
    ({"description": "长" * 5000}, "longer than"),
    ({"lat": "north"}, "lat must be a number"),
    ({"lat": "95", "long": "119"}, "between"),
    ({"long": ""}, "both lat and long"),
    ({"lat": "", "long": "", "address_string": "", "address_id": ""}, "location is required"),
    ({"phone": ""}, "phone is required"),
    ({"phone": "<b>call me</b>"}, "not a phone number"),
    ({"email": "not-an-email"}, "e-mail"),
    ({"media_url": "javascript:alert(1)"}, "http(s) URL"),
    ({"colour": "red"}, "unknown fields"),
])
async def test_bad_fields_get_400_with_a_geo_report_error(web, change, message):  # noqa: F811
    status, errors = await _post(web.client(), {**FULL, **change}, web.keys["open311"])
    assert status == 400
    assert schema_errors(errors, response_schema("/requests.json", "post", 400), OPENAPI) == []
    assert any(message in e["description"] for e in errors), errors


async def test_malformed_and_oversized_payloads_get_4xx_with_a_message(web):  # noqa: F811
    http = web.client()
    key = {"X-Api-Key": web.keys["open311"]}
    async with http.post("/open311/v2/requests.json", data=b"{not json",
                         headers={**key, "Content-Type": "application/json"}) as r:
        assert r.status == 400
        assert "not valid JSON" in (await r.json())[0]["description"]
    async with http.post("/open311/v2/requests.json", json=["a", "list"], headers=key) as r:
        assert r.status == 400
    async with http.post("/open311/v2/requests.json", data=b"<xml/>",
                         headers={**key, "Content-Type": "text/xml"}) as r:
        assert r.status == 415
    big = {**FULL, "description": "x" * (400 * 1024)}
    async with http.post("/open311/v2/requests.json", data=big, headers=key) as r:
        assert r.status == 413
        assert "size" in (await r.json())["error"].lower()


async def test_writes_and_reads_need_a_key_and_unknown_ids_are_404(web):  # noqa: F811
    http = web.client()
    async with http.post("/open311/v2/requests.json", data=FULL) as r:
        assert r.status == 401
        assert "API key" in (await r.json())[0]["description"]
    async with http.post("/open311/v2/requests.json",
                         data={**FULL, "api_key": "hk_forged"}) as r:
        assert r.status == 401
    async with http.get("/open311/v2/requests/20990101000001.json",
                        headers={"X-Api-Key": web.keys["open311"]}) as r:
        assert r.status == 404


async def test_openapi_document_is_served(web):  # noqa: F811
    async with web.client().get("/open311/v2/openapi.json") as r:
        doc = await r.json()
    assert set(doc["paths"]) == {"/services.json", "/requests.json",
                                 "/requests/{service_request_id}.json"}


async def test_public_requests_hide_the_citizens_phone_and_name(web):  # noqa: F811
    """A WeChat or phone case often holds the citizen's number and name; Open311 is
    public, so its description does not."""
    web.store.create_case(channel="wechat", caller="13812347777",
                          text="我叫王小明，电话13812347777，八一南街路灯坏了",
                          kind="affairs", topic="street_light")
    async with web.client().get("/open311/v2/requests.json",
                                headers={"X-Api-Key": web.keys["open311"]}) as r:
        text = await r.text()
        records = await r.json()
    assert r.status == 200
    assert "13812347777" not in text and "王小明" not in text
    assert any("路灯坏了" in rec["description"] for rec in records)

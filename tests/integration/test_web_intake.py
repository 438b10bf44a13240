"""Citizen channels (web form, SMS, WeChat) and /metrics on the real app."""

from __future__ import annotations

from xml.etree.ElementTree import fromstring

import pytest

from tests.integration.web_support import Browser, web  # noqa: F401

pytestmark = pytest.mark.integration


async def test_citizen_form_creates_a_tagged_routed_case(web):  # noqa: F811
    citizen = Browser(web.client())
    status, page = await citizen.page("/report")
    assert status == 200 and "在线反映" in page and 'name="viewport"' in page
    status, page = await citizen.form("/report", {
        "phone": "13812340000", "name": "张三",
        "text": "婺城区八一北街的路灯坏了好几天了", "place": ""})
    assert status == 200 and "已受理" in page
    number = page.split('id="report-number">')[1].split("<")[0]
    case = web.store.get_case(number)
    assert case.channel == "web" and case.topic == "street_light"
    assert case.status == "assigned"  # routed at once
    assert case.owner == "wucheng_city_management"  # the district named in the text


async def test_citizen_form_rejects_bad_input_and_escapes_it(web):  # noqa: F811
    citizen = Browser(web.client())
    await citizen.page("/report")
    status, page = await citizen.form("/report", {"phone": "<script>", "text": "x"})
    assert status == 400 and "请填写正确的手机" in page
    assert "<script>" not in page.split("<main>")[1] and "&lt;script&gt;" in page
    status, page = await citizen.form("/report", {"phone": "13812340000", "text": ""})
    assert status == 400 and "请填写反映内容" in page
    async with citizen.http.post("/report", data={"phone": "13812340000", "text": "路灯坏了"}) \
            as r:
        assert r.status == 403  # no CSRF token


async def test_sms_webhook_creates_a_case_and_queues_the_reply(web):  # noqa: F811
    http = web.client()
    msg = {"from": "13912340001", "text": "我家楼下噪音太大了，晚上施工", "id": "sms-1"}
    async with http.post("/hooks/sms", json=msg, headers={"X-Api-Key": web.keys["sms"]}) as r:
        assert r.status == 201
        body = await r.json()
    case = web.store.get_case(body["case"])
    assert case.channel == "sms" and case.caller == "13912340001" and case.kind == "complaint"
    assert body["case"] in body["reply"]
    [receipt] = [m for m in web.store.deliveries_for(body["case"])  # owed in SQL, sent
                 if m.purpose != "order"]                           # by the sender
    assert (receipt.channel, receipt.address, receipt.purpose) == ("sms", "13912340001",
                                                                  "receipt")
    assert receipt.text == body["reply"]
    async with http.post("/hooks/sms", json=msg, headers={"X-Api-Key": web.keys["sms"]}) as r:
        again = await r.json()
    assert again["duplicate"] is True and again["case"] == body["case"]
    for bad in ({"from": "nobody", "text": "hi"}, {"from": "13912340001", "text": ""}):
        async with http.post("/hooks/sms", json=bad, headers={"X-Api-Key": web.keys["sms"]}) \
                as r:
            assert r.status == 400 and (await r.json())["error"]
    async with http.post("/hooks/sms", data=b"{oops", headers={
            "X-Api-Key": web.keys["sms"], "Content-Type": "application/json"}) as r:
        assert r.status == 400
    async with http.post("/hooks/sms", json=msg,
                         headers={"X-Api-Key": web.keys["wechat"]}) as r:
        assert r.status == 401


def _wechat(content: str, kind: str = "text") -> bytes:
    return (f"<xml><ToUserName>gh_8890</ToUserName><FromUserName>oUser123</FromUserName>"
            f"<CreateTime>1700000000</CreateTime><MsgType>{kind}</MsgType>"
            f"<Content>{content}</Content><MsgId>1</MsgId></xml>").encode()


async def test_wechat_webhook_replies_in_wechat_xml(web):  # noqa: F811
    http = web.client()
    url = web.wechat_url()
    async with http.post(url, data=_wechat("小区门口井盖丢了，电话13812349999")) as r:
        assert r.status == 200
        reply = fromstring(await r.read())
    assert reply.find("ToUserName").text == "oUser123"
    assert reply.find("FromUserName").text == "gh_8890"
    text = reply.find("Content").text
    number = text.split("工单号")[1].split("，")[0]
    case = web.store.get_case(number)
    assert case.channel == "wechat" and case.caller == "13812349999"
    async with http.post(web.wechat_url(), data=_wechat("井盖丢了")) as r:
        assert "联系电话" in fromstring(await r.read()).find("Content").text
    async with http.post(web.wechat_url(), data=b"<xml><unclosed>") as r:
        assert r.status == 400
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>'
    async with http.post(web.wechat_url(), data=bomb) as r:
        assert r.status == 400 and "DTD" in (await r.json())["error"]
    async with http.post(web.wechat_url(), data=b"<xml>" + b"a" * 20000 + b"</xml>") as r:
        assert r.status == 413
    async with http.post("/hooks/wechat", data=_wechat("x")) as r:
        assert r.status == 403  # unsigned


async def test_a_replayed_or_stale_wechat_request_gets_403(web):  # noqa: F811
    """A captured signed request is good once, and only within five minutes."""
    import time

    http = web.client()
    url = web.wechat_url()
    async with http.post(url, data=_wechat("路灯坏了，电话13812348888")) as r:
        assert r.status == 200
    async with http.post(url, data=_wechat("路灯坏了，电话13812348888")) as r:
        assert r.status == 403 and "replayed" in (await r.json())["error"]
    stale = web.wechat_url(timestamp=str(int(time.time()) - 600))
    async with http.post(stale, data=_wechat("路灯坏了，电话13812348888")) as r:
        assert r.status == 403 and "window" in (await r.json())["error"]
    assert len(web.store.caller_history("13812348888")) == 1


async def test_wechat_answers_its_signed_handshake_and_refuses_bad_signatures(web):  # noqa: F811
    http = web.client()
    async with http.get(web.wechat_url(echostr="5923301457139921893")) as r:
        assert r.status == 200 and await r.text() == "5923301457139921893"
    forged = web.wechat_url(token="guessed-token", echostr="123")
    async with http.get(forged) as r:
        assert r.status == 403 and "signature" in (await r.json())["error"]
    before = len(web.store.caller_history("13812340123"))
    async with http.post(web.wechat_url(token="guessed-token"),
                         data=_wechat("路灯坏了，电话13812340123")) as r:
        assert r.status == 403 and "signature" in (await r.json())["error"]
    unsigned = f"/hooks/wechat?api_key={web.keys['wechat']}"
    async with http.post(unsigned, data=_wechat("路灯坏了，电话13812340123")) as r:
        assert r.status == 403
    assert len(web.store.caller_history("13812340123")) == before  # nothing was created
    async with http.post(web.wechat_url(), data=_wechat("路灯坏了，电话13812340123")) as r:
        assert r.status == 200
    assert len(web.store.caller_history("13812340123")) == before + 1


async def test_metrics_need_a_key_and_show_operations(web):  # noqa: F811
    await web.publish_stats({"at": 1.0, "waiting": 4, "service_level": 0.75,
                             "seats": {"available": 3, "talking": 2},
                             "callbacks": {"pending": 1, "overdue": 0}})
    web.store.create_case(channel="phone", caller="13800000001", text="路灯坏了",
                          kind="affairs", topic="street_light")
    http = web.client()
    async with http.get("/metrics") as r:
        assert r.status == 401
    async with http.get("/metrics",
                        headers={"Authorization": f"Bearer {web.keys['metrics']}"}) as r:
        assert r.status == 200
        text = await r.text()
    assert "hotline_queue_waiting 4.0" in text
    assert 'hotline_seats{state="talking"} 2.0' in text
    assert "hotline_cases_open 1.0" in text
    assert "hotline_web_responses_total" in text


def test_wechat_token_is_generated_once_into_the_secrets_file(tmp_path):
    from hotline.config import load_config

    def load(**env):
        return load_config(path=None, env={"HOTLINE_STATE_DIR": str(tmp_path), **env})

    first = load()
    assert len(first.wechat_token) == 32 and first.wechat_token != first.ami_secret
    secrets_file = tmp_path / "secrets.toml"
    assert oct(secrets_file.stat().st_mode & 0o777) == "0o600"
    again = load()
    assert (again.wechat_token, again.ami_secret) == (first.wechat_token, first.ami_secret)
    assert load(HOTLINE_WECHAT_TOKEN="from-env").wechat_token == "from-env"


async def test_an_sms_lookup_answers_only_the_sender_about_their_own_case(web):  # noqa: F811
    http = web.client()
    key = {"X-Api-Key": web.keys["sms"]}
    msg = {"from": "13912340002", "text": "小区路灯坏了好几天", "id": "sms-2"}
    async with http.post("/hooks/sms", json=msg, headers=key) as r:
        number = (await r.json())["case"]
    async with http.post("/hooks/sms", json={"from": "13912340002",
                                             "text": f"查询 {number}"}, headers=key) as r:
        assert r.status == 200
        found = await r.json()
    assert found["case"] == number and "工单" in found["reply"]
    purposes = [m.purpose for m in web.store.deliveries_for(number) if m.purpose != "order"]
    assert purposes == ["receipt", "progress"]
    async with http.post("/hooks/sms", json={"from": "13912340003",
                                             "text": f"CX{number}"}, headers=key) as r:
        other = await r.json()
    assert other["case"] is None and number not in other["reply"]
    assert len(web.store.deliveries_for(number)) == len(purposes) + 1  # nothing to a stranger


async def test_the_progress_page_shows_a_case_only_with_its_own_phone(web):  # noqa: F811
    case = web.store.route(web.store.create_case(
        channel="web", caller="13912340004", text="路灯坏了", kind="affairs",
        topic="street_light").number)
    citizen = Browser(web.client())
    status, page = await citizen.page("/progress")
    assert status == 200 and 'id="progress-form"' in page
    status, text = await citizen.form("/progress", {"number": case.number,
                                                    "phone": "139 1234 0004"})
    assert status == 200 and 'id="p-status"' in text and case.number in text
    status, text = await citizen.form("/progress", {"number": case.number,
                                                    "phone": "13912340005"})
    assert status == 404 and 'id="p-status"' not in text and "路灯" not in text
    async with citizen.http.post("/progress", data={"number": case.number,
                                                    "phone": "13912340004"}) as r:
        assert r.status == 403  # no CSRF token

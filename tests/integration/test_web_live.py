"""Wallboard and agent desk websockets fed from real Redis channels (the ACD's contract)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.integration.web_support import web  # noqa: F401

pytestmark = pytest.mark.integration


def snapshot(**over) -> dict:
    now = time.time()
    base = {
        "at": now, "waiting": 0, "longest_wait_s": 0.0, "elderly_waiting": 0,
        "elderly_in_progress": 0, "offered": 10, "answered_in_window": 9, "answered_late": 1,
        "abandoned": 0, "service_level": 0.9, "asa_s": 4.0, "aht_s": 240.0,
        "calls_per_hour": 105.0,
        "callbacks": {"pending": 0, "due_next_minute": 0, "overdue": 0, "done": 0, "failed": 0},
        "seats": {"available": 8, "ringing": 0, "talking": 2, "wrapup": 0, "paused": 0,
                  "logged_out": 0, "unavailable": 0},
        "per_seat": {str(8001 + i): {"state": "talking" if i < 2 else "available",
                                     "since": now - 30, "name": f"坐席{i}", "calls": i,
                                     "paused_reason": None} for i in range(10)},
        "hour": {"offered": 10, "answered_in_window": 9, "service_level": 0.9},
        "series": [{"start": now - 900 * k, "offered": k, "answered_in_window": k,
                    "service_level": 1.0} for k in range(32, 0, -1)],
    }
    base.update(over)
    return base


async def _next(ws, predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        msg = await asyncio.wait_for(ws.receive_json(), max(0.1, deadline - time.monotonic()))
        if predicate(msg):
            return msg


async def test_wallboard_pushes_new_numbers_when_the_acd_publishes(web):  # noqa: F811
    await web.publish_stats(snapshot())
    sup = await web.login("sup1")
    async with sup.http.ws_connect("/wallboard/ws") as ws:
        first = await ws.receive_json()
        assert first["stats"]["waiting"] == 0
        assert first["staffing"]["agents_needed"] == 10  # 105 calls/h * 240 s, 80% in 15 s
        assert first["staffing"]["staffed"] == 10
        assert len(first["seats"]) == 10 and first["seats"][0]["name"] == "坐席0"
        await asyncio.sleep(0.2)  # the subscription is in place before we publish
        await web.publish_stats(snapshot(waiting=3, longest_wait_s=42.0, offered=11))
        view = await _next(ws, lambda m: m["stats"]["waiting"] == 3)
        assert view["stats"]["longest_wait_s"] == 42.0 and view["stats"]["offered"] == 11
        assert len(view["series"]) == 32


async def test_open311_request_shows_on_wallboard_counters_and_in_department_portal(web):  # noqa: F811
    sup = await web.login("sup1")
    async with sup.http.ws_connect("/wallboard/ws") as ws:
        first = await ws.receive_json()
        before = first["cases"].get("today", 0)
        await asyncio.sleep(0.2)
        async with web.client().post("/open311/v2/requests.json", data={
                "service_code": "street_light", "description": "人民路路灯不亮",
                "address_string": "人民路 8 号", "phone": "13700000001",
                "api_key": web.keys["open311"]}) as r:
            assert r.status == 201
            number = (await r.json())[0]["service_request_id"]
        view = await _next(ws, lambda m: m["cases"].get("today", 0) == before + 1)
        assert view["cases"]["by_channel"]["web"] >= 1
    dept = await web.login("dept_cm")
    _, page = await dept.page("/dept")
    assert number in page and "人民路路灯不亮" in page


async def _phone_registered(web, seat):  # noqa: F811
    """What the AMI link records when a seat's phone is idle and registered."""
    from acd.seat_board import SeatBoard

    board = SeatBoard(web.redis, web.prefix, [seat])
    await board.record_device(seat, "NOT_INUSE")
    return board


async def test_supervisor_can_pause_and_resume_a_seat(web):  # noqa: F811
    board = await _phone_registered(web, "8003")
    sup = await web.login("sup1")
    status, body = await sup.post_json("/wallboard/seat/8003/pause", {"reason": "培训"})
    assert status == 200 and body["state"] == "paused"
    assert (await board.facts("8003")).paused_reason == "培训"
    status, body = await sup.post_json("/wallboard/seat/8003/resume", {})
    assert status == 200 and body["state"] == "available"
    status, body = await sup.post_json("/wallboard/seat/9999/pause", {})
    assert status == 400 and "unknown seat" in body["error"]
    status, body = await sup.post_json("/wallboard/queue/no-such-entry/move-up", {})
    assert status == 404
    status, body = await sup.post_json("/wallboard/spy", {"target": "8001", "mode": "shout"})
    assert status == 400 and "mode" in body["error"]
    for target, own in (("9001", "8010"), ("100", "8010")):
        # an elderly terminal, a trunk extension: not a seat, never listened to
        status, body = await sup.post_json("/wallboard/spy", {"target": target,
                                                              "from": own, "mode": "listen"})
        assert status == 400 and "seat" in body["error"], target


async def test_cross_origin_websocket_is_refused(web):  # noqa: F811
    sup = await web.login("sup1")
    with pytest.raises(Exception) as info:
        async with sup.http.ws_connect("/wallboard/ws", origin="http://evil.example"):
            pass
    assert "403" in str(info.value)


async def test_desk_pops_the_caller_with_history_tags_and_kb(web):  # noqa: F811
    earlier = web.store.create_case(channel="phone", caller="13655550000",
                                    text="小区门口路灯坏了", kind="affairs", topic="street_light")
    agent = await web.login("agent1")
    async with agent.http.ws_connect("/desk/ws") as ws:
        await ws.receive_json()  # hello / seat state
        await asyncio.sleep(0.2)
        other_seat = {"seat": "8002", "kind": "live", "caller": "13000000000",
                      "uniqueid": "x.1", "transcript": "", "tags": {}}
        await web.redis.publish(f"{web.prefix}:pop:8002", json.dumps(other_seat))
        pop = {"seat": "8001", "kind": "callback", "uniqueid": "1700000000.5",
               "callback_id": "cb-1", "caller": "13655550000", "caller_name": "李阿姨",
               "case_number": None, "transcript": "公交卡老年卡怎么办理",
               "tags": {"kind": "consult", "topic": "public_transport", "confidence": 0.8}}
        await web.redis.publish(f"{web.prefix}:pop:8001", json.dumps(pop))
        msg = await _next(ws, lambda m: m.get("type") == "pop")
    assert msg["caller"] == "13655550000" and msg["caller_name"] == "李阿姨"
    assert msg["kind"] == "callback"
    assert [c["number"] for c in msg["history"]] == [earlier.number]
    shown = msg["history"][0]  # what the desk prints: the catalog's names, not codes
    assert (shown["topic_name"], shown["kind_name"], shown["status_name"]) == (
        "路灯故障", "事务求助", "已受理")
    assert (msg["tags"]["kind_name"], msg["tags"]["topic_name"]) == (
        "咨询", "公交出行")  # the pop's tags, by name
    assert msg["prefill"]["topic"] == "public_transport"
    assert msg["prefill"]["text"] == "公交卡老年卡怎么办理"
    assert any("老年卡" in hit["answer"] for hit in msg["kb"])


async def test_desk_pop_of_an_ivr_case_prefills_from_the_case(web):  # noqa: F811
    case = web.store.create_case(channel="phone", caller="13655551111", text="我家水管爆了",
                                 kind="life", topic="plumbing_electric",
                                 transcript="我家水管爆了")
    agent = await web.login("agent1")
    async with agent.http.ws_connect("/desk/ws") as ws:
        await ws.receive_json()
        await asyncio.sleep(0.2)
        await web.redis.publish(f"{web.prefix}:pop:8001", json.dumps({
            "seat": "8001", "kind": "callback", "caller": "13655551111",
            "case_number": case.number, "transcript": "我家水管爆了",
            "tags": {"kind": "life", "topic": "plumbing_electric", "confidence": 0.9}}))
        msg = await _next(ws, lambda m: m.get("type") == "pop")
    assert msg["case_number"] == case.number
    assert msg["prefill"]["kind"] == "life" and msg["prefill"]["topic"] == "plumbing_electric"


async def test_agent_saves_and_dispatches_a_case_from_the_desk(web):  # noqa: F811
    agent = await web.login("agent1")
    status, body = await agent.post_json("/desk/case", {
        "caller": "13588889999", "kind": "affairs", "topic": "road_damage",
        "place": "解放路", "text": "解放路有个大坑", "uniqueid": "1700000001.7",
        "do": "dispatch"})
    assert status == 200, body
    case = web.store.get_case(body["number"])
    assert case.status == "assigned" and case.owner == "city_management"
    assert case.call_ref == "1700000001.7"
    # correcting it later is recorded on the case
    status, body2 = await agent.post_json("/desk/case", {
        "case_number": body["number"], "kind": "complaint", "topic": "road_damage",
        "text": "解放路有个大坑", "do": "save"})
    assert status == 200 and body2["corrected"] == ["kind"]
    assert web.store.get_case(body["number"]).kind == "complaint"
    status, err = await agent.post_json("/desk/case", {"caller": "call me", "kind": "affairs",
                                                       "text": "x", "do": "save"})
    assert status == 400 and "phone" in err["error"]
    status, err = await agent.post_json("/desk/case", {"caller": "13588889999",
                                                       "kind": "nonsense", "text": "x"})
    assert status == 400 and "unknown kind" in err["error"]


async def test_agent_controls_only_their_own_seat(web):  # noqa: F811
    board = await _phone_registered(web, "8001")
    agent = await web.login("agent1")
    status, body = await agent.post_json("/desk/seat/pause", {"reason": "午休"})
    assert status == 200 and body["seat"] == "8001" and body["state"] == "paused"
    assert (await board.facts("8001")).paused_reason == "午休"
    status, body = await agent.post_json("/desk/seat/wrapup_done", {})
    assert status == 200
    status, body = await agent.post_json("/desk/seat/resume", {})
    assert status == 200 and body["state"] == "available"
    status, body = await agent.post_json("/desk/seat/explode", {})
    assert status == 404


async def test_an_elderly_emergency_sounds_on_the_wallboard_until_a_supervisor_acknowledges(
        web):  # noqa: F811
    from acd.alarms import EmergencyAlarms

    alarms = EmergencyAlarms(web.redis, web.prefix)
    sup = await web.login("sup1")
    async with sup.http.ws_connect("/wallboard/ws") as ws:
        assert (await ws.receive_json())["alarms"] == []
        await asyncio.sleep(0.2)
        await alarms.raise_alarm("elderly-1700000000-7", "9003", "张阿姨")
        view = await _next(ws, lambda m: m["alarms"])
        assert [(a["room"], a["terminal"]) for a in view["alarms"]] == [
            ("elderly-1700000000-7", "9003")]
        assert "张阿姨" not in json.dumps(view, ensure_ascii=False)  # names stay off the wall
        agent = await web.login("agent1")
        status, _ = await agent.post_json("/wallboard/alarms/elderly-1700000000-7/ack", {})
        assert status == 403
        status, body = await sup.post_json("/wallboard/alarms/elderly-1700000000-7/ack", {})
        assert status == 200 and body["acknowledged_by"] == "sup1"
        assert (await _next(ws, lambda m: not m["alarms"]))["alarms"] == []
    status, _ = await sup.post_json("/wallboard/alarms/elderly-1700000000-7/ack", {})
    assert status == 404  # acknowledged once


async def test_the_desk_pops_an_elderly_terminals_profile_and_the_view_is_logged(
        web):  # noqa: F811
    from acd.callback_numbers import NumberPlan
    from case_store.elderly import ElderlyRegistry

    registry = ElderlyRegistry(web.store.engine, check_number=NumberPlan().national)
    registry.upsert("9003", name="张阿姨", address="婺城区八一北街1号", health_notes="高血压",
                    contacts=[{"name": "李明", "relation": "儿子", "phone": "13900000007"}])
    agent = await web.login("agent1")
    async with agent.http.ws_connect("/desk/ws") as ws:
        await ws.receive_json()
        await asyncio.sleep(0.2)
        for caller, origin in (("13000000001", "trunk"), ("9003", "terminal")):
            await web.redis.publish(f"{web.prefix}:pop:8001", json.dumps(
                {"seat": "8001", "kind": "live", "caller": caller, "uniqueid": f"u-{caller}",
                 "origin": origin, "transcript": "", "tags": {}}))
            msg = await _next(ws, lambda m, c=caller: m.get("caller") == c)
            if origin == "trunk":
                assert msg["elderly"] is None
    card = msg["elderly"]
    assert (card["name"], card["address"], card["health_notes"]) == (
        "张阿姨", "婺城区八一北街1号", "高血压")
    assert card["contacts"] == [{"name": "李明", "relation": "儿子", "phone": "13900000007"}]
    [seen] = registry.views("9003")
    assert (seen.viewer, seen.role, seen.purpose) == ("agent1", "agent", "desk pop")

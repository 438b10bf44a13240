"""The ACD's machine API as a CTI uses it, on the real stack (Asterisk 22, the ACD, pjsua2
seat phones, a SIPp caller): seats logged in and paused by API show on /api/acd/agents
and in the agents' day; a caller waits in the line (masked), a seat answers, the call is
transferred and hung up by API. Keys: 401 without a valid one, 403 of another scope."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import pytest_asyncio

from acd.transfer import find_call
from case_store.accounts import AccountStore
from case_store.workdays import SHANGHAI
from hotline.web.openapi import CONSOLE_OPENAPI
from testkit import sipp
from testkit.phones import SeatPhones
from testkit.queue_log_reader import read
from tests.integration.acd_support import available, until
from tests.integration.web_support import schema_errors, web  # noqa: F401
from tests.support import isolated, running

pytestmark = pytest.mark.integration
CALLER = "13912345678"


@pytest_asyncio.fixture
async def service(cfg, sandbox, redis, tmp_path_factory, request):
    async with running(isolated(cfg, tmp_path_factory, request.node.name[:40])) as svc:
        yield svc


class Cti:
    """An HTTP client of the machine API holding one key per scope it was given."""

    def __init__(self, http: aiohttp.ClientSession, keys: dict[str, str]) -> None:
        self.http, self.keys = http, keys

    async def call(self, method: str, path: str, scope: str | None = "acd:write",
                   **kw) -> tuple[int, object]:
        headers = {"X-Api-Key": self.keys[scope]} if scope else {}
        async with self.http.request(method, "/api" + path, headers=headers, **kw) as r:
            return r.status, await r.json()


@pytest_asyncio.fixture
async def cti(service):
    accounts = AccountStore(service.store.engine)
    keys = {s: accounts.add_api_key(f"cti {s}", s) for s in ("acd:read", "acd:write",
                                                             "cases:write")}
    cfg = service.cfg
    async with aiohttp.ClientSession(base_url=f"http://{cfg.web_host}:{cfg.web_port}") as http:
        yield Cti(http, keys)


def conforms(body, path: str, method: str = "get", status: int = 200) -> list[str]:
    op = CONSOLE_OPENAPI["paths"][path][method]
    schema = op["responses"][str(status)]["content"]["application/json"]["schema"]
    return schema_errors(body, schema, CONSOLE_OPENAPI)


async def bridged_peer(service, seat: str) -> str | None:
    channels = await service.ami.action({"Action": "CoreShowChannels"}, as_list=True)
    call = find_call(channels, seat)
    return call.caller_uniqueid if call else None


async def test_seat_login_and_pause_by_api_show_in_the_agents_and_the_day_report(
        service, cti, test_env):
    seat = "8003"

    async def mirrored():  # the first mirror pass journals the seats SQL never saw
        return service.acd.seat_mirror.last is not None and seat in service.acd.seat_mirror.last
    await until(mirrored, timeout=10, what="the seat facts mirrored once")
    async with SeatPhones([seat], env=test_env, talk="never"):
        await available(service, seat)
        status, done = await cti.call("POST", f"/acd/agents/{seat}/logout")
        assert (status, done["state"]) == (200, "logged_out"), done
        status, done = await cti.call("POST", f"/acd/agents/{seat}/login")
        assert (status, done["state"]) == (200, "available"), done
        status, err = await cti.call("POST", f"/acd/agents/{seat}/pause", json={"reason": "午饭"})
        assert status == 400 and "code<N>" in err["error"]
        status, done = await cti.call("POST", f"/acd/agents/{seat}/pause", json={"reason": "3"})
        assert status == 200 and done == {"seat": seat, "action": "pause", "state": "paused",
                                          "paused_reason": "code3"}
        assert conforms(done, "/acd/agents/{seat}/pause", "post") == []
        status, one = await cti.call("GET", f"/acd/agents/{seat}", "acd:read")
        assert status == 200 and (one["state"], one["paused_reason"]) == ("paused", "code3")
        assert one["paused_reason_name"] == "会议"  # [acd] pause_reasons' default for 3
        status, every = await cti.call("GET", "/acd/agents", "acd:read")
        assert status == 200 and conforms(every, "/acd/agents") == []
        assert [a["seat"] for a in every] == sorted(service.cfg.seats)
        assert next(a for a in every if a["seat"] == seat)["state"] == "paused"
        await asyncio.sleep(2.2)
        status, done = await cti.call("POST", f"/acd/agents/{seat}/unpause")
        assert (status, done["state"]) == (200, "available"), done
        status, done = await cti.call("POST", f"/acd/agents/{seat}/logout")
        assert status == 200
    today = datetime.now(SHANGHAI).date()
    report = await asyncio.to_thread(service.store.agent_day_report, today, 1.0, [seat])
    day = next(row for row in report if row["seat"] == seat)
    assert 2 <= day["paused_s"]["code3"] <= 4  # what `hotline report agents` prints
    await service.queue_log_file.flush()
    member = [(line.event, line.data[:1]) for line in read(service.cfg.queue_log_file)
              if line.agent == f"PJSIP/{seat}"]
    assert member[-5:] == [("REMOVEMEMBER", ("",)), ("ADDMEMBER", ("",)),
                           ("PAUSE", ("code3",)), ("UNPAUSE", ("code3",)),
                           ("REMOVEMEMBER", ("",))]
    assert (await cti.call("GET", "/acd/agents/9999", "acd:read"))[0] == 404
    assert (await cti.call("POST", "/acd/agents/9999/login"))[0] == 404


async def test_a_cti_sees_the_caller_wait_then_transfers_and_hangs_up_by_api(
        service, cti, test_env):
    cfg = service.cfg
    async with SeatPhones(["8001"], env=test_env, answer_after=0.3, talk="never") as first:
        await available(service, "8001")
        status, _ = await cti.call("POST", "/acd/agents/8001/pause", json={"reason": "break"})
        assert status == 200
        caller = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, CALLER, hold_s=40))
        second = SeatPhones(["8002"], env=test_env, answer_after=0.3, talk="never")
        try:
            async def waiting():
                status, line = await cti.call("GET", "/acd/queue", "acd:read")
                return line if status == 200 and line else None
            line = await until(waiting, timeout=10, what="the caller in the line")
            assert conforms(line, "/acd/queue") == []
            assert [(q["caller"], q["kind"]) for q in line] == [("139****5678", "live")]
            assert (await cti.call("POST", "/acd/agents/8001/unpause"))[0] == 200
            await first.wait_for("answered", seat="8001", timeout=15)

            await second.start()  # registered only now, so the ACD rang 8001 first
            await available(service, "8002")
            status, err = await cti.call("POST", "/acd/calls/8001/transfer",
                                         json={"target": "seat:8001"})
            assert status == 400 and "自己" in err["error"]
            status, moved = await cti.call("POST", "/acd/calls/8001/transfer",
                                           json={"target": "seat:8002"})
            assert status == 200, moved
            assert conforms(moved, "/acd/calls/{seat}/transfer", "post") == []
            await second.wait_for("answered", seat="8002", timeout=20)
            await first.wait_for("hangup", seat="8001", timeout=10)
            assert await until(lambda: bridged_peer(service, "8002"),
                               what="8002 bridged") == moved["call"]

            # a CTI hangs up once it sees the seat talking: maybe still in the notice
            async def talking():
                _, row = await cti.call("GET", "/acd/agents/8002", "acd:read")
                return row["state"] == "talking"
            await until(talking, what="8002 talking")
            status, ended = await cti.call("POST", "/acd/calls/8002/hangup")
            assert status == 200, ended
            assert ended == {"seat": "8002", "call": moved["call"], "hung_up": True}
            hung_up = time.monotonic()
            await second.wait_for("hangup", seat="8002", timeout=10)
            result = await asyncio.wait_for(caller, 15)
            assert time.monotonic() - hung_up < 15  # the caller's call ended, not at 40 s
            assert result.returncode == 0, result.stderr[-1500:]
            status, err = await cti.call("POST", "/acd/calls/8002/hangup")
            assert status == 409 and "没有通话" in err["error"]
        finally:
            if not caller.done():
                await caller
            await second.close()
    status, figures = await cti.call("GET", "/acd/stats", "acd:read")
    assert status == 200 and conforms(figures, "/acd/stats") == []
    assert figures["stats"]["offered"] >= 1


async def test_keys_without_the_scope_are_403_and_no_key_is_401(service, cti):
    assert (await cti.call("GET", "/acd/agents", None))[0] == 401
    async with cti.http.get("/api/acd/agents", headers={"X-Api-Key": "hk_forged"}) as r:
        assert r.status == 401
    status, err = await cti.call("GET", "/acd/agents", "cases:write")
    assert status == 403 and "acd:read" in err["error"]
    status, err = await cti.call("POST", "/acd/agents/8001/logout", "acd:read")
    assert status == 403 and "acd:write" in err["error"]  # a reader may not act
    assert (await service.acd.board.get("8001"))["state"] != "logged_out"
    async with cti.http.get("/api/acd/queue", headers={
            "Authorization": f"Bearer {cti.keys['acd:read']}"}) as r:
        assert r.status == 200
    status, doc = await cti.call("GET", "/openapi.json", "acd:read")
    assert status == 200 and "/acd/agents/{seat}/pause" in doc["paths"]


async def test_owed_callbacks_are_listed_with_masked_numbers(web):  # noqa: F811
    now = datetime.now(UTC)
    web.store.save_callback("cb-api-1", caller="13812345678", callback_number="057982345678",
                            origin="trunk", arrived_at=now - timedelta(minutes=1),
                            due_at=now + timedelta(minutes=4), case_number=None)
    web.store.save_callback("cb-api-2", caller="13800000002", callback_number="13800000002",
                            origin="trunk", arrived_at=now, due_at=now, status="done")
    web.store.save_callback("cb-api-3", caller="13800000003", callback_number="0571123",
                            origin="trunk", arrived_at=now - timedelta(minutes=2),
                            due_at=now + timedelta(minutes=3), status="needs_check")
    async with web.client().get("/api/acd/callbacks",
                                headers={"X-Api-Key": web.keys["acd:read"]}) as r:
        assert r.status == 200
        owed = await r.json()
    assert conforms(owed, "/acd/callbacks") == []
    assert [(c["id"], c["caller"], c["callback_number"], c["status"]) for c in owed] == [
        ("cb-api-3", "138****0003", "05*****", "needs_check"),  # due first
        ("cb-api-1", "138****5678", "057*****5678", "pending")]

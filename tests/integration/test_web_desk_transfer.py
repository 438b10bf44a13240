"""An agent transfers a real call from the desk: SIPp caller, two pjsua2 seat phones,
Asterisk 22 and the ACD; the caller ends up bridged to the second seat."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
import pytest_asyncio

from acd.transfer import find_call
from case_store.accounts import AccountStore
from testkit import sipp
from testkit.phones import SeatPhones
from testkit.queue_log_reader import QueueLogLine, read
from tests.integration.test_acd import available, calls_of, until
from tests.integration.web_support import PASSWORD, Browser
from tests.support import isolated, running

pytestmark = pytest.mark.integration
CALLER = "13912345678"


@pytest_asyncio.fixture
async def service(cfg, sandbox, redis, tmp_path_factory):
    async with running(isolated(cfg, tmp_path_factory, "desk-transfer")) as svc:
        yield svc


async def bridged_peer(service, seat: str) -> str | None:
    """The uniqueid of whoever the seat's phone is bridged to, as Asterisk reports it."""
    channels = await service.ami.action({"Action": "CoreShowChannels"}, as_list=True)
    call = find_call(channels, seat)
    return call.caller_uniqueid if call else None


async def queue_log_of(service, uniqueid: str) -> list[QueueLogLine]:
    """The call's queue_log lines, read back as a report tool reads them."""
    await service.queue_log_file.flush()
    return [line for line in read(service.cfg.queue_log_file) if line.callid == uniqueid]


async def ended_in_queue_log(service, uniqueid: str) -> list[QueueLogLine] | None:
    lines = await queue_log_of(service, uniqueid)
    return lines if len(lines) > 2 else None  # past ENTERQUEUE and CONNECT


@asynccontextmanager
async def agent_at_8001(service, test_env, name: str) -> AsyncIterator[tuple[SeatPhones, Browser]]:
    """An agent logged in at the desk of seat 8001, whose phone answers after 0.3 s."""
    cfg = service.cfg
    AccountStore(service.store.engine).add_user(name, "agent", PASSWORD, seat="8001")
    async with SeatPhones(["8001"], env=test_env, answer_after=0.3, talk="never") as phone, \
            aiohttp.ClientSession(base_url=f"http://{cfg.web_host}:{cfg.web_port}",
                                  cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await available(service, "8001")
        desk = Browser(http)
        await desk.login(name, PASSWORD)
        yield phone, desk


async def test_agent_transfers_a_live_call_to_another_seat(service, test_env):
    cfg = service.cfg
    async with agent_at_8001(service, test_env, "agent_t") as (first, desk):
        caller = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, CALLER, hold_s=25))
        second = SeatPhones(["8002"], env=test_env, answer_after=0.3, talk="never")
        try:
            await first.wait_for("answered", seat="8001", timeout=20)
            await second.start()  # registered only now, so the ACD rang 8001 first
            await available(service, "8002")
            call = (await until(lambda: asyncio.to_thread(calls_of, service, CALLER),
                                what="call record"))[0]
            status, case = await desk.post_json("/desk/case", {
                "caller": CALLER, "kind": "affairs", "topic": "road_damage",
                "text": "桥上护栏断了", "uniqueid": call.uniqueid, "do": "save"})
            assert status == 200, case

            status, err = await desk.post_json("/desk/transfer", {"target": "seat:8003"})
            assert status == 409 and "8003" in err["error"]  # no phone there: said plainly
            status, err = await desk.post_json("/desk/transfer", {"target": "seat:8001"})
            assert status == 400 and "自己" in err["error"]

            status, done = await desk.post_json("/desk/transfer", {"target": "seat:8002"})
            assert status == 200, done
            assert done["call"] == call.uniqueid and done["case"] == case["number"]
            await second.wait_for("answered", seat="8002", timeout=20)
            await first.wait_for("hangup", seat="8001", timeout=10)
            assert await until(lambda: bridged_peer(service, "8002"),
                               what="seat 8002 bridged") == call.uniqueid
            assert await bridged_peer(service, "8001") is None
            events = [e for e in service.store.events(case["number"]) if e.action == "transfer"]
            assert [e.data["to"] for e in events] == ["seat:8002"]
            assert service.store.get_call(call.uniqueid).transferred_to == "seat:8002"
            assert events[0].actor == "agent:agent_t"
            # QueueMetrics or qpanel see a blind transfer by 8001, not a completed call
            lines = await until(lambda: ended_in_queue_log(service, call.uniqueid),
                                what="the call's queue_log ending")
            assert [line.event for line in lines] == ["ENTERQUEUE", "CONNECT", "BLINDTRANSFER"]
            moved = lines[-1]
            assert (moved.agent, moved.field("extension"), moved.field("context")) == \
                ("PJSIP/8001", "8002", "transfer")
            assert int(moved.field("calltime")) >= 0 and moved.field("origposition") == "1"

            status, err = await desk.post_json("/desk/transfer", {"target": "seat:8002"})
            assert status == 409 and "没有通话" in err["error"]  # the call left this seat
        finally:
            result = await caller
            await second.close()
        assert result.returncode == 0, result.stderr[-1500:]


async def test_a_transfer_nobody_answers_goes_back_to_the_hotline_line(service, test_env):
    cfg = service.cfg
    caller_number = "13955550002"
    async with agent_at_8001(service, test_env, "agent_u") as (first, desk):
        caller = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, caller_number,
                                               hold_s=45))
        away = SeatPhones(["8002"], env=test_env, answer_after="never")
        try:
            await first.wait_for("answered", seat="8001", timeout=20)
            await away.start()
            await available(service, "8002")
            status, done = await desk.post_json("/desk/transfer", {"target": "seat:8002"})
            assert status == 200, done
            moved = time.time()
            await away.wait_for("ringing", seat="8002", timeout=10, after=moved - 1)
            await first.wait_for("hangup", seat="8001", timeout=10)
            # 8002 rings out (15 s); the caller is back in the line and 8001 takes them again
            again = await first.wait_for("answered", seat="8001", timeout=40, after=moved)
            assert again["t"] - moved > 10
            assert await until(lambda: bridged_peer(service, "8001"), what="8001 bridged")
        finally:
            result = await caller
            await away.close()
        assert result.returncode == 0, result.stderr[-1500:]

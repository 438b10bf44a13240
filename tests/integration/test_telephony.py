"""The foundation through the real stack: Asterisk 22, SIPp callers, pjsua2 seat phones."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest
import pytest_asyncio

from hotline.cli.call import originate_action
from ivr.incoming import Arrival
from testkit import sipp
from testkit.phones import SeatPhones
from tests.support import isolated, running

pytestmark = pytest.mark.integration


class ArrivalRecorder:
    """An extra sink on the incoming route, so tests see what the IVR saw."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self.changed = asyncio.Event()

    async def __call__(self, arrival: Arrival) -> None:
        self.arrivals.append(arrival)
        self.changed.set()

    async def wait(self, predicate, timeout: float = 15.0) -> Arrival:
        deadline = time.monotonic() + timeout
        while True:
            for arrival in self.arrivals:
                if predicate(arrival):
                    return arrival
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching arrival; saw {self.arrivals}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                pass


@pytest_asyncio.fixture(scope="module")
async def service(cfg, sandbox, redis, tmp_path_factory):
    async with running(isolated(cfg, tmp_path_factory, "telephony")) as svc:
        yield svc


@pytest.fixture
def recorder(service) -> ArrivalRecorder:
    rec = ArrivalRecorder()
    service.incoming.sinks.append(rec)
    yield rec
    service.incoming.sinks.remove(rec)


async def test_sipp_call_reaches_incoming_route_with_caller_id(cfg, service, recorder):
    result_task = asyncio.create_task(
        sipp.call(cfg, cfg.hotline_number, "13912345678", "Wang Wu", hold_s=3))
    arrival = await recorder.wait(lambda a: a.caller == "13912345678")
    assert arrival.caller_name == "Wang Wu"
    assert arrival.origin == "trunk"
    assert arrival.channel.startswith("PJSIP/trunk-")
    result = await result_task
    assert result.returncode == 0, result.stderr


async def test_ami_originate_reaches_incoming_route(cfg, service, recorder):
    action = originate_action(cfg, cfg.hotline_number, "13600000001", sound=None)
    reply = await service.ami.originate(action)
    assert reply["Response"] == "Success"
    arrival = await recorder.wait(lambda a: a.caller == "13600000001")
    assert arrival.channel.startswith("Local/")
    await service.ami.action({"Action": "Hangup", "Channel": f"/^{arrival.channel[:-2]}/"})


async def test_seat_phone_rings_and_answers_when_dialplan_dials_it(cfg, service, test_env):
    async with SeatPhones(["8001"], env=test_env, answer_after=0.5, talk="never") as phones:
        started = time.time()
        reply = await service.ami.originate({
            "Channel": "Local/8001@seats", "Application": "Wait", "Data": "3",
        })
        assert reply["Response"] == "Success"
        ringing = await phones.wait_for("ringing", seat="8001", after=started, timeout=10)
        answered = await phones.wait_for("answered", seat="8001", after=started, timeout=10)
        assert answered["t"] >= ringing["t"]
        await phones.wait_for("hangup", seat="8001", after=answered["t"], timeout=10)


async def test_caller_id_with_newline_quotes_and_200_chars_cannot_break_agi(
        cfg, service, recorder):
    failed_before = service.agi.sessions_failed
    # PJSIP unescapes the URI user part: %0A arrives in CALLERID(num) as a real newline,
    # and a blank line in the AGI environment would end it early.
    newline_number = "1350000%0A%0Aagi_network_script%3A%20x%0A7777"
    long_name = 'Li \\"Q\\" ' + "y" * 200
    results = await asyncio.gather(
        sipp.call(cfg, cfg.hotline_number, newline_number, "Evil", hold_s=2),
        sipp.call(cfg, cfg.hotline_number, "13500008888", long_name, hold_s=2),
    )
    with_newline = await recorder.wait(lambda a: a.caller_raw.endswith("7777"))
    assert with_newline.caller_raw == "1350000 agi_network_script: x 7777"
    assert with_newline.caller == "13500007777"
    quoted = await recorder.wait(lambda a: a.caller == "13500008888")
    assert quoted.caller_name.startswith('Li \\"Q\\" yyy')
    assert len(quoted.caller_name) == 64
    assert service.agi.sessions_failed == failed_before
    for result in results:
        assert result.returncode == 0, result.stderr


REGISTERED = {"available", "ringing", "talking", "wrapup"}


async def _until_registered(board, seat: str) -> dict:
    for _ in range(100):
        entry = await board.get(seat)
        if entry and entry["state"] in REGISTERED:
            return entry
        await asyncio.sleep(0.1)
    return await board.get(seat)


async def test_ami_reconnects_after_asterisk_restart_and_reports_seats(cfg, service, test_env):
    async with SeatPhones(["8002"], env=test_env) as phones:
        board = service.acd.board
        assert (await _until_registered(board, "8002"))["state"] in REGISTERED
        logins = service.ami.logins
        cli = [sys.executable, "-m", "hotline.cli", "asterisk"]
        subprocess.run([*cli, "down"], env=test_env, check=True, timeout=60)
        for _ in range(50):
            if not service.ami.connected.is_set():
                break
            await asyncio.sleep(0.1)
        assert not service.ami.connected.is_set()
        down_at = time.time()
        subprocess.run([*cli, "up"], env=test_env, check=True, timeout=120)
        await asyncio.wait_for(service.ami.connected.wait(), 15)
        assert service.ami.logins == logins + 1
        assert service.ami.last_resync >= down_at
        await phones.register("8002")
        assert (await _until_registered(board, "8002"))["state"] in REGISTERED
        assert (await board.get("8003"))["state"] == "unavailable"  # never registered
        assert set((await board.all()).keys()) == set(cfg.seats)


async def test_status_page_and_health_report_every_link(cfg, service):
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://{cfg.web_host}:{cfg.web_port}/healthz") as response:
            report = await response.json()
            assert response.status == 200
        async with http.get(f"http://{cfg.web_host}:{cfg.web_port}/") as response:
            page = await response.text()
    assert report["links"] == {"case_store": True, "ami": True, "redis": True, "fastagi": True}
    assert set(report["seats"]) == set(cfg.seats)
    assert "8890" in page and "8001" in page

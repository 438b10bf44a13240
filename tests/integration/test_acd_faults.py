"""Faults a real deployment meets: Asterisk restarting mid-call, Redis restarting empty."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import subprocess
import sys
import time

import pytest
import pytest_asyncio

from acd.line import Entry, new_entry_id
from testkit import sipp
from testkit.phones import SeatPhones
from tests.integration.test_acd import until
from tests.support import isolated, running, slot_port

pytestmark = pytest.mark.integration

PRIVATE_REDIS_PORT = slot_port(16399)


async def owe_callback(service, number: str) -> Entry:
    """A caller who got the IVR and is owed a callback (as the IVR would leave it)."""
    entry = Entry(id=new_entry_id("live"), kind="live", caller=number, arrived_at=time.time(),
                  origin="trunk", uniqueid=f"fault-{number}")
    await service.acd.record_call(entry.uniqueid, caller=number, origin="trunk",
                                  arrived_at=entry.arrived_at)
    return await service.acd.request_callback(entry, number)


def callback_status(service, callback_id: str) -> str:
    return service.store.get_callback(callback_id).status


@pytest_asyncio.fixture
async def private_redis(tmp_path):
    """A Redis of this test's own, so it can be killed and restarted (empty)."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"

    def start():
        return subprocess.Popen([binary, "--port", str(PRIVATE_REDIS_PORT), "--bind",
                                 "127.0.0.1", "--save", "", "--appendonly", "no",
                                 "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    proc = start()
    holder = {"proc": proc, "start": start}
    await asyncio.sleep(0.3)
    yield holder
    holder["proc"].kill()
    holder["proc"].wait()


async def test_redis_restart_loses_no_waiting_callback(cfg, sandbox, test_env, tmp_path_factory,
                                                       private_redis):
    isolated_cfg = dataclasses.replace(
        isolated(cfg, tmp_path_factory, "redis-restart"),
        redis_url=f"redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0")
    async with running(isolated_cfg) as service:
        callback = await owe_callback(service, "13966660001")  # no seat: it waits
        assert await service.acd.line.state(callback.id) == "waiting"

        private_redis["proc"].kill()  # Redis dies and comes back with nothing
        private_redis["proc"].wait()
        private_redis["proc"] = private_redis["start"]()

        async def back_in_line():
            try:
                return await service.acd.line.state(callback.id) == "waiting"
            except Exception:
                return False
        await until(back_in_line, timeout=20, what="callback restored from SQL")
        assert callback_status(service, callback.id) == "pending"

        async with sipp.citizen_phones(isolated_cfg), \
                SeatPhones(["8009"], env=test_env, answer_after=0.3, talk=1):
            await until(lambda: asyncio.to_thread(
                lambda: callback_status(service, callback.id) == "done"),
                timeout=30, what="restored callback placed and answered")


async def test_asterisk_restart_mid_call_loses_no_pending_callback(
        cfg, sandbox, test_env, tmp_path_factory):
    async with running(isolated(cfg, tmp_path_factory, "asterisk-restart")) as service:
        async with SeatPhones(["8010"], env=test_env, answer_after=0.3, talk="never") as phones:
            in_call = asyncio.create_task(
                sipp.call(service.cfg, cfg.hotline_number, "13977770001", hold_s=30,
                          timeout_s=60))
            await phones.wait_for("answered", seat="8010", timeout=10)
            callback = await owe_callback(service, "13977770002")  # waits for the busy seat
            logins = service.ami.logins

            cli = [sys.executable, "-m", "hotline.cli", "asterisk"]
            await asyncio.to_thread(subprocess.run, [*cli, "down"], env=test_env, check=True)
            await asyncio.to_thread(subprocess.run, [*cli, "up"], env=test_env, check=True)
            await asyncio.wait_for(service.ami.connected.wait(), 15)
            assert service.ami.logins == logins + 1
            assert callback_status(service, callback.id) in ("pending", "dialing")

            async with sipp.citizen_phones(service.cfg):  # listening before any dial
                await phones.set("8010", talk=1)
                await phones.register("8010")
                await until(lambda: asyncio.to_thread(
                    lambda: callback_status(service, callback.id) == "done"),
                    timeout=40, what="callback done after the restart")
            in_call.cancel()

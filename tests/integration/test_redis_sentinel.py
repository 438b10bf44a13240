"""The hotline on Redis behind Sentinel: the primary dies, Sentinel promotes the replica,
and callers still reach a person without the hotline being restarted."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from acd.control import SeatControl
from testkit import sipp
from testkit.phones import SeatPhones
from testkit.redis_sentinel import SentinelGroup
from tests.integration.test_acd import until
from tests.integration.test_acd_faults import owe_callback
from tests.support import isolated, running, slot_port

pytestmark = pytest.mark.integration

SEAT = "8005"


@pytest.fixture
def sentinels(tmp_path):
    group = SentinelGroup(tmp_path, slot_port(26400))
    group.start()
    yield group
    group.stop()


async def _seat_is_quietly(service, seat: str, state: str) -> bool:
    try:
        return (await service.acd.board.get(seat))["state"] == state
    except Exception:  # Redis between primaries: ask again
        return False


async def test_a_killed_primary_is_replaced_and_callers_still_reach_a_person(
        cfg, sandbox, test_env, tmp_path_factory, sentinels):
    sentinel_cfg = dataclasses.replace(isolated(cfg, tmp_path_factory, "sentinel"),
                                       redis_url=sentinels.url)
    async with running(sentinel_cfg) as service, \
            SeatPhones([SEAT], env=test_env, answer_after=0.3, talk=1) as phones:
        await until(lambda: _seat_is_quietly(service, SEAT, "available"), timeout=15,
                    what="the seat registered")
        first = await sipp.call(sentinel_cfg, cfg.hotline_number, "13955553331", hold_s=2,
                                timeout_s=40)
        assert first.returncode == 0, first.stderr[-1500:]
        await until(lambda: _seat_is_quietly(service, SEAT, "available"), timeout=15,
                    what="the seat free after the first call")
        control = SeatControl(service.redis, sentinel_cfg.key_prefix, sentinel_cfg.seats)
        await control.pause(SEAT, reason="3")  # a seat fact the replica must keep
        callback = await owe_callback(service, "13966663331")
        await asyncio.sleep(1.5)  # the replica is asynchronous: let it catch up

        old = sentinels.kill_primary()
        await until(lambda: asyncio.to_thread(lambda: sentinels.primary_port() not in
                                              (None, old)),
                    timeout=30, what="Sentinel promoting the replica")

        # the same process, no restart: the pause and the owed callback are still there
        await until(lambda: _seat_is_quietly(service, SEAT, "paused"), timeout=20,
                    what="the paused seat read from the new primary")
        assert await service.acd.line.state(callback.id) == "waiting"
        async with sipp.citizen_phones(sentinel_cfg):
            await control.resume(SEAT)
            await until(lambda: asyncio.to_thread(
                lambda: service.store.get_callback(callback.id).status == "done"),
                timeout=40, what="the owed callback placed and answered after the failover")
        second = await sipp.call(sentinel_cfg, cfg.hotline_number, "13955553332", hold_s=2,
                                 timeout_s=40)
        assert second.returncode == 0, second.stderr[-1500:]
        answered = phones.events("answered", seat=SEAT)
        assert len(answered) == 3  # the first caller, the callback, the second caller

"""Elderly one-touch terminals on the real Asterisk: pjsua2 terminals and contacts' phones.

No seat is staffed here (this module's own Redis keys), so every terminal call takes the
emergency path, or a callback rings a seat and then the terminal.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import datetime, timedelta
from datetime import time as dtime

import pytest
import pytest_asyncio

from case_store.recordings import CallRecordings
from case_store.workdays import SHANGHAI
from testkit import sipp
from testkit.phones import SeatPhones
from tests.integration.test_acd import until
from tests.integration.test_acd_faults import owe_callback
from tests.support import isolated, running

pytestmark = pytest.mark.integration

TERMINAL = "9004"
CONTACT = "13900000007"  # the son's mobile, behind the trunk


@pytest_asyncio.fixture
async def service(cfg, sandbox, tmp_path_factory):
    async with running(isolated(cfg, tmp_path_factory, "elderly")) as svc:
        await asyncio.to_thread(
            svc.elderly.upsert, TERMINAL, name="张阿姨", address="婺城区八一北街1号",
            contacts=[{"name": "李明", "relation": "儿子", "phone": CONTACT}])
        yield svc


ALL_DAY = [{"days": "daily", "start": "00:00", "end": "24:00"}]


async def clear_of_midnight(margin_s: float = 90.0) -> None:
    """A day's check-in attempts start afresh at midnight in Shanghai: a check-in test
    that straddled it would see a new day's first call. Wait past it when it is close."""
    now = datetime.now(SHANGHAI)
    to_midnight = (datetime.combine(now.date() + timedelta(days=1), dtime(), SHANGHAI)
                   - now).total_seconds()
    if to_midnight < margin_s:
        await asyncio.sleep(to_midnight + 1)


def _rooms(sandbox) -> dict[str, int]:
    """Emergency rooms with their number of members, from Asterisk itself."""
    listing = sandbox.rx("confbridge list").stdout.splitlines()
    return {cols[0]: int(cols[1]) for cols in (line.split() for line in listing)
            if cols and cols[0].startswith("elderly-")}


async def test_nobody_at_the_seats_the_first_contact_rings_within_20_s_and_is_bridged(
        service, cfg, sandbox, test_env):
    async with SeatPhones([], trunk=True, env=test_env, answer_after=1, talk="never") as \
            phones_behind_trunk, SeatPhones([TERMINAL], env=test_env, talk="never") as terminal:
        pressed = time.time()
        await terminal.dial(TERMINAL, cfg.hotline_number)
        ring = await phones_behind_trunk.wait_for("ringing", seat="trunk", timeout=30)
        assert ring["number"] == CONTACT
        assert ring["t"] - pressed < 20  # the family's phone rings within 20 s
        await phones_behind_trunk.wait_for("answered", seat="trunk", timeout=10)

        async def bridged() -> bool:  # the terminal and the son, in one room
            rooms = await asyncio.to_thread(_rooms, sandbox)
            return any(members == 2 for members in rooms.values())

        await until(bridged, timeout=40, what="the contact bridged to the terminal")

        async def emergency_case():
            cases = await asyncio.to_thread(service.store.caller_history, TERMINAL)
            return [c for c in cases if c.kind == "emergency"]

        [case] = await until(emergency_case, timeout=20, what="the emergency case")
        assert (case.owner_type, case.owner) == ("person", "elderly_center")
        await terminal.hangup(TERMINAL)


async def test_a_terminal_gets_the_seat_that_frees_before_a_caller_waiting_longer(
        service, cfg, test_env):
    async with SeatPhones(["8010"], env=test_env, answer_after=0.3, talk=6) as seat, \
            SeatPhones([TERMINAL], env=test_env, talk="never") as terminal:
        async def free() -> bool:
            return (await service.acd.board.get("8010"))["state"] == "available"

        await until(free, timeout=15, what="seat 8010 free")
        talking = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, "13700000011",
                                                hold_s=20))
        await seat.wait_for("answered", seat="8010", timeout=15)  # the only seat is busy
        waiting = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, "13700000012",
                                                hold_s=20))
        await asyncio.sleep(1)  # that caller waits first; then the terminal calls
        await terminal.dial(TERMINAL, cfg.hotline_number)
        await seat.wait_for("hangup", seat="8010", timeout=15)  # the agent's talk ends
        second = await seat.wait_for("ringing", seat="8010", timeout=15,
                                     where=lambda e: e.get("call", 0) > 1)
        assert second["caller"] == TERMINAL  # before the caller who waited longer
        await terminal.hangup(TERMINAL)
        await asyncio.wait_for(asyncio.gather(talking, waiting), 90)  # both callers end


async def test_the_first_agent_to_free_joins_the_emergency_room(service, cfg, sandbox,
                                                               test_env):
    began = time.time() - 1
    async with SeatPhones([], trunk=True, env=test_env, answer_after="never") as \
            phones_behind_trunk, SeatPhones([TERMINAL], env=test_env, talk="never") as terminal:
        await terminal.dial(TERMINAL, cfg.hotline_number)
        await phones_behind_trunk.wait_for("ringing", seat="trunk", timeout=30)  # it began
        # nobody in the family answers; then an agent logs in: the seat frees
        async with SeatPhones(["8007"], env=test_env, answer_after=0.5, talk="never") as seat:
            ring = await seat.wait_for("ringing", seat="8007", timeout=30)
            assert ring["caller"] == TERMINAL  # the agent sees who needs them
            await seat.wait_for("answered", seat="8007", timeout=10)

            async def agent_in_room() -> bool:
                rooms = await asyncio.to_thread(_rooms, sandbox)
                return any(members == 2 for members in rooms.values())

            await until(agent_in_room, timeout=30, what="the agent in the terminal's room")
            await asyncio.sleep(2)  # a little of the conversation
        await terminal.hangup(TERMINAL)

        recordings = CallRecordings(service.store.engine)  # the agent's leg is kept

        async def agents_leg_kept() -> list:
            kept = await asyncio.to_thread(recordings.for_seat, "8007")
            return [r for r in kept if r.recorded_at.timestamp() >= began]
        kept = await until(agents_leg_kept, timeout=30, what="the agent's leg recorded")
        call = await asyncio.to_thread(service.store.get_call, kept[0].call_uniqueid)
        assert call.caller == TERMINAL  # linked to the terminal's call


async def test_a_callback_owed_to_a_terminal_rings_the_terminal(service, test_env):
    async with SeatPhones(["8006", TERMINAL], env=test_env, answer_after=0.3, talk=3) as phones:
        async def seat_free() -> bool:
            return (await service.acd.board.get("8006"))["state"] == "available"

        await until(seat_free, timeout=15, what="seat 8006 available")
        await owe_callback(service, TERMINAL)
        await phones.wait_for("answered", seat="8006", timeout=30)  # the agent first
        ring = await phones.wait_for("ringing", seat=TERMINAL, timeout=30)  # then the terminal
        assert ring["caller"] != ""  # rang on its own endpoint, not out on the trunk


async def test_a_check_in_nobody_answers_is_retried_then_escalated(cfg, sandbox, test_env,
                                                                    tmp_path_factory):
    quick = dataclasses.replace(isolated(cfg, tmp_path_factory, "checkin"),
                                checkin_interval_s=1, checkin_retries=1, checkin_backoff_s=2,
                                checkin_ring_s=4)
    await clear_of_midnight()
    async with running(quick) as service, \
            SeatPhones(["9008"], env=test_env, answer_after="never") as terminal, \
            SeatPhones([], trunk=True, env=test_env, answer_after=0.5, talk=2) as behind_trunk:
        await asyncio.to_thread(
            service.elderly.upsert, "9008", name="赵奶奶", address="婺城区人民路3号",
            worker_name="陈社工", worker_phone="13900000010",
            checkin_windows=ALL_DAY,
            contacts=[{"name": "赵刚", "relation": "儿子", "phone": "13900000009"}])
        await terminal.wait_for("ringing", seat="9008", timeout=20)  # the first check-in call

        async def rang_twice() -> bool:
            return len(terminal.events("ringing", seat="9008")) >= 2

        await until(rang_twice, timeout=30, what="the check-in retried")
        worker = await behind_trunk.wait_for("ringing", seat="trunk", timeout=40)
        assert worker["number"] == "13900000010"  # escalated: the community worker first
        contact = await behind_trunk.wait_for(
            "ringing", seat="trunk", timeout=60, where=lambda e: e.get("number") == "13900000009")
        assert contact["t"] >= worker["t"]  # then the first contact
        cases = await asyncio.to_thread(service.store.caller_history, "9008")
        assert [c.kind for c in cases] == ["emergency"] and "未接通" in cases[0].text
        await asyncio.sleep(3)
        assert len(terminal.events("ringing", seat="9008")) == 2  # escalated once, no more


async def test_a_check_in_answered_with_2_gives_the_centre_a_case(cfg, sandbox, test_env,
                                                                   tmp_path_factory):
    quick = dataclasses.replace(isolated(cfg, tmp_path_factory, "checkin-2"),
                                checkin_interval_s=1, checkin_ring_s=10)
    await clear_of_midnight()
    async with running(quick) as service, \
            SeatPhones(["9009"], env=test_env, answer_after=0.5, talk="never") as terminal:
        await asyncio.to_thread(
            service.elderly.upsert, "9009", name="钱爷爷", address="金东区多湖街道",
            checkin_windows=ALL_DAY)
        await terminal.wait_for("answered", seat="9009", timeout=20)
        await asyncio.sleep(3)  # the greeting has started
        await terminal.dtmf("9009", "2")

        async def centre_case():
            cases = await asyncio.to_thread(service.store.caller_history, "9009")
            return [c for c in cases if c.kind == "emergency"]

        [case] = await until(centre_case, timeout=30, what="the centre's case")
        assert "需要帮助" in case.text and case.owner == "elderly_center"
        await terminal.wait_for("hangup", seat="9009", timeout=30)
        await asyncio.sleep(2)
        assert len(terminal.events("ringing", seat="9009")) == 1  # answered: not called again


async def test_a_registered_terminal_is_provisioned_and_its_presence_follows_it(
        cfg, sandbox, test_env):
    """9101 is no configured terminal: registering it gives it a SIP endpoint."""
    from case_store.elderly import ElderlyRegistry
    from case_store.store import CaseStore
    from hotline.asterisk import sandbox_for

    store = CaseStore(cfg.effective_database_url)
    await asyncio.to_thread(store.setup)
    registry = ElderlyRegistry(store.engine, check_number=lambda n: n)
    await asyncio.to_thread(registry.upsert, "9101", name="孙阿姨", address="兰溪市")
    try:
        await asyncio.to_thread(sandbox_for(cfg, log=lambda _m: None).up)  # re-rendered
        # the session's database (where 9101 is registered), this test's own Redis keys
        own_keys = dataclasses.replace(cfg, redis_prefix=f"{cfg.key_prefix}:presence")
        async with running(own_keys) as service:
            async with SeatPhones(["9101"], env=test_env):  # registers: the endpoint exists
                async def online() -> bool:
                    return "9101" not in [t for t, _ in await service.presence.offline()]

                await until(online, timeout=15, what="9101 online")

            async def offline() -> bool:
                return "9101" in [t for t, _ in await service.presence.offline()]

            await until(offline, timeout=15, what="9101 offline once unregistered")
    finally:
        await asyncio.to_thread(registry.deactivate, "9101")
        await asyncio.to_thread(sandbox_for(cfg, log=lambda _m: None).up)
        store.close()

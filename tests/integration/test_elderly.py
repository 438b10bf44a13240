"""Elderly one-touch terminals on the real Asterisk: pjsua2 terminals and contacts' phones.

No seat is staffed here (this module's own Redis keys), so every terminal call takes the
emergency path, or a callback rings a seat and then the terminal.
"""

from __future__ import annotations

import asyncio
import time

import pytest
import pytest_asyncio

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


async def test_the_first_agent_to_free_joins_the_emergency_room(service, cfg, sandbox,
                                                               test_env):
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
        await terminal.hangup(TERMINAL)


async def test_a_callback_owed_to_a_terminal_rings_the_terminal(service, test_env):
    async with SeatPhones(["8006", TERMINAL], env=test_env, answer_after=0.3, talk=3) as phones:
        async def seat_free() -> bool:
            return (await service.acd.board.get("8006"))["state"] == "available"

        await until(seat_free, timeout=15, what="seat 8006 available")
        await owe_callback(service, TERMINAL)
        await phones.wait_for("answered", seat="8006", timeout=30)  # the agent first
        ring = await phones.wait_for("ringing", seat=TERMINAL, timeout=30)  # then the terminal
        assert ring["caller"] != ""  # rang on its own endpoint, not out on the trunk

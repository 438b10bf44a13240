"""Three-way calls (三方通话) through the real Asterisk: a SIPp caller, the agent's pjsua2
phone, the desk API, and the department's duty phone behind the trunk (pjsua2), all in
one ConfBridge room; then the agent leaves and the caller and the department talk on."""

from __future__ import annotations

import asyncio
import time

import pytest
import pytest_asyncio

from acd.consult import room_of
from case_store.recordings import CallRecordings
from testkit import sipp
from testkit.phones import SeatPhones
from tests.integration.test_acd import calls_of, until
from tests.integration.test_web_desk_transfer import agent_at_8001, ended_in_queue_log
from tests.support import isolated, running

pytestmark = pytest.mark.integration
CALLER = "13912340001"
DUTY = "057988901004"  # city_management's duty phone, as the dial plan dials it


@pytest_asyncio.fixture
async def service(cfg, sandbox, redis, tmp_path_factory):
    async with running(isolated(cfg, tmp_path_factory, "desk-consult")) as svc:
        yield svc


async def members(service, room: str) -> list[str]:
    """The channels in a ConfBridge room, as Asterisk's AMI ConfbridgeList gives them."""
    reply = await service.ami.action({"Action": "ConfbridgeList", "Conference": room})
    rows = reply if isinstance(reply, list) else []
    return sorted(str(r.get("Channel")) for r in rows if r.get("Event") == "ConfbridgeList")


async def test_agent_consults_a_department_then_leaves_the_caller_with_it(service, test_env):
    cfg = service.cfg
    async with agent_at_8001(service, test_env, "agent_c") as (seat, desk), \
            SeatPhones([], trunk=True, env=test_env, answer_after=1, talk="never") as duty:
        caller = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, CALLER, hold_s=40))
        try:
            await seat.wait_for("answered", seat="8001", timeout=20)
            call = (await until(lambda: asyncio.to_thread(calls_of, service, CALLER),
                                what="call record"))[0]
            status, case = await desk.post_json("/desk/case", {
                "caller": CALLER, "kind": "affairs", "topic": "road_damage",
                "text": "人行道塌了一块", "uniqueid": call.uniqueid, "do": "save"})
            assert status == 200, case

            status, err = await desk.post_json("/desk/consult", {
                "target": "department:city_management", "call": "1.2"})
            assert status == 403  # not the call on this seat

            status, done = await desk.post_json("/desk/consult", {
                "target": "department:city_management", "case_number": case["number"],
                "call": call.uniqueid})
            assert status == 200, done
            assert done["answered"] is True and done["left"] is False  # default: stays
            room = done["room"]
            assert room == room_of(call.uniqueid) and done["case"] == case["number"]
            ring = await duty.wait_for("ringing", seat="trunk", timeout=5)
            assert ring["number"] == DUTY  # the store's number, through the dial plan

            async def three() -> list[str] | None:
                found = await members(service, room)
                return found if len(found) == 3 else None

            inside = await until(three, timeout=15, what="three in the room")
            assert any(c.startswith("PJSIP/8001-") for c in inside)
            assert any(c.startswith(f"Local/{DUTY}@consult-dial-") for c in inside)
            assert any(c.startswith("PJSIP/trunk-") for c in inside)  # the caller

            status, left = await desk.post_json("/desk/consult/leave",
                                                {"case_number": case["number"]})
            assert status == 200, left
            assert left == {"target": "department:city_management", "call": call.uniqueid,
                            "case": case["number"]}
            left_at = time.time()
            await seat.wait_for("hangup", seat="8001", timeout=10)  # the agent's phone

            async def two() -> list[str] | None:
                found = await members(service, room)
                return found if len(found) == 2 else None

            rest = await until(two, timeout=10, what="the agent gone from the room")
            assert not any(c.startswith("PJSIP/8001-") for c in rest)
            await asyncio.sleep(3)  # and the caller and the department talk on
            assert await members(service, room) == rest

            steps = [(e.actor, e.data["step"], e.data["to"])
                     for e in service.store.events(case["number"]) if e.action == "consult"]
            assert steps == [("agent:agent_c", "answered", "department:city_management"),
                             ("agent:agent_c", "agent_left", "department:city_management")]
            record = service.store.get_call(call.uniqueid)
            assert record.transferred_to == "department:city_management"
            assert (record.seat, record.outcome) == ("8001", "answered_in_window"), record
            # the call left the seat's bridge for the room: an attended transfer to it
            lines = await until(lambda: ended_in_queue_log(service, call.uniqueid),
                                what="the call's queue_log ending")
            assert [(line.event, line.agent) for line in lines] == [
                ("ENTERQUEUE", "NONE"), ("CONNECT", "PJSIP/8001"),
                ("ATTENDEDTRANSFER", "PJSIP/8001")]
            assert lines[-1].data[:2] == ("APP", "ConfBridge")
            status, err = await desk.post_json("/desk/consult/leave", {})
            assert status == 409  # no longer in the room
            await duty.hangup("trunk")  # the department is done: the caller is let go
            result = await asyncio.wait_for(caller, 10)
            assert result.returncode == 0, result.stderr[-1500:]
            await until(lambda: _gone(service, room), timeout=10, what="the room closed")
            # recorded twice, both under the call and the seat that took it: the agent's
            # leg until they left, the department's leg on to the end of the talk
            recordings = CallRecordings(service.store.engine)

            async def both():
                kept = await asyncio.to_thread(recordings.for_case, case["number"])
                return kept if len(kept) == 2 else None

            kept = await until(both, timeout=30, what="two recordings of the call")
            assert {(r.call_uniqueid, r.seat) for r in kept} == {(call.uniqueid, "8001")}
            ends = sorted(r.recorded_at.timestamp() + r.duration_ms / 1000 for r in kept)
            assert ends[0] < left_at + 2 and ends[1] > left_at + 3  # talk after the agent left
        finally:
            if not caller.done():
                caller.cancel()


async def test_a_department_that_does_not_answer_leaves_agent_and_caller_together(
        service, test_env):
    cfg = service.cfg
    caller_number = "13912340002"
    async with agent_at_8001(service, test_env, "agent_d") as (seat, desk), \
            SeatPhones([], trunk=True, env=test_env, answer_after="never") as duty:
        caller = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, caller_number,
                                               hold_s=90))
        try:
            await seat.wait_for("answered", seat="8001", timeout=20)
            call = (await until(lambda: asyncio.to_thread(calls_of, service, caller_number),
                                what="call record"))[0]
            status, case = await desk.post_json("/desk/case", {
                "caller": caller_number, "kind": "complaint", "topic": "noise",
                "text": "工地夜间施工噪音", "uniqueid": call.uniqueid, "do": "save"})
            assert status == 200, case
            status, done = await desk.post_json("/desk/consult",
                                                {"target": "department:environment"})
            assert status == 200, done
            assert done["answered"] is False  # the agent is told, and is still on the call
            assert done["case"] == case["number"]  # the case opened for this call
            await duty.wait_for("ringing", seat="trunk", timeout=5)
            room = done["room"]
            inside = await members(service, room)
            assert len(inside) == 2 and any(c.startswith("PJSIP/8001-") for c in inside)
            status, err = await desk.post_json("/desk/consult/leave", {})
            assert status == 409 and "尚未接通" in err["error"]  # the caller is not left alone
            await seat.hangup("8001")  # the agent ends the call: nobody waits alone
            result = await asyncio.wait_for(caller, 15)
            assert result.returncode == 0, result.stderr[-1500:]
            await until(lambda: _gone(service, room), timeout=10, what="the room closed")
            assert service.store.get_call(call.uniqueid).transferred_to is None
            steps = [(e.data["step"], e.data["to"], e.data["phone"])
                     for e in service.store.events(case["number"]) if e.action == "consult"]
            assert steps == [("no_answer", "department:environment", "0579-88901007")]
        finally:
            if not caller.done():
                caller.cancel()


async def test_a_company_consult_hands_the_caller_over_once_answered(service, test_env):
    """Companies are consulted to hand the caller over: once answered, the agent leaves
    unless they asked to stay; the seat is then free for the next caller."""
    cfg = service.cfg
    caller_number = "13912340003"
    async with agent_at_8001(service, test_env, "agent_e") as (seat, desk), \
            SeatPhones([], trunk=True, env=test_env, answer_after=1, talk="never") as company:
        caller = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, caller_number,
                                               hold_s=30))
        try:
            await seat.wait_for("answered", seat="8001", timeout=20)
            call = (await until(lambda: asyncio.to_thread(calls_of, service, caller_number),
                                what="call record"))[0]
            status, done = await desk.post_json("/desk/consult",
                                                {"target": "company:plumbing_wucheng"})
            assert status == 200, done
            assert done["answered"] is True and done["left"] is True
            ring = await company.wait_for("ringing", seat="trunk", timeout=5)
            assert ring["number"] == "057988900026"
            await seat.wait_for("hangup", seat="8001", timeout=10)
            inside = await members(service, done["room"])
            assert len(inside) == 2 and not any(c.startswith("PJSIP/8001-") for c in inside)
            assert service.store.get_call(call.uniqueid).transferred_to == \
                "company:plumbing_wucheng"

            async def seat_free() -> bool:
                return (await service.acd.board.get("8001"))["state"] in ("available",
                                                                         "wrapup")

            await until(seat_free, timeout=15, what="seat 8001 free after the hand-over")
        finally:
            result = await caller
        assert result.returncode == 0, result.stderr[-1500:]
        # the caller hung up: the company is let go with them, the room is gone
        await until(lambda: _gone(service, done["room"]), timeout=10, what="the room closed")
        await company.wait_for("hangup", seat="trunk", timeout=5)


async def _gone(service, room: str) -> bool:
    return await members(service, room) == []

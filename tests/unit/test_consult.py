"""Consults (三方通话) against a scripted AMI: what is asked of Asterisk, in which order,
and what is refused before anything is touched."""

from __future__ import annotations

import asyncio

import pytest

from acd.callback_numbers import NumberPlan
from acd.consult import Consults, caller_of, dialled_numbers, room_of, seat_room
from acd.transfer import TransferError

AGENT = "PJSIP/8001-00000002"
CALLER = "PJSIP/trunk-00000001"


def bridged() -> list[dict]:
    return [{"Event": "CoreShowChannel", "Channel": CALLER, "BridgeId": "b1",
             "Uniqueid": "1700000000.42", "Application": "AGI"},
            {"Event": "CoreShowChannel", "Channel": AGENT, "BridgeId": "b1",
             "Uniqueid": "1700000000.43", "Application": "AppDial"}]


def in_room(room: str) -> list[dict]:
    return [{"Event": "CoreShowChannel", "Channel": AGENT, "BridgeId": "c1",
             "Application": "ConfBridge", "ApplicationData": f"{room},consult_bridge,x"}]


class FakeAmi:
    def __init__(self, channels: list[dict], answered: bool = True,
                 members: list[dict] | None = None) -> None:
        self.connected = asyncio.Event()
        self.connected.set()
        self.channels = channels
        self.answered = answered
        self.members = members or []
        self.sent: list[dict] = []

    async def action(self, action: dict, as_list: bool | None = None) -> list[dict] | dict:
        self.sent.append(action)
        if action["Action"] == "CoreShowChannels":
            return self.channels
        if action["Action"] == "ConfbridgeList":
            return self.members
        return {"Response": "Success"}

    async def originate_and_wait(self, action: dict, timeout: float) -> bool:
        self.sent.append({**action, "Action": "Originate"})
        return self.answered


def test_rooms_are_named_after_the_caller_and_read_back():
    assert room_of("1700000000.42") == "consult-1700000000-42"
    assert caller_of("consult-1700000000-42") == "1700000000.42"
    assert caller_of(room_of("node-a-1700000000.42")) == "node-a-1700000000.42"
    assert room_of("17;Dial(x)") == "consult-17-Dial-x-"  # nothing but letters, digits, -
    assert seat_room(in_room("consult-1-2"), "8001") == (AGENT, "consult-1-2")
    assert seat_room(bridged(), "8001") is None
    members = [{"Event": "ConfbridgeList", "Channel": CALLER},
               {"Event": "ConfbridgeList", "Channel": "Local/057988901004@consult-dial-0001;1"}]
    assert dialled_numbers(members) == ("057988901004",)


async def test_a_consult_moves_both_into_the_room_then_rings_the_number_from_the_plan():
    ami = FakeAmi(bridged())
    done = await Consults(ami, NumberPlan(), "88900000").start("8001", "0579-88901004")
    assert done.answered and done.number == "057988901004"
    steps = [(a["Action"], a.get("Channel")) for a in ami.sent]
    assert steps == [("CoreShowChannels", None), ("Setvar", CALLER), ("Setvar", AGENT),
                     ("Redirect", CALLER), ("Originate", "Local/057988901004@consult-dial/n")]
    redirect, originate = ami.sent[3], ami.sent[4]
    assert (redirect["Context"], redirect["ExtraChannel"], redirect["ExtraContext"]) == (
        "consult-citizen", AGENT, "consult-agent")
    assert originate["Context"] == "consult-join"
    # the room, and the recording name of the consulted leg: this call, this seat
    assert originate["Variable"] == ["__HOTLINE_ROOM=consult-1700000000-42",
                                     "HOTLINE_CONSULT_REC=c_1700000000.42_8001"]


@pytest.mark.parametrize("phone", ["+12025550123", "0571-88888888", "9001", "abc"])
async def test_a_number_outside_the_plan_is_never_dialled_and_the_call_is_untouched(phone):
    ami = FakeAmi(bridged())
    plan = NumberPlan(terminals=frozenset({"9001"}))
    with pytest.raises(TransferError) as refused:
        await Consults(ami, plan, "88900000").start("8001", phone)
    assert refused.value.status == 409 and ami.sent == []


async def test_refusals_another_call_a_room_already_no_call():
    with pytest.raises(TransferError) as err:
        await Consults(FakeAmi(bridged()), NumberPlan(), "8890").start(
            "8001", "057988901004", expected_call="1700000000.99")
    assert err.value.status == 403
    with pytest.raises(TransferError, match="已在三方通话中"):
        await Consults(FakeAmi(in_room("consult-1-2")), NumberPlan(), "8890").start(
            "8001", "057988901004")
    with pytest.raises(TransferError, match="没有通话"):
        await Consults(FakeAmi([]), NumberPlan(), "8890").start("8001", "057988901004")


async def test_the_agent_leaves_only_once_the_party_is_in_the_room():
    room = "consult-1700000000-42"
    alone = FakeAmi(in_room(room), members=[{"Event": "ConfbridgeList", "Channel": CALLER}])
    with pytest.raises(TransferError, match="尚未接通"):
        await Consults(alone, NumberPlan(), "8890").leave("8001")
    assert all(a["Action"] != "ConfbridgeKick" for a in alone.sent)
    party = {"Event": "ConfbridgeList", "Channel": "Local/057988901004@consult-dial-0001;1"}
    ami = FakeAmi(in_room(room), members=[party])
    with pytest.raises(TransferError) as err:
        await Consults(ami, NumberPlan(), "8890").leave("8001", "1700000000.99")
    assert err.value.status == 403
    left = await Consults(ami, NumberPlan(), "8890").leave("8001", "1700000000.42")
    assert (left.caller_uniqueid, left.numbers) == ("1700000000.42", ("057988901004",))
    assert ami.sent[-1] == {"Action": "ConfbridgeKick", "Conference": room, "Channel": AGENT}


async def test_a_party_that_has_just_answered_is_waited_for_while_it_hears_the_notice():
    room = "consult-1700000000-42"
    party = {"Event": "ConfbridgeList", "Channel": "Local/057988901004@consult-dial-0001;1"}
    joining = {"Event": "CoreShowChannel", "Channel": "Local/057988901004@consult-dial-0001;1",
               "Context": "consult-join", "Application": "Playback"}
    ami = FakeAmi([*in_room(room), joining],
                  members=[{"Event": "ConfbridgeList", "Channel": CALLER}])

    async def enters_the_room() -> None:
        await asyncio.sleep(0.6)  # the notice is over
        ami.members = [*ami.members, party]
    entering = asyncio.create_task(enters_the_room())
    left = await Consults(ami, NumberPlan(), "8890").leave("8001")
    await entering
    assert left.numbers == ("057988901004",)
    assert ami.sent[-1]["Action"] == "ConfbridgeKick"


async def test_a_transfer_mark_lost_with_redis_does_not_stop_the_caller_being_moved():
    from redis.exceptions import ConnectionError as RedisDown

    from acd.handovers import Handovers

    class GoneRedis:
        async def set(self, *_args, **_kwargs):
            raise RedisDown("Redis is away")

        async def delete(self, *_args):
            raise RedisDown("Redis is away")

    ami = FakeAmi(bridged())
    consults = Consults(ami, NumberPlan(), "8890", handovers=Handovers(GoneRedis(), "p"))
    done = await consults.start("8001", "057988901004")
    assert done.answered  # moved into the room and the party rung, mark or no mark
    assert any(a["Action"] == "Redirect" for a in ami.sent)

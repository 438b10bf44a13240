"""Consulting a department or partner company on a live call (三方通话), over AMI.

The agent's seat is bridged to the caller (`acd.transfer.find_call`). Both go into a
ConfBridge room named after the caller's channel: AMI ``Setvar`` HOTLINE_ROOM on both,
then one ``Redirect`` of the pair (the caller to ``[consult-citizen]``, the agent to
``[consult-agent]``), so neither is hung up on the way. The consulted number is then
dialled on the trunk: ``Originate`` of ``Local/<number>@consult-dial`` into
``[consult-join]``, which puts the answering phone in the same room. A number the
callback dial plan refuses is never dialled, and the call is then left as it was.

The consulted party's leg is recorded from its answer (`[consult-join]`, MixMonitor as
on a seat's leg) under the consulting seat's name for the call, ``c_<caller>_<seat>_<leg>``:
what is said once the agent has left the two talking is kept with the call too.

If nobody answers, the agent and the caller simply stay in the room together. The
agent leaves with ``ConfbridgeKick`` of their own channel; the dialplan closes a room
left with one member (`asterisk_conf/extensions.conf`), and the caller is the room's
marked user, so everyone leaves when they hang up. Who is in a room is read from
Asterisk itself (CoreShowChannels, ConfbridgeList), so there is no state to lose here.

Leaving the seat's bridge for the room ends the call's time in the virtual queue, as an
attended transfer to an application does in app_queue: its queue_log ending is
ATTENDEDTRANSFER(APP|ConfBridge|...) once the call is marked (`acd.handovers`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from typing import Any

from acd.callback_numbers import NumberPlan
from acd.handovers import Handovers
from acd.originate_wait import GRACE_S
from acd.queue_log import attended_to_app
from acd.transfer import (
    ActiveCall,
    TransferError,
    ami_ok,
    channels,
    find_call,
    settled_channels,
)
from case_store.recording_names import call_stem

log = logging.getLogger(__name__)

ROOM_PREFIX = "consult-"
CITIZEN_CONTEXT = "consult-citizen"
AGENT_CONTEXT = "consult-agent"
DIAL_CONTEXT = "consult-dial"
JOIN_CONTEXT = "consult-join"
RING_S = 30.0  # how long the consulted phone rings
ROOM_APP = "ConfBridge"
JOIN_WAIT_S = 6.0  # an answered party hears the recording notice before entering the room


@dataclass(frozen=True)
class Consulted:
    call: ActiveCall
    room: str
    number: str  # the national form dialled
    answered: bool


@dataclass(frozen=True)
class Left:
    caller_uniqueid: str
    room: str
    numbers: tuple[str, ...]  # the consulted numbers still in the room


def room_of(uniqueid: str) -> str:
    """The room of a caller's channel: "1700000000.42" -> "consult-1700000000-42"."""
    return ROOM_PREFIX + re.sub(r"[^A-Za-z0-9-]", "-", uniqueid)[:60]


def caller_of(room: str) -> str:
    """The caller's unique id back from a room name (the last dash was the dot)."""
    head, _, tail = room[len(ROOM_PREFIX):].rpartition("-")
    return f"{head}.{tail}" if head else tail


def seat_room(rows: list[dict[str, Any]], seat: str) -> tuple[str, str] | None:
    """(the seat's channel, its consult room) when the seat is in one, from
    CoreShowChannel events."""
    prefix = f"PJSIP/{seat}-"
    for row in rows:
        if row.get("Event") != "CoreShowChannel" or \
                not str(row.get("Channel", "")).startswith(prefix):
            continue
        room = str(row.get("ApplicationData") or "").split(",")[0]
        if row.get("Application") == ROOM_APP and room.startswith(ROOM_PREFIX):
            return str(row["Channel"]), room
    return None


def dialled_numbers(members: list[dict[str, Any]]) -> tuple[str, ...]:
    """The consulted numbers in a room, from ConfbridgeList events (their Local legs)."""
    found = (re.match(rf"Local/([0-9]+)@{DIAL_CONTEXT}-", str(m.get("Channel", "")))
             for m in members if m.get("Event") == "ConfbridgeList")
    return tuple(m.group(1) for m in found if m)


class Consults:
    """Consults for one hotline instance: its AMI link, dial plan and number."""

    def __init__(self, ami: Any, plan: NumberPlan, hotline_number: str,
                 ring_s: float = RING_S, handovers: Handovers | None = None) -> None:
        self.ami = ami
        self.plan = plan
        self.hotline_number = hotline_number
        self.ring_s = ring_s
        self.handovers = handovers  # None: no ACD keeps a queue_log of the call

    async def start(self, seat: str, phone: str, expected_call: str | None = None) -> Consulted:
        """Put the seat's caller and agent in a room and ring PHONE into it; answered or
        not, the two stay together. TransferError (403) when the seat's call is not
        ``expected_call``."""
        verdict = self.plan.check(phone)
        if not verdict.dialable or verdict.kind == "terminal":
            raise TransferError(f"号码 {verdict.number or phone[:20]} 不在外呼拨号计划内"
                                f"（{verdict.reason or '终端'}），无法三方通话", 409)
        rows = await settled_channels(self.ami, seat)
        if seat_room(rows, seat) is not None:
            raise TransferError("已在三方通话中，请先离开当前会议", 409)
        call = find_call(rows, seat)
        if call is None:
            raise TransferError(f"坐席 {seat} 当前没有通话，无法三方通话")
        if expected_call and expected_call != call.caller_uniqueid:
            raise TransferError("这通电话不在本坐席上", 403)
        room = room_of(call.caller_uniqueid)
        await self._into_room(call, room)
        answered = await self._ring(room, verdict.number, call_stem(call.caller_uniqueid, seat))
        log.info("consult %s: %s %s", room, verdict.number,
                    "answered" if answered else "not answered")
        return Consulted(call, room, verdict.number, answered)

    async def leave(self, seat: str, expected_call: str | None = None) -> Left:
        """The agent leaves the room; only once someone consulted is in it, so the
        caller is never left alone by the desk."""
        found = seat_room(await channels(self.ami), seat)
        if found is None:
            raise TransferError(f"坐席 {seat} 不在三方通话中")
        channel, room = found
        if expected_call and expected_call != caller_of(room):
            raise TransferError("这通电话不在本坐席上", 403)
        numbers = await self._consulted_in(room)
        if not numbers:
            raise TransferError("被咨询方尚未接通，离开会让市民独自等待")
        await self._ok({"Action": "ConfbridgeKick", "Conference": room, "Channel": channel})
        return Left(caller_of(room), room, numbers)

    async def _consulted_in(self, room: str) -> list[str]:
        """The numbers consulted who are in the room; one that has just answered is given
        up to JOIN_WAIT_S to get there (it hears the recording notice on the way)."""
        deadline = asyncio.get_running_loop().time() + JOIN_WAIT_S
        while True:
            members = await self.ami.action({"Action": "ConfbridgeList", "Conference": room})
            numbers = dialled_numbers(members if isinstance(members, list) else [])
            if numbers or asyncio.get_running_loop().time() >= deadline \
                    or not await self._joining():
                return numbers
            await asyncio.sleep(0.25)

    async def _joining(self) -> bool:
        """A consulted leg has answered and is on its way into a room ([consult-join])."""
        return any(ch.get("Context") == JOIN_CONTEXT for ch in await channels(self.ami))

    async def _into_room(self, call: ActiveCall, room: str) -> None:
        for channel in (call.caller_channel, call.agent_channel):
            await self._ok({"Action": "Setvar", "Channel": channel,
                            "Variable": "HOTLINE_ROOM", "Value": room})
        marked = contextlib.nullcontext() if self.handovers is None else \
            self.handovers.marked(call.caller_uniqueid, attended_to_app(ROOM_APP))
        async with marked:
            await self._ok({"Action": "Redirect", "Channel": call.caller_channel,
                            "Context": CITIZEN_CONTEXT, "Exten": "s", "Priority": "1",
                            "ExtraChannel": call.agent_channel, "ExtraContext": AGENT_CONTEXT,
                            "ExtraExten": "s", "ExtraPriority": "1"})

    async def _ring(self, room: str, number: str, recording: str) -> bool:
        action = {"Channel": f"Local/{number}@{DIAL_CONTEXT}/n", "Context": JOIN_CONTEXT,
                  "Exten": "s", "Priority": "1", "Timeout": str(int(self.ring_s * 1000)),
                  "CallerID": f'"8890" <{self.hotline_number}>',
                  "Variable": [f"__HOTLINE_ROOM={room}", f"HOTLINE_CONSULT_REC={recording}"]}
        try:
            return await self.ami.originate_and_wait(action, self.ring_s + GRACE_S)
        except Exception as exc:  # AMI slow or away: the two in the room still talk
            log.warning("consult %s: calling %s failed (%r)", room, number, exc)
            return False

    async def _ok(self, action: dict[str, Any]) -> None:
        await ami_ok(self.ami, action, "三方通话失败", "电话系统拒绝了操作")

"""Blind transfer of an agent's call to another seat or to a partner's number, over AMI.

The agent's channel (``PJSIP/<seat>-…``) is found bridged in CoreShowChannels; AMI
``BlindTransfer`` on it moves the other party (the caller) to ``transfer,<seat>``
(unanswered, back to the hotline line) or ``callbacks,<digits>`` in the dialplan and
hangs the agent's leg up. A target seat is
reserved first under the same rules the ACD's claim script applies (logged in, not
paused, not reserved, phone idle, wrap-up over), so the ACD cannot offer it another
caller at the same moment; the reservation is dropped once the seat's phone rings.
It is leased too (`acd.leases`), so a process that dies holding it frees the seat.
The call is marked as handed over first (`acd.handovers`): its queue_log ending is then
BLINDTRANSFER to that extension and context, not a completion.
``hang_up`` ends the seat's call the same way round (its agent leg, found the same way).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from acd.handovers import Handovers
from acd.leases import Leases
from acd.queue_log import blind
from acd.seat_board import SeatBoard

RING_WAIT_S = 5.0  # how long the reservation may wait for the target phone to ring
NOTICE_WAIT_S = 6.0  # a seat that just answered is bridged once the caller heard the notice
NOTICE_POLL_S = 0.25
HOLD_LEASE_S = 3 * RING_WAIT_S  # never renewed: the hold is shorter than this
SEAT_CONTEXT = "transfer"  # unanswered: back to the hotline line
NUMBER_CONTEXT = "callbacks"  # dials out through the trunk as the hotline number

_BUSY = {"logged_out": "未签入", "paused": "示忙中", "ringing": "正在振铃",
         "wrapup": "正在话后整理", "INUSE": "正在通话", "BUSY": "正在通话",
         "ONHOLD": "正在通话", "RINGING": "正在振铃", "RINGINUSE": "正在振铃"}


class TransferError(Exception):
    """The transfer cannot be made; the message is for the agent (Chinese)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ActiveCall:
    agent_channel: str
    caller_channel: str
    caller_uniqueid: str  # the ACD's and the call record's key


def busy_reason(code: str) -> str:
    return _BUSY.get(code, "话机未注册或不可用")


def find_call(channels: list[dict[str, Any]], seat: str) -> ActiveCall | None:
    """The seat's bridged channel and its peer, from CoreShowChannel events."""
    rows = [c for c in channels if c.get("Event") == "CoreShowChannel"]
    prefix = f"PJSIP/{seat}-"
    for agent in rows:
        bridge = agent.get("BridgeId") or ""
        if not str(agent.get("Channel", "")).startswith(prefix) or not bridge:
            continue
        peers = [c for c in rows if c.get("BridgeId") == bridge
                 and c.get("Channel") != agent.get("Channel")]
        if peers:
            return ActiveCall(agent["Channel"], peers[0]["Channel"], peers[0].get("Uniqueid", ""))
    return None


async def channels(ami: Any) -> list[dict[str, Any]]:
    """Every channel Asterisk has (CoreShowChannel events); 503 while AMI is away."""
    if ami is None or not ami.connected.is_set():
        raise TransferError("电话系统未连接，暂时无法转接", 503)
    replies = await ami.action({"Action": "CoreShowChannels"}, as_list=True)
    return replies if isinstance(replies, list) else []


def answered_unbridged(channels: list[dict[str, Any]], seat: str) -> bool:
    """The seat's phone is up but not yet bridged: it has just answered and the caller
    is hearing that the call is recorded (Dial's announcement)."""
    prefix = f"PJSIP/{seat}-"
    return any(c.get("Event") == "CoreShowChannel"
               and str(c.get("Channel", "")).startswith(prefix) and not c.get("BridgeId")
               and str(c.get("ChannelStateDesc", "")) == "Up" for c in channels)


async def settled_channels(ami: Any, seat: str,
                           wait_s: float = NOTICE_WAIT_S) -> list[dict[str, Any]]:
    """Every channel, once the seat's fresh answer is bridged (at most ``wait_s``): an
    agent who acts during the recording notice is not told there is no call."""
    deadline = time.monotonic() + wait_s
    rows = await channels(ami)
    while (find_call(rows, seat) is None and answered_unbridged(rows, seat)
           and time.monotonic() < deadline):
        await asyncio.sleep(NOTICE_POLL_S)
        rows = await channels(ami)
    return rows


async def ami_ok(ami: Any, action: dict[str, Any], failed: str, refused: str) -> None:
    """Send ``action``; unless Asterisk answers Success, TransferError (502) saying
    ``failed`` with Asterisk's message, or ``refused`` when it gave none."""
    reply = await ami.action(action, as_list=False)
    if str(reply.get("Response", "")).lower() != "success":
        raise TransferError(f"{failed}：{reply.get('Message') or refused}", 502)


async def active_call(ami: Any, seat: str) -> ActiveCall:
    """The seat's call with its caller, or TransferError when it has none."""
    call = find_call(await settled_channels(ami, seat), seat)
    if call is None:
        raise TransferError(f"坐席 {seat} 当前没有通话")
    return call


class Transfers:
    """Transfers for one hotline instance: its AMI link, Redis and seats."""

    def __init__(self, ami: Any, redis: Redis, prefix: str, seats: list[str]) -> None:
        self.ami = ami
        self.board = SeatBoard(redis, prefix, seats)
        self.leases = Leases(redis, prefix, HOLD_LEASE_S)
        self.handovers = Handovers(redis, prefix)
        self.seats = seats

    async def active_call(self, seat: str) -> ActiveCall:
        return await active_call(self.ami, seat)

    async def to_seat(self, from_seat: str, to_seat: str) -> ActiveCall:
        """Hand the caller to a free seat; TransferError says why a busy one cannot."""
        if to_seat not in self.seats:
            raise TransferError(f"没有坐席 {to_seat[:20]}", 400)
        if to_seat == from_seat:
            raise TransferError("不能转接给自己", 400)
        call = await self.active_call(from_seat)
        token = f"transfer:{call.caller_uniqueid}"
        verdict = await self.board.reserve(to_seat, token)
        if verdict != "ok":
            raise TransferError(f"坐席 {to_seat} {busy_reason(str(verdict))}，无法转接，"
                                "请选择其他坐席或稍后再试")
        try:
            await self.leases.take(token, to_seat)
            await self._blind(call, SEAT_CONTEXT, to_seat)
            await self._until_ringing(to_seat)
        finally:
            await self.board.release(to_seat, token)
            await self.leases.drop(token)
        return call

    async def to_number(self, from_seat: str, digits: str) -> ActiveCall:
        call = await self.active_call(from_seat)
        await self._blind(call, NUMBER_CONTEXT, digits)
        return call

    async def hang_up(self, seat: str) -> ActiveCall:
        """End the seat's call as its phone's hang-up key would: the agent's leg goes,
        the caller's leg ends with it and the seat goes to wrap-up as after any call."""
        call = await self.active_call(seat)
        await ami_ok(self.ami, {"Action": "Hangup", "Channel": call.agent_channel,
                                "Cause": "16"}, "挂断失败", "电话系统拒绝了挂断")
        return call

    async def _blind(self, call: ActiveCall, context: str, exten: str) -> None:
        async with self.handovers.marked(call.caller_uniqueid, blind(exten, context)):
            await ami_ok(self.ami, {"Action": "BlindTransfer", "Channel": call.agent_channel,
                                    "Context": context, "Exten": exten},
                         "转接失败", "电话系统拒绝了转接")

    async def _until_ringing(self, seat: str) -> None:
        """Keep the reservation until the target's phone is no longer idle (bounded)."""
        deadline = time.monotonic() + RING_WAIT_S
        while time.monotonic() < deadline:
            if (await self.board.facts(seat)).device_state != "NOT_INUSE":
                return
            await asyncio.sleep(0.05)

"""An agent into an elderly emergency's room: the first seat to free rings, and its
agent joins the caller (and the family member who answered) there.

The room waits in the line as an entry of kind "emergency", at the head (priority 0,
arrived when the caller first called). A claimed seat rings through AMI Originate into
`[emergency-seat]`; an agent who does not answer puts the entry back with its place, as
any missed offer does. The claim leases the entry; renewed while the seat rings, taken
back by the reaper if this process dies (`Acd._take_back`). Once an agent is in, or the
caller has left the room, the entry is finished.
"""

from __future__ import annotations

import logging

from acd.first_voice import FirstVoice
from acd.leases import Leases
from acd.line import Entry, WaitingLine
from acd.originate_wait import GRACE_S, OriginateWait
from acd.seat_board import SeatBoard
from case_store.recording_names import call_stem

log = logging.getLogger(__name__)

SEAT_CONTEXT = "emergency-seat"


def entry_id_of(room: str) -> str:
    return f"em-{room}"


class EmergencySeats:
    def __init__(self, originate_wait: OriginateWait, line: WaitingLine, board: SeatBoard,
                 leases: Leases, seat_ring_s: float, wrapup_s: float,
                 first_voice: FirstVoice | None = None) -> None:
        self.first_voice = first_voice
        self.originate_wait = originate_wait
        self.line = line
        self.board = board
        self.leases = leases
        self.seat_ring_s = seat_ring_s
        self.wrapup_s = wrapup_s

    async def summon(self, caller: Entry, room: str) -> None:
        """Ask for the first free agent (idempotent per room)."""
        await self.line.add(Entry(
            id=entry_id_of(room), kind="emergency", caller=caller.caller,
            arrived_at=caller.arrived_at, priority=0, origin="terminal",
            uniqueid=caller.uniqueid, callback_number=room))

    async def place(self, entry: Entry, seat: str) -> None:
        """The dispatcher claimed SEAT for the room: ring it, and bring its agent in."""
        room = entry.callback_number
        self.leases.held.add(entry.id)
        try:
            answered = await self.originate_wait({
                "Channel": f"PJSIP/{seat}", "Context": SEAT_CONTEXT, "Exten": "s",
                "Priority": "1", "Timeout": str(int(self.seat_ring_s * 1000)),
                "CallerID": f'"紧急 {entry.caller}" <{entry.caller}>',
                "Variable": [f"HOTLINE_ROOM={room}",  # the agent's leg is recorded
                             f"HOTLINE_EMERGENCY_REC={call_stem(entry.uniqueid, seat)}"]},
                self.seat_ring_s + GRACE_S)
        except Exception as exc:  # AMI away: not the agent's fault, the next seat
            log.warning("emergency %s: ringing seat %s failed (%r)", room, seat, exc)
            answered = None
        finally:
            self.leases.held.discard(entry.id)
        if answered:
            log.warning("emergency %s: agent at seat %s joined", room, seat)
            if self.first_voice is not None:
                await self.first_voice.heard(entry.uniqueid, entry.caller, entry.arrived_at,
                                             "agent")
            await self.board.release(seat, entry.id, answered=True, wrapup_s=self.wrapup_s)
            await self.line.finish(entry.id, "done")
            await self.leases.drop(entry.id)
            return
        await self.put_back(entry, seat, missed=answered is False)

    async def put_back(self, entry: Entry, seat: str, missed: bool = False) -> None:
        """The seat goes free and the room waits again at the head of the line."""
        await self.board.release(seat, entry.id, missed=missed)
        await self.line.requeue(entry)
        await self.leases.drop(entry.id)

    async def done(self, room: str) -> None:
        """The caller left the room: no agent is wanted there any more."""
        await self.line.withdraw(entry_id_of(room))

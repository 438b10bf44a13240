"""Calling an elderly caller's emergency contacts, in order, into their conference room.

The round starts the moment no person answered the terminal, while the IVR still asks
the caller: the first phone rings within seconds, and an explicit "no" from the caller
calls the round off (`cancel`: the ringing phone is hung up). Each contact is dialled
with AMI Originate through `[emergency-contact]` onto the trunk, only if the callback
dial plan allows their number. The first to answer hears a spoken summary (who, where,
that the emergency button was pressed) and joins the room where the caller waits
(`[emergency-join]`). One supervised task per emergency, with a deadline; when it ends,
however it ends, the summary recording (personal data) is deleted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from acd.alarms import EmergencyAlarms
from acd.callback_numbers import NumberPlan
from acd.emergency_seats import EmergencySeats
from acd.first_voice import FirstVoice
from acd.line import Entry
from acd.originate_wait import GRACE_S, OriginateWait

log = logging.getLogger(__name__)

JOIN_CONTEXT = "emergency-join"
CONTACT_CONTEXT = "emergency-contact"
RING_S = 25.0  # how long one contact's phone rings before the next one's


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str


@dataclass(frozen=True)
class Person:
    """What the contacts are told, and who they are."""

    name: str
    address: str
    contacts: tuple[Contact, ...] = ()


@dataclass
class Attempt:
    contact: Contact
    number: str  # national form, as dialled ("" when the plan refused it)
    outcome: str  # answered | failed | refused


PersonLookup = Callable[[str], Awaitable[Person | None]]  # terminal -> person
Speak = Callable[[str, str], Awaitable[str]]  # (room, text) -> sound name; "" if none
Forget = Callable[[str], Awaitable[None]]  # room -> delete its summary
Hangup = Callable[[str], Awaitable[None]]  # channel name, or /regex/


def summary_text(person: Person) -> str:
    return (f"这里是8890热线。{person.name}，住在{person.address}，刚刚按下了紧急求助按钮。"
            "现在为您接通，请和老人通话。")


class EmergencyDialler:
    """Starts one contact round per emergency and keeps what each attempt gave."""

    def __init__(self, originate_wait: OriginateWait, hangup: Hangup, people: PersonLookup,
                 plan: NumberPlan, speak: Speak, forget: Forget, hotline_number: str,
                 alarms: EmergencyAlarms | None = None, seats: EmergencySeats | None = None,
                 first_voice: FirstVoice | None = None, ring_s: float = RING_S) -> None:
        self.first_voice = first_voice
        self.alarms = alarms
        self.seats = seats
        self.originate_wait = originate_wait
        self.hangup = hangup
        self.people = people
        self.plan = plan
        self.speak = speak
        self.forget = forget
        self.hotline_number = hotline_number
        self.ring_s = ring_s
        self.attempts: dict[str, list[Attempt]] = {}  # room -> attempts, newest emergencies
        self._tasks: dict[str, asyncio.Task] = {}
        self._ringing: dict[str, str] = {}  # room -> the number whose phone rings now

    async def knows(self, terminal: str) -> bool:
        """Is someone registered behind this terminal? (No: an ordinary caller.)"""
        try:
            return await self.people(terminal) is not None
        except Exception as exc:  # the database away: better the emergency path than none
            log.warning("terminal %s not looked up (%r); taken as registered", terminal, exc)
            return True

    async def start(self, entry: Entry, room: str) -> None:
        """Begin calling the contacts (in the background; idempotent per room)."""
        if room in self._tasks and not self._tasks[room].done():
            return
        try:
            person = await self.people(entry.caller)
        except Exception as exc:  # the database away: the room and the alarm still happen
            log.error("emergency %s: contacts of %s not read (%r)", room, entry.caller, exc)
            person = None
        if self.alarms is not None:
            await self.alarms.raise_alarm(room, entry.caller, person.name if person else "")
        if person is None or not person.contacts:
            log.warning("emergency %s: terminal %s has no contacts on record", room,
                        entry.caller)
            return
        deadline = len(person.contacts) * (self.ring_s + GRACE_S) + 30
        task = asyncio.create_task(self._supervised(entry, room, person, deadline))
        self._tasks[room] = task
        task.add_done_callback(lambda _t: self._tasks.pop(room, None))
        while len(self.attempts) > 200:  # bounded: the oldest rooms' attempts go
            self.attempts.pop(next(iter(self.attempts)))

    async def _supervised(self, entry: Entry, room: str, person: Person,
                          deadline: float) -> None:
        try:
            await asyncio.wait_for(self._round(entry, room, person), deadline)
        except TimeoutError:
            log.error("emergency %s: contact round passed its %.0f s deadline", room, deadline)
        except Exception:
            log.exception("emergency %s: contact round failed", room)
        finally:
            await self.forget(room)

    async def _round(self, entry: Entry, room: str, person: Person) -> None:
        attempts = self.attempts.setdefault(room, [])
        sound = await self.speak(room, summary_text(person))
        for contact in person.contacts:
            verdict = self.plan.check(contact.phone)
            if verdict.reason or verdict.kind == "terminal":
                log.warning("emergency %s: contact %s not dialled (%s)", room, contact.name,
                            verdict.reason or "a terminal")
                attempts.append(Attempt(contact, "", "refused"))
                continue
            self._ringing[room] = verdict.number
            try:
                answered = await self._call(room, verdict.number, sound)
            finally:
                self._ringing.pop(room, None)
            attempts.append(Attempt(contact, verdict.number, "answered" if answered else "failed"))
            if answered:
                log.warning("emergency %s: contact %s answered", room, contact.name)
                if self.first_voice is not None:
                    await self.first_voice.heard(entry.uniqueid, entry.caller,
                                                 entry.arrived_at, "contact")
                return
        log.error("emergency %s: no contact answered", room)

    async def _call(self, room: str, number: str, sound: str) -> bool:
        variables = [f"HOTLINE_ROOM={room}", f"HOTLINE_SUMMARY={sound}"]
        action = {"Channel": f"Local/{number}@{CONTACT_CONTEXT}/n", "Context": JOIN_CONTEXT,
                  "Exten": "s",
                  "Priority": "1", "Timeout": str(int(self.ring_s * 1000)),
                  "CallerID": f'"8890" <{self.hotline_number}>', "Variable": variables}
        try:
            return await self.originate_wait(action, self.ring_s + GRACE_S)
        except Exception as exc:  # AMI away or slow: the next contact
            log.warning("emergency %s: calling %s failed (%r)", room, number, exc)
            return False

    async def cancel(self, room: str) -> None:
        """The caller said no: no more contacts, and the one ringing now stops ringing
        (one who already answered stays: they will talk with the caller)."""
        if self.alarms is not None:
            await self.alarms.clear(room, "the caller said no")
        task = self._tasks.get(room)
        if task is None or task.done():
            return
        if any(a.outcome == "answered" for a in self.attempts.get(room, [])):
            return
        ringing = self._ringing.get(room)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if ringing:
            await self.hangup(f"/^Local/{ringing}@{CONTACT_CONTEXT}-/")

    async def summon_agent(self, entry: Entry, room: str) -> None:
        """The first free agent joins the room too (the line's head)."""
        if self.seats is not None:
            await self.seats.summon(entry, room)

    async def room_closed(self, room: str) -> None:
        if self.seats is not None:
            await self.seats.done(room)

    async def stop(self) -> None:
        tasks: Sequence[asyncio.Task] = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

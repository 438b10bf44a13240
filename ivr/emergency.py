"""The elderly terminal's emergency path: no person answered within its window.

The contacts are called at once (`acd.emergency`), while the IVR asks, slowly, whether
the caller needs urgent help. A key, silence, a moan or any word that is not an explicit
"no" is a yes: for an old person alone, being asked twice is worse than a false alarm;
a no calls the contacts off. On a yes the emergency case is filed and the caller waits
in a conference room, where the first contact to answer joins them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Protocol

from acd.line import Entry
from ivr.fastagi import AgiSession
from ivr.heard import Heard

log = logging.getLogger(__name__)

ASK_MS = 6000  # how long the caller has to press a key after the question
LISTEN_MS = 5000  # then how long we listen for a spoken answer
LISTEN_SILENCE_S = 2
# an explicit no: 不要, 不用, 不需要, 不是, 没事, 没有事, 没关系, 我很好, no
EXPLICIT_NO = re.compile(r"不要|不用|不需要|不是|没事|没有事|没关系|我很好|\bno\b", re.IGNORECASE)
BRIDGE_PROFILE = "elderly_bridge"  # confbridge.conf: the room and its members
USER_PROFILE = "elderly_user"


def wants_help(key: str, said: str) -> bool:
    """Anything but an explicit no is a yes (a key, silence, a moan, 是)."""
    return bool(key) or not EXPLICIT_NO.search(said)


def room_for(entry: Entry) -> str:
    """The conference room of one emergency: only our own characters, never the caller's."""
    own = "".join(ch if ch in "0123456789" else "-" for ch in entry.uniqueid)[:32].strip("-")
    return f"elderly-{own or entry.id}"  # no dot: its summary is played by this name


class Helpers(Protocol):
    """Who is called into an emergency's room: the contacts (acd.emergency.EmergencyDialler)
    and the first free agent (acd.emergency_seats.EmergencySeats)."""

    async def knows(self, terminal: str) -> bool: ...

    async def start(self, entry: Entry, room: str) -> None: ...

    async def cancel(self, room: str) -> None: ...

    async def summon_agent(self, entry: Entry, room: str) -> None: ...

    async def room_closed(self, room: str) -> None: ...


def _key(result: dict) -> str:
    """Any key pressed during a GET DATA (digits, * or A-D); '' on timeout or hang-up."""
    value = str(result.get("result", ("", ""))[0])
    return value if value and value != "-1" else ""


class EmergencyPath:
    """Ask whether it is an emergency; if so, start it and put the caller in its room."""

    def __init__(self, helpers: Helpers,
                 understand: Callable[[str], Awaitable[Heard]],
                 file_case: Callable[[Entry, Heard, str | None], Awaitable[None]] | None,
                 recordings_dir: str) -> None:
        self.helpers = helpers
        self.understand = understand
        self.file_case = file_case
        self.recordings_dir = recordings_dir

    async def knows(self, entry: Entry) -> bool:
        """Only a registered terminal has this path; another is an ordinary caller."""
        if await self.helpers.knows(entry.caller):
            return True
        log.warning("call %s: terminal %s has no elderly profile; taken as an ordinary "
                    "caller", entry.uniqueid, entry.caller)
        return False

    async def ask(self, agi: AgiSession, entry: Entry) -> Heard | None:
        """What the caller answered, or None for an explicit no (contacts called off)."""
        room = room_for(entry)
        await self.helpers.start(entry, room)
        await agi.command("ANSWER")
        key = _key(await agi.command(f"GET DATA hotline/elderly_urgent {ASK_MS} 1"))
        heard = Heard("", "not_recorded")
        if not key:
            recording = f"{self.recordings_dir}/{room}"
            await agi.command(f'RECORD FILE {recording} wav "#" {LISTEN_MS} '
                              f"s={LISTEN_SILENCE_S}")
            heard = await self.understand(f"{recording}.wav")
        if not wants_help(key, heard.text):
            log.info("call %s: the terminal's caller said no to urgent help (%r)",
                     entry.uniqueid, heard.text)
            await self.helpers.cancel(room)
            return None
        log.warning("call %s: EMERGENCY from terminal %s (key %r, heard %r)",
                    entry.uniqueid, entry.caller, key, heard.text)
        return heard

    async def join(self, agi: AgiSession, entry: Entry, heard: Heard) -> None:
        """The case filed first; then the caller waits in the room (a comfort prompt,
        no English announcements) until someone joins and for as long as they talk."""
        room = room_for(entry)
        if self.file_case is not None:
            await self.file_case(entry, heard, "emergency")
        await self.helpers.summon_agent(entry, room)
        try:
            await agi.exec("Playback", "hotline/elderly_help_coming")
            await agi.exec("ConfBridge", room, BRIDGE_PROFILE, USER_PROFILE, timeout=None)
        finally:
            await self.helpers.room_closed(room)

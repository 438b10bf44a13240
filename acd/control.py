"""Seat control from the phone (feature codes), the agent desk and the supervisor.

Login, logout, pause with a reason, resume and ending wrap-up early change the seat's
facts on the shared board (a change of login or pause is journaled: acd.seat_journal);
`spy` lets a supervisor listen, whisper or barge through ChanSpy, originated over AMI to
the supervisor's own phone.
"""

from __future__ import annotations

import re
import time

from redis.asyncio import Redis

from acd.line import WaitingLine
from acd.seat_board import SeatBoard
from acd.seat_journal import SeatJournal, transitions
from acd.seat_state import SeatState

SPY_OPTIONS = {"listen": "qE", "whisper": "qwE", "barge": "qBE"}
SEAT_ACTIONS = ("login", "logout", "pause", "resume", "wrapup_done")
_PAUSE_CODE = re.compile(r"break|code[0-9]{1,6}")  # what *23 and *23N put on the seat


class SeatControlError(ValueError):
    """A request names an unknown seat or mode."""


def pause_code(code: str) -> str:
    """A pause reason code as the phone's feature codes give it: ``break`` (*23) or
    ``code<N>`` (*23N); bare digits N are read as ``code<N>``, nothing is ``break``."""
    code = code.strip() or "break"
    if code.isascii() and code.isdigit():
        code = f"code{code}"
    if not _PAUSE_CODE.fullmatch(code):
        raise SeatControlError(f"unknown pause reason {code[:20]!r}; use break or code<N> "
                               "(the codes of *23N on the seat phone)")
    return code


class SeatControl:
    def __init__(self, redis: Redis, prefix: str, seats: list[str] | None = None,
                 journal: SeatJournal | None = None) -> None:
        self.redis = redis
        self.prefix = prefix
        self.seats = seats
        self.board = SeatBoard(redis, prefix, seats or [])
        self.line = WaitingLine(redis, prefix)
        self.journal = journal  # login and pause history; None: not kept

    async def _change(self, seat: str, **fields: str) -> SeatState:
        """Set login/pause facts; journal what really changed."""
        before = await self.board.swap(seat, **fields)
        after = (fields.get("logged_in", "1" if before[0] else "0") == "1",
                 fields.get("paused_reason", before[1]))
        state = await self.board.refresh(seat)
        events = transitions(before, after)
        if events and self.journal is not None:
            await self.journal(seat, events)
        return state

    def _check(self, seat: str) -> str:
        if not seat.isdigit() or (self.seats is not None and seat not in self.seats):
            raise SeatControlError(f"unknown seat {seat[:20]!r}")
        return seat

    async def apply(self, seat: str, action: str, reason: str = "",
                    allowed: tuple[str, ...] = SEAT_ACTIONS) -> SeatState:
        """One seat action, as the phone's feature codes, the desk and the wallboard ask.

        ``allowed`` narrows the actions a caller offers (the wallboard does not end an
        agent's wrap-up); a pause without a reason is a "break".
        """
        if action not in allowed or action not in SEAT_ACTIONS:
            raise SeatControlError(f"unknown seat action {action[:20]!r}")
        if action == "pause":
            return await self.pause(seat, reason or "break")
        handler = {"login": self.login, "logout": self.logout, "resume": self.resume,
                   "wrapup_done": self.wrapup_done}[action]
        return await handler(seat)

    async def login(self, seat: str) -> SeatState:
        return await self._change(self._check(seat), logged_in="1", paused_reason="")

    async def logout(self, seat: str) -> SeatState:
        return await self._change(self._check(seat), logged_in="0")

    async def pause(self, seat: str, reason: str) -> SeatState:
        reason = " ".join(reason.split())[:40] or "break"
        return await self._change(self._check(seat), paused_reason=reason)

    async def resume(self, seat: str) -> SeatState:
        return await self._change(self._check(seat), paused_reason="", missed="0")

    async def wrapup_done(self, seat: str) -> SeatState:
        now = time.time()
        return await self.board.update(self._check(seat), wrapup_until=now, idle_since=now)

    async def move_up(self, entry_id: str) -> bool:
        return await self.line.move_up(entry_id)


async def spy(ami_link, supervisor_seat: str, target_seat: str, mode: str) -> dict:
    """Ring the supervisor's phone; when answered it listens to (or joins) the seat's call."""
    if mode not in SPY_OPTIONS:
        raise SeatControlError(f"spy mode must be one of {sorted(SPY_OPTIONS)}")
    for seat in (supervisor_seat, target_seat):
        if not seat.isdigit():
            raise SeatControlError(f"unknown seat {seat[:20]!r}")
    return await ami_link.originate({
        "Channel": f"PJSIP/{supervisor_seat}",
        "Application": "ChanSpy",
        "Data": f"PJSIP/{target_seat},{SPY_OPTIONS[mode]}",
        "CallerID": f'"{mode}" <{target_seat}>',
        "Timeout": "20000",
    })

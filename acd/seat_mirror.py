"""The board's login and pause facts, mirrored to SQL and restored from there.

Redis is the live board; a Redis that restarted without its data would otherwise take
every seat for logged in. Each tick writes the seats whose login or pause changed, and
every seat SQL has no record of yet; when Redis has lost its state the recorded facts go
back on the board before anyone dispatches (device states come back from AMI), so
"logged in" is never assumed. Only a seat new to the configuration starts logged in.
"""

from __future__ import annotations

import logging
from typing import Protocol

from acd.seat_board import SeatBoard
from acd.seat_journal import transitions

log = logging.getLogger(__name__)

Facts = tuple[bool, str]  # logged in, pause reason


class SeatFactsRecord(Protocol):
    async def save(self, seat: str, logged_in: bool, paused_reason: str) -> None: ...
    async def load(self) -> dict[str, Facts]: ...


class SeatMirror:
    def __init__(self, board: SeatBoard, record: SeatFactsRecord) -> None:
        self.board = board
        self.record = record
        self.last: dict[str, Facts] | None = None  # as last written (None: not read yet)
        # A seat SQL never saw starts logged in (see above): its history starts with that
        # login, so the agents' day report counts it (acd.seat_journal.SeatJournal).
        self.journal = None

    async def sync(self) -> int:
        """Write the seats whose facts changed since the last write; returns how many."""
        if self.last is None:
            self.last = await self.record.load()
        written = 0
        for facts in await self.board.snapshot():
            now = (facts.logged_in, facts.paused_reason)
            if self.last.get(facts.seat) != now:
                first = facts.seat not in self.last
                await self.record.save(facts.seat, *now)
                if first and self.journal is not None:
                    await self.journal(facts.seat, transitions((False, ""), now))
                self.last[facts.seat] = now
                written += 1
        return written

    async def restore(self) -> int:
        """Put the recorded facts back on the board (Redis lost them)."""
        recorded = await self.record.load()
        for seat, (logged_in, reason) in recorded.items():
            if seat in self.board.seats:
                await self.board.update(seat, logged_in="1" if logged_in else "0",
                                        paused_reason=reason)
        self.last = dict(recorded)
        if recorded:
            log.warning("restored %d seats' login and pause from SQL", len(recorded))
        return len(recorded)

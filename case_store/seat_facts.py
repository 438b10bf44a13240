"""Seats' login and pause in SQL: the durable copy of what agents set on the board.

The ACD mirrors each seat's `logged_in` and `paused_reason` here when they change and
reads them back when Redis has lost its state, so the board never assumes a seat that
was logged out or paused is available. ``CaseStore`` delegates to it.
"""

from __future__ import annotations

from sqlalchemy import select

from case_store.db import upsert_insert
from case_store.models import SeatFact
from case_store.unit import UnitOfWork

SEAT_LIMIT = 16
REASON_LIMIT = 40


class SeatFactRecords:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def save_seat_fact(self, seat: str, logged_in: bool, paused_reason: str = "") -> None:
        """Upsert one seat's facts (the latest write wins)."""
        if not seat.isdigit() or len(seat) > SEAT_LIMIT:
            raise ValueError(f"seat must be digits, at most {SEAT_LIMIT}: {seat[:20]!r}")
        row = {"seat": seat, "logged_in": bool(logged_in),
               "paused_reason": str(paused_reason)[:REASON_LIMIT],
               "updated_at": self.uow.clock()}
        with self.uow.tx() as s:
            s.execute(upsert_insert(s, SeatFact).values(row).on_conflict_do_update(
                index_elements=[SeatFact.seat],
                set_={k: v for k, v in row.items() if k != "seat"}))

    def seat_facts(self) -> dict[str, tuple[bool, str]]:
        """Every recorded seat: (logged in, pause reason)."""
        with self.uow.tx() as s:
            return {r.seat: (r.logged_in, r.paused_reason)
                    for r in s.scalars(select(SeatFact))}

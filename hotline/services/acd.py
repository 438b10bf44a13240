"""The ACD seen from the console: seats and their actions, the line, owed callbacks, live
figures, and the call at a seat (transfer, hang-up).

Seat actions go through ``acd.control.SeatControl`` with the instance's seat journal,
so a login or pause from the API is journaled (queue_log, agent events) and counts in
the agents' day exactly like one from the desk or the phone. Numbers leave here masked
(``mask_phone``): the wallboard and a CRM see who waits, not whom to call.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from acd.alarms import EmergencyAlarms
from acd.line import WaitingLine
from acd.seat_board import SeatBoard
from acd.seat_state import SeatState
from acd.transfer import ActiveCall, TransferError, Transfers
from case_store.errors import CaseStoreError
from hotline.web.case_intake import announce_change
from hotline.web.context import WebContext
from hotline.web.html import mask_phone
from hotline.web.pause_reasons import namer
from hotline.web.wallboard_view import build_view, queue_rows, seat_rows

QUEUE_SHOWN = 30  # the head of the line a wall screen has room for
CALLBACKS_SHOWN = 200
STATS_KEYS = ("at", "now", "stats", "series", "staffing", "cases")  # the view minus lists


class AcdService:
    """One hotline instance's ACD, for the desk, the wallboard and the machine API."""

    def __init__(self, c: WebContext) -> None:
        self.c = c

    # -- seats ---------------------------------------------------------------------------

    async def agents(self) -> list[dict[str, Any]]:
        """Every configured seat with its state now (read from the seat board, not the
        once-a-second snapshot: a CTI that just logged a seat in sees it at once)."""
        return seat_rows(await self._board().all(), time.time(), self.reason_names())

    async def agent(self, seat: str) -> dict[str, Any] | None:
        """One seat's row, or None for a seat this instance does not have."""
        entry = await self._board().get(seat)
        return None if entry is None else \
            seat_rows({seat: entry}, time.time(), self.reason_names())[0]

    def _board(self) -> SeatBoard:
        return SeatBoard(self.c.redis, self.c.prefix, self.c.seats)

    async def seat_action(self, seat: str, action: str, reason: str,
                          allowed: tuple[str, ...]) -> SeatState:
        """Login, logout, pause (with ``reason``), resume...: journaled; SeatControlError
        (a ValueError) for an unknown seat or action."""
        return await self.c.seat_control().apply(seat, action, reason, allowed)

    # -- the line, callbacks, figures ----------------------------------------------------

    async def snapshot(self) -> dict[str, Any]:
        """The ACD's last published snapshot (empty before its first)."""
        raw = await self.c.redis.get(self.c.key("stats", "snapshot"))
        return json.loads(raw) if raw else {}

    async def waiting(self) -> list[dict[str, Any]]:
        """The head of the line, unmasked: only for ``queue_rows`` and ``build_view``."""
        try:
            entries = await WaitingLine(self.c.redis, self.c.prefix).waiting(limit=QUEUE_SHOWN)
        except Exception:  # the line's keys may not exist before the ACD's first start
            return []
        return [{"id": e.id, "kind": e.kind, "caller": e.caller, "arrived_at": e.arrived_at,
                 "priority": e.priority} for e in entries]

    async def queue(self) -> list[dict[str, Any]]:
        """Who waits, in rank order, numbers masked."""
        return queue_rows(await self.waiting(), time.time())

    async def case_counts(self) -> dict[str, Any]:
        return await asyncio.to_thread(self.c.store.case_counts, datetime.now(UTC))

    async def alarms(self) -> list[dict[str, Any]]:
        return await EmergencyAlarms(self.c.redis, self.c.prefix).open()

    async def wallboard(self, lang: str = "zh") -> dict[str, Any]:
        """The wallboard's whole view (``wallboard_view.build_view``), pause reasons named
        in ``lang``."""
        return build_view(await self.snapshot(), await self.case_counts(), await self.waiting(),
                          time.time(), await self.alarms(), self.reason_names(lang))

    def reason_names(self, lang: str = "zh") -> Callable[[str], str]:
        return namer(self.c.pause_names, lang)

    async def stats(self) -> dict[str, Any]:
        """The wallboard's figures: today's counters, the quarter-hour series, staffing
        by Erlang C, case counters (no seats, no line: those have their own routes)."""
        view = await self.wallboard()
        return {k: view[k] for k in STATS_KEYS}

    async def callbacks(self) -> list[dict[str, Any]]:
        """Callbacks owed (pending, being dialled, or waiting for an agent to check the
        number), from the durable ledger, soonest due first, masked."""
        def owed_now() -> list[Any]:
            store = self.c.store
            both = store.pending_callbacks(CALLBACKS_SHOWN) + \
                store.callbacks_to_check(CALLBACKS_SHOWN)
            return sorted(both, key=lambda v: v.due_at)[:CALLBACKS_SHOWN]

        owed = await asyncio.to_thread(owed_now)
        return [{"id": v.callback_id, "caller": mask_phone(v.caller),
                 "callback_number": mask_phone(v.callback_number), "status": v.status,
                 "priority": v.priority, "arrived_at": v.arrived_at.isoformat(),
                 "due_at": v.due_at.isoformat(), "attempts": v.attempts,
                 "next_attempt_at": v.next_attempt_at.isoformat() if v.next_attempt_at
                 else None, "case": v.case_number} for v in owed]

    # -- the call at a seat --------------------------------------------------------------

    def transfers(self) -> Transfers:
        return Transfers(self.c.ami, self.c.redis, self.c.prefix, self.c.seats)

    def transfer_target(self, target: str) -> tuple[str, str, str]:
        """('seat', seat, label) or ('number', digits, label) for a named target (blocking:
        reads companies); TransferError(400) otherwise: no typed numbers are ever dialled."""
        kind, _, value = target.partition(":")
        if kind == "seat" and value in self.c.seats:
            return "seat", value, f"seat:{value}"
        if kind == "company":
            for t in self.c.store.transfer_targets():
                if t.code == value:
                    return "number", t.digits, f"company:{t.code} {t.phone}"
        raise TransferError(f"unknown transfer target {target[:40]!r}; "
                            "use seat:<seat> or company:<code>", 400)

    async def transfer(self, seat: str, target: str, actor: str,
                       case_number: str | None = None) -> dict[str, Any]:
        """Blind-transfer the seat's call and log it on the call's case; TransferError
        says why it cannot be done."""
        if seat not in self.c.seats:
            raise TransferError(f"没有坐席 {seat[:20]}", 404)
        kind, value, label = await asyncio.to_thread(self.transfer_target, target)
        transfers = self.transfers()
        call = await (transfers.to_seat(seat, value) if kind == "seat"
                      else transfers.to_number(seat, value))
        try:
            case = await asyncio.to_thread(self.c.store.record_transfer, call.caller_uniqueid,
                                           by=actor, to=label, number=case_number or None)
        except CaseStoreError as exc:
            raise TransferError(f"transferred, but not logged: {exc}", 400) from exc
        if case is not None:
            await announce_change(self.c, case.number, "transfer")
        return {"target": label, "call": call.caller_uniqueid,
                "case": case.number if case else None}

    async def hang_up(self, seat: str) -> ActiveCall:
        """End the seat's call (after the recording notice, once it is bridged)."""
        if seat not in self.c.seats:
            raise TransferError(f"没有坐席 {seat[:20]}", 404)
        return await self.transfers().hang_up(seat)

"""Adapters from the ACD's records to the SQL case store (composition root glue).

The ACD speaks epoch seconds and Entries; the store speaks aware datetimes and
keyword fields. Writes run in a thread so the event loop keeps serving calls. A call
record that fails to write is logged, not raised: the caller's call goes on.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from acd.line import Entry
from case_store.lifecycle import OPEN_STATUSES

log = logging.getLogger(__name__)

_TIME_FIELDS = {"arrived_at", "answered_at", "ended_at", "ring_started_at", "due_at",
                "next_attempt_at", "done_at"}


def _moment(value: object) -> object:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    return value


def _fields(fields: dict) -> dict:
    return {k: _moment(v) if k in _TIME_FIELDS else v for k, v in fields.items()}


class SqlCallRecorder:
    """Writes call records off the call path, in order per call.

    The caller never waits for SQL; the writes of one call (arrival, answer, hang-up)
    are chained so they land in the order they were made.
    """

    def __init__(self, store) -> None:
        self.store = store
        self._last: dict[str, asyncio.Task] = {}

    async def __call__(self, uniqueid: str, **fields: object) -> None:
        if not uniqueid:
            return
        previous = self._last.get(uniqueid)
        task = asyncio.create_task(self._write(previous, uniqueid, _fields(fields)))
        self._last[uniqueid] = task
        task.add_done_callback(lambda t, u=uniqueid: self._forget(u, t))

    async def _write(self, previous: asyncio.Task | None, uniqueid: str, fields: dict) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        try:
            await asyncio.to_thread(self.store.record_call, uniqueid, **fields)
        except Exception:
            log.exception("call record %s not written", uniqueid)

    def _forget(self, uniqueid: str, task: asyncio.Task) -> None:
        if self._last.get(uniqueid) is task:
            del self._last[uniqueid]

    async def drain(self) -> None:
        await asyncio.gather(*self._last.values(), return_exceptions=True)


class SqlCallbackLedger:
    """CallbackLedger on the case store: the durable half of every callback promise."""

    def __init__(self, store) -> None:
        self.store = store

    async def save(self, entry: Entry, recording: str = "") -> None:
        await asyncio.to_thread(
            self.store.save_callback, entry.id, caller=entry.caller,
            callback_number=entry.callback_number, origin=entry.origin,
            priority=entry.priority, arrived_at=_moment(entry.arrived_at),
            due_at=_moment(entry.due_at), recording=recording or None,
            case_number=entry.case_number or None, transcript=entry.transcript or None)

    async def update(self, callback_id: str, **fields: object) -> None:
        await asyncio.to_thread(self.store.update_callback, callback_id, **_fields(fields))

    async def pending(self) -> list[Entry]:
        views = await asyncio.to_thread(self.store.pending_callbacks)
        return [Entry(id=v.callback_id, kind="callback", caller=v.caller,
                      arrived_at=v.arrived_at.timestamp(), priority=v.priority,
                      origin=v.origin, due_at=v.due_at.timestamp(),
                      not_before=v.next_attempt_at.timestamp() if v.next_attempt_at else 0.0,
                      attempts=v.attempts, case_number=v.case_number or "",
                      callback_number=v.callback_number, transcript=v.transcript or "")
                for v in views]


class UrgentCases:
    """Is this caller someone with an open urgent case? (repeat callers go ahead)"""

    URGENT_KINDS = ("emergency", "complaint")

    def __init__(self, store) -> None:
        self.store = store

    async def __call__(self, caller: str) -> bool:
        try:
            history = await asyncio.to_thread(self.store.caller_history, caller)
        except Exception:
            log.exception("caller history for priority failed")
            return False
        return any(case.kind in self.URGENT_KINDS and case.status in OPEN_STATUSES
                   for case in history)

"""Adapters from the ACD's records to the SQL case store (composition root glue).

The ACD speaks epoch seconds and Entries; the store speaks aware datetimes and
keyword fields. Writes run in a thread so the event loop keeps serving calls. Every
write goes through a `StoreWriter`: while the database is unreachable (or items still
wait before it), writes go to the durable spool and the replayer lands them later,
in order; a call record that cannot be kept at all is logged, and the call goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from acd.line import Entry
from acd.spool import DurableSpool
from case_store.db import DATABASE_UNREACHABLE
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


DATABASE_AWAY = (*DATABASE_UNREACHABLE, OSError)


class StoreWriter:
    """Writes to the case store, or to the spool while the store is away."""

    def __init__(self, store, spool: DurableSpool | None = None) -> None:
        self.store = store
        self.spool = spool
        self.replayed = 0
        self.set_aside = 0

    def _apply(self, kind: str, key: str, payload: dict) -> None:
        if kind == "call":
            self.store.record_call(key, **_fields(payload))
        elif kind == "callback.save":
            self.store.save_callback(key, **_fields(payload))
        elif kind == "callback.update":
            self.store.update_callback(key, **_fields(payload))
        elif kind == "agent_event":
            self.store.add_agent_event(key, str(payload["seat"]), str(payload["event"]),
                                       str(payload.get("reason", "")),
                                       _moment(float(payload["at"])))
        elif kind == "seat":
            self.store.save_seat_fact(key, bool(payload["logged_in"]),
                                      str(payload.get("paused_reason", "")))
        else:
            raise ValueError(f"unknown spool item kind {kind!r}")

    async def write(self, kind: str, key: str, payload: dict) -> None:
        """Land it in SQL now, or durably in the spool (SpoolFull if that is full)."""
        if self.spool is not None and self.spool.holds_any():
            self.spool.append(kind, key, payload)  # behind what already waits: in order
            return
        try:
            await asyncio.to_thread(self._apply, kind, key, payload)
        except DATABASE_AWAY as exc:
            if self.spool is None:
                raise
            log.warning("database away (%s); %s %s kept in the spool", type(exc).__name__,
                        kind, key)
            self.spool.append(kind, key, payload)

    async def replay(self) -> int:
        """Land spooled items in order; stop at the first one the database refuses for
        being away. An item it refuses for its content is set aside (.bad), not retried."""
        if self.spool is None:
            return 0
        landed, set_aside = await self.spool.replay(
            lambda item: asyncio.to_thread(self._apply, item.kind, item.key, item.payload),
            DATABASE_AWAY)
        self.set_aside += set_aside
        self.replayed += landed
        if landed:
            log.info("replayed %d spooled records into the database", landed)
        return landed

    def status(self) -> dict:
        """For /healthz, /metrics and the wallboard: is the spool draining?"""
        if self.spool is None:
            return {"depth": 0, "oldest_s": 0.0, "limit": 0, "replayed": 0, "set_aside": 0}
        return {"depth": self.spool.depth(), "oldest_s": round(self.spool.oldest_age_s(), 1),
                "limit": self.spool.limit, "replayed": self.replayed,
                "set_aside": self.set_aside}


async def replay_forever(replay: Callable[[], Awaitable[int]], every_s: float = 1.0) -> None:
    """The replayer (`StoreWriter.replay`, or the phone intake's): a spool that does not
    drain is logged, never fatal."""
    while True:
        try:
            await replay()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("spool replay round failed")
        await asyncio.sleep(every_s)


class SqlCallRecorder:
    """Writes call records off the call path, in order per call.

    The caller never waits for SQL; the writes of one call (arrival, answer, hang-up)
    are chained so they land in the order they were made.
    """

    def __init__(self, writer: StoreWriter) -> None:
        self.writer = writer
        self._last: dict[str, asyncio.Task] = {}

    async def __call__(self, uniqueid: str, **fields: object) -> None:
        if not uniqueid:
            return
        previous = self._last.get(uniqueid)
        task = asyncio.create_task(self._write(previous, uniqueid, dict(fields)))
        self._last[uniqueid] = task
        task.add_done_callback(lambda t, u=uniqueid: self._forget(u, t))

    async def _write(self, previous: asyncio.Task | None, uniqueid: str, fields: dict) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        try:
            await self.writer.write("call", uniqueid, fields)
        except Exception:
            log.exception("call record %s not written", uniqueid)

    def _forget(self, uniqueid: str, task: asyncio.Task) -> None:
        if self._last.get(uniqueid) is task:
            del self._last[uniqueid]

    async def drain(self) -> None:
        await asyncio.gather(*self._last.values(), return_exceptions=True)


class SqlCallbackLedger:
    """CallbackLedger on the case store: the durable half of every callback promise
    (in SQL, or in the spool until SQL is back)."""

    def __init__(self, writer: StoreWriter) -> None:
        self.writer = writer

    async def save(self, entry: Entry, recording: str = "", needs_check: bool = False) -> None:
        """Durable before the caller hears of it; `needs_check`: an agent checks the
        number before anyone dials it."""
        checked = {"status": "needs_check", "outcome": "number_to_check"} if needs_check else {}
        await self.writer.write("callback.save", entry.id, {**checked,
            "caller": entry.caller, "callback_number": entry.callback_number,
            "origin": entry.origin, "priority": entry.priority,
            "arrived_at": entry.arrived_at, "due_at": entry.due_at,
            "recording": recording or None, "case_number": entry.case_number or None,
            "transcript": entry.transcript or None})

    async def update(self, callback_id: str, **fields: object) -> None:
        await self.writer.write("callback.update", callback_id, fields)

    async def pending(self) -> list[Entry]:
        views = await asyncio.to_thread(self.writer.store.pending_callbacks)
        return [entry_of(v) for v in views]


def entry_of(view) -> Entry:
    """A callback's line entry from its SQL record (case_store.views.CallbackView)."""
    return Entry(id=view.callback_id, kind="callback", caller=view.caller,
                 arrived_at=view.arrived_at.timestamp(), priority=view.priority,
                 origin=view.origin, due_at=view.due_at.timestamp(),
                 not_before=view.next_attempt_at.timestamp() if view.next_attempt_at else 0.0,
                 attempts=view.attempts, case_number=view.case_number or "",
                 callback_number=view.callback_number, transcript=view.transcript or "")


class SqlSeatFacts:
    """SeatFactsRecord on the case store (through the spool while it is away)."""

    def __init__(self, writer: StoreWriter) -> None:
        self.writer = writer

    async def save(self, seat: str, logged_in: bool, paused_reason: str) -> None:
        await self.writer.write("seat", seat, {"logged_in": logged_in,
                                               "paused_reason": paused_reason})

    async def load(self) -> dict[str, tuple[bool, str]]:
        return await asyncio.to_thread(self.writer.store.seat_facts)


class SqlAgentEvents:
    """AgentEventRecord on the case store: the login/pause history, through the spool
    while the store is away; the key (seat, event, microseconds) lands it once."""

    def __init__(self, writer: StoreWriter) -> None:
        self.writer = writer

    async def add(self, seat: str, event: str, reason: str, at: float) -> None:
        key = f"{seat}:{event}:{int(at * 1_000_000)}"
        await self.writer.write("agent_event", key, {"seat": seat, "event": event,
                                                     "reason": reason, "at": at})


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

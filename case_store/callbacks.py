"""Durable callbacks: the "called back within 5 minutes" promise, kept in SQL.

Redis holds the live callback line; this table is what survives a Redis restart. The ACD
saves a callback when it promises one, updates it as it dials, and after a restart
reloads ``pending_callbacks()`` (deadline first, then original arrival) into Redis.
``CaseStore`` delegates to it; every method runs in one transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from case_store.call_fields import (
    CALLBACK_FIELDS,
    CALLBACK_ID_LIMIT,
    CALLBACK_MOVES,
    CALLBACK_REQUIRED,
    CLOSED_CALLBACK_STATUSES,
    OPEN_CALLBACK_STATUSES,
    check_key,
    clean,
    require,
)
from case_store.db import upsert_insert
from case_store.errors import CallbackNotFoundError, InvalidCallError
from case_store.models import Callback
from case_store.unit import UnitOfWork
from case_store.views import CallbackView

log = logging.getLogger(__name__)


class CallbackRecords:
    """``save_callback``, ``update_callback`` and the callback queries for ``CaseStore``."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def save_callback(self, callback_id: str, **fields: Any) -> CallbackView:
        """Record a promised callback. Saving the same id again returns the stored row
        unchanged, so a retried save never makes a second callback."""
        key = check_key("callback_id", callback_id, CALLBACK_ID_LIMIT)
        given = clean(fields, CALLBACK_FIELDS, "callback")
        require(given, CALLBACK_REQUIRED, "callback")
        now = self.uow.clock()
        row = {"priority": 0, "status": "pending", "attempts": 0, **given,
               "callback_id": key, "created_at": now, "updated_at": now}
        if row["status"] in CLOSED_CALLBACK_STATUSES:
            row.setdefault("done_at", now)
        with self.uow.tx() as s:
            s.execute(upsert_insert(s, Callback).values(row)
                      .on_conflict_do_nothing(index_elements=[Callback.callback_id]))
            return CallbackView.of(self._callback(s, key))

    def update_callback(self, callback_id: str, **fields: Any) -> CallbackView:
        """Change the given fields. Closing it (done/failed/cancelled) stamps ``done_at``
        unless given. A closed callback stays closed: a status change out of it is
        ignored whole (a replayed or late update is harmless), and the stored row is
        returned."""
        given = clean(fields, CALLBACK_FIELDS, "callback")
        with self.uow.tx() as s:
            row = self._callback(s, callback_id, lock=True)
            if not given:
                return CallbackView.of(row)
            if given.get("status", row.status) not in CALLBACK_MOVES[row.status]:
                log.info("callback %s is %s; ignoring the move to %s", callback_id,
                         row.status, given["status"])
                return CallbackView.of(row)
            now = self.uow.clock()
            for name, value in given.items():
                setattr(row, name, value)
            if "status" in given and "done_at" not in given:
                closed = given["status"] in CLOSED_CALLBACK_STATUSES
                row.done_at = (row.done_at or now) if closed else None
            row.updated_at = now
            return CallbackView.of(row)

    def get_callback(self, callback_id: str) -> CallbackView:
        """The callback as it stands."""
        with self.uow.tx() as s:
            return CallbackView.of(self._callback(s, callback_id))

    def pending_callbacks(self, limit: int | None = None) -> list[CallbackView]:
        """Callbacks still owed (pending or dialing), earliest deadline first, then the
        earliest original arrival: the order the ACD reloads them into Redis."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or limit < 1):
            raise InvalidCallError(f"limit must be a positive whole number, got {limit!r}")
        query = (select(Callback).where(Callback.status.in_(OPEN_CALLBACK_STATUSES))
                 .order_by(Callback.due_at, Callback.arrived_at, Callback.callback_id)
                 .limit(limit))
        with self.uow.tx() as s:
            return [CallbackView.of(r) for r in s.scalars(query)]

    def callbacks_to_check(self, limit: int = 50) -> list[CallbackView]:
        """Callbacks whose number an agent must check before anyone dials it, oldest
        deadline first."""
        query = (select(Callback).where(Callback.status == "needs_check")
                 .order_by(Callback.due_at, Callback.callback_id).limit(limit))
        with self.uow.tx() as s:
            return [CallbackView.of(r) for r in s.scalars(query)]

    def callbacks_for_caller(self, number: str) -> list[CallbackView]:
        """Callbacks where ``number`` is the caller or the number to call back, newest
        first (a caller who calls again may cancel the one still owed)."""
        if not number:
            return []  # a withheld number identifies nobody
        with self.uow.tx() as s:
            rows = s.scalars(select(Callback)
                             .where(or_(Callback.caller == number,
                                        Callback.callback_number == number))
                             .order_by(Callback.arrived_at.desc(), Callback.callback_id.desc()))
            return [CallbackView.of(r) for r in rows]

    @staticmethod
    def _callback(s: Session, callback_id: str, lock: bool = False) -> Callback:
        query = select(Callback).where(Callback.callback_id == str(callback_id))
        if lock:
            query = query.with_for_update()
        row = s.scalar(query)
        if row is None:
            raise CallbackNotFoundError(f"no callback {callback_id!r}")
        return row

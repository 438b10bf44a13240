"""The SQL outbox: messages written in the same transaction as the case they announce,
relayed to Redis afterwards, so a committed case can never miss its routing message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from case_store.models import Outbox
from case_store.unit import UnitOfWork

ROUTING_STREAM = "routing"
EMERGENCY_STREAM = "emergency"

Publish = Callable[[str, dict[str, Any]], None]


class OutboxRelay:
    """Hands unpublished outbox rows to a publisher (``case_store.streams``)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def relay(self, publish: Publish, limit: int = 500) -> int:
        """Hand unpublished outbox messages to ``publish(stream, payload)`` in order and mark
        them published in the same transaction.

        A crash after publishing but before commit republishes the message: consumers must
        be idempotent (``route`` is). Concurrent relays skip each other's locked rows.
        """
        with self.uow.tx() as s:
            rows = s.scalars(select(Outbox).where(Outbox.published_at.is_(None))
                             .order_by(Outbox.id).limit(limit)
                             .with_for_update(skip_locked=True)).all()
            now = self.uow.clock()
            for row in rows:
                publish(row.stream, {**row.payload, "outbox": row.id})
                row.published_at = now
            return len(rows)

"""Redis Streams edge: relay the SQL outbox to streams, and routing workers that consume them.

Workers read through a consumer group and acknowledge only after ``CaseStore.route`` has
committed. A worker that dies mid-routing leaves its message pending; any other worker
reclaims it with XAUTOCLAIM once it has been idle ``min_idle_ms``, so no case is lost.
Each process joins the group under a name of its own; the names of processes long gone
(idle, nothing pending) are removed, so restarts do not pile up consumers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from case_store.outbox import ROUTING_STREAM
from case_store.store import CaseStore

GROUP = "routers"
GONE_CONSUMER_IDLE_MS = 600_000  # a consumer silent this long, owning nothing, is gone


STREAM_MAXLEN = 100_000  # bounded: the outbox in SQL is the record, a stream only the feed


def stream_key(prefix: str, stream: str) -> str:
    """Keys are namespaced so several hotlines (or test runs) share one Redis."""
    return f"{prefix}:cases:{stream}"


def relay_outbox(store: CaseStore, client: redis.Redis, prefix: str, limit: int = 500) -> int:
    """Publish pending outbox rows to their streams; returns how many were sent."""

    def publish(stream: str, payload: dict[str, Any]) -> None:
        fields = {k: "" if v is None else str(v) for k, v in payload.items()}
        client.xadd(stream_key(prefix, stream), fields, maxlen=STREAM_MAXLEN, approximate=True)

    return store.relay(publish, limit)


@dataclass
class RoutingWorker:
    """One consumer of the routing stream. ``before_route`` is a test hook called with the
    case number just before routing (a crash there must not lose the case)."""

    store: CaseStore
    client: redis.Redis
    prefix: str
    consumer: str
    min_idle_ms: int = 30_000
    before_route: Callable[[str], None] | None = None

    @property
    def key(self) -> str:
        return stream_key(self.prefix, ROUTING_STREAM)

    def ensure_group(self) -> None:
        try:
            self.client.xgroup_create(self.key, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def poll(self, count: int = 10, block_ms: int | None = 1000) -> list[str]:
        """Reclaim stale messages, read new ones, route and acknowledge each.

        Returns the case numbers routed in this call.
        """
        self.ensure_group()
        claimed = self.client.xautoclaim(self.key, GROUP, self.consumer, self.min_idle_ms,
                                         start_id="0-0", count=count)
        messages = list(claimed[1])
        if not messages:
            fresh = self.client.xreadgroup(GROUP, self.consumer, {self.key: ">"},
                                           count=count, block=block_ms)
            messages = [m for _stream, batch in fresh or [] for m in batch]
        done = []
        for msg_id, fields in messages:
            if not fields:  # deleted from the stream meanwhile
                self.client.xack(self.key, GROUP, msg_id)
                continue
            number = _text(fields.get(b"case", fields.get("case", "")))
            if self.before_route is not None:
                self.before_route(number)
            self.store.route(number, actor=f"router:{self.consumer}")
            self.client.xack(self.key, GROUP, msg_id)
            done.append(number)
        return done


    def forget_gone_consumers(self, idle_ms: int = GONE_CONSUMER_IDLE_MS) -> list[str]:
        """Remove the group's consumers idle over ``idle_ms`` with nothing pending (their
        pending messages were reclaimed already); returns their names."""
        self.ensure_group()
        gone = []
        for info in self.client.xinfo_consumers(self.key, GROUP):
            name = _text(info["name"])
            if name != self.consumer and not info["pending"] and info["idle"] >= idle_ms:
                self.client.xgroup_delconsumer(self.key, GROUP, name)
                gone.append(name)
        return gone


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

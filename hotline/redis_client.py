"""Redis clients from the configured URL: one Redis, or a primary found through Sentinel.

``redis://`` and ``rediss://`` name one server (redis-py's own URL). A
``redis+sentinel://`` URL names the sentinels and the primary's service name instead:

    redis+sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT...]/SERVICE[/DB][?sentinel_password=P]

The client asks the sentinels for the current primary on every new connection and
drops its connections when the primary turns into a replica (READONLY), so after a
failover the next command reaches the promoted primary without a restart. PASSWORD is
the data nodes'; ``sentinel_password`` the sentinels' own, if they have one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

import redis
import redis.asyncio
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel

SCHEME = "redis+sentinel://"
SENTINEL_TIMEOUT_S = 2.0  # a sentinel that does not answer is skipped for the next


class RedisUrlError(ValueError):
    """The Redis URL cannot be used."""


@dataclass(frozen=True)
class SentinelTarget:
    """Where the sentinels are and which primary they watch."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    password: str | None = None
    sentinel_password: str | None = None


def sentinel_target(url: str) -> SentinelTarget | None:
    """The sentinels a ``redis+sentinel://`` URL names; None for a plain Redis URL."""
    if not url.startswith(SCHEME):
        return None
    rest, _, query = url[len(SCHEME):].partition("?")
    netloc, _, path = rest.partition("/")
    password = None
    if "@" in netloc:
        auth, _, netloc = netloc.rpartition("@")
        password = unquote(auth.partition(":")[2]) or None
    sentinels = tuple(_host_port(part) for part in netloc.split(",") if part)
    parts = [p for p in path.split("/") if p]
    if not sentinels or not parts or len(parts) > 2:
        raise RedisUrlError(f"expected {SCHEME}HOST:PORT[,HOST:PORT]/SERVICE[/DB]")
    try:
        db = int(parts[1]) if len(parts) == 2 else 0
    except ValueError as exc:
        raise RedisUrlError(f"database {parts[1]!r} is not a number") from exc
    options = parse_qs(query)
    sentinel_password = options.get("sentinel_password", [None])[0]
    return SentinelTarget(sentinels, unquote(parts[0]), db, password, sentinel_password)


def _host_port(part: str) -> tuple[str, int]:
    host, _, port = part.rpartition(":")
    if not host or not port.isdigit():
        raise RedisUrlError(f"sentinel {part!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def _sentinel_kwargs(target: SentinelTarget) -> dict[str, Any]:
    found: dict[str, Any] = {"socket_timeout": SENTINEL_TIMEOUT_S}
    if target.sentinel_password:
        found["password"] = target.sentinel_password
    return found


def async_client(url: str, **options: Any) -> redis.asyncio.Redis:
    """An asyncio client for ``url``; ``options`` as for redis-py (pool size, decoding)."""
    target = sentinel_target(url)
    if target is None:
        return redis.asyncio.Redis.from_url(url, **options)
    sentinel = AsyncSentinel(list(target.sentinels), sentinel_kwargs=_sentinel_kwargs(target))
    return sentinel.master_for(target.service, redis_class=redis.asyncio.Redis,
                               db=target.db, password=target.password, **options)


def sync_client(url: str, **options: Any) -> redis.Redis:
    """A blocking client for ``url`` (worker threads, command-line tools)."""
    target = sentinel_target(url)
    if target is None:
        return redis.Redis.from_url(url, **options)
    sentinel = Sentinel(list(target.sentinels), sentinel_kwargs=_sentinel_kwargs(target))
    return sentinel.master_for(target.service, redis_class=redis.Redis, db=target.db,
                               password=target.password, **options)

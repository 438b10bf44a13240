"""Carry live state over from the key names of releases before the hash tag.

Keys were ``hotline:main:…`` and are ``{hotline:main}:…`` now (one Redis Cluster slot
per instance). A hotline upgraded in place would otherwise start with every seat logged
out and paused seats forgotten, so at start each old key is renamed to its new name,
unless the new one exists already (another process got there first). A completed pass
leaves a mark, so later starts do not scan the whole keyspace again.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

log = logging.getLogger(__name__)


def untagged(prefix: str) -> str | None:
    """The old name of a prefix the hotline tagged itself; None for an operator's own tag."""
    if prefix.startswith("{") and prefix.endswith("}") and prefix.count("{") == 1:
        return prefix[1:-1]
    return None


async def adopt_untagged_keys(redis: Redis, prefix: str) -> int:
    """Rename ``<old>:*`` to ``<prefix>:*``; returns how many keys moved."""
    old = untagged(prefix)
    done = f"{prefix}:old-key-names-adopted"
    if old is None or await redis.exists(done):
        return 0
    moved = 0
    pattern = old.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?") \
        .replace("[", "\\[") + ":*"
    async for key in redis.scan_iter(match=pattern, count=1000):
        name = key.decode() if isinstance(key, bytes) else key
        if await redis.renamenx(name, prefix + name[len(old):]):
            moved += 1
    await redis.set(done, "1")
    if moved:
        log.info("renamed %d Redis keys from %s:… to %s:…", moved, old, prefix)
    return moved

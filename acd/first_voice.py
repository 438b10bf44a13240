"""Time to the first human voice for elderly terminal calls: the centre's key figure.

A terminal's caller first hears a person when a seat answers, or, on the emergency
path, when a family member or an agent joins their room. The first of these per call
is kept (one Redis list a day, Shanghai date, bounded, eight days), with who it was.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from case_store.workdays import SHANGHAI

log = logging.getLogger(__name__)

KEEP_S = 8 * 86400
MAX_PER_DAY = 10000


def day_of(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, SHANGHAI).date().isoformat()


class FirstVoice:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def heard(self, call: str, terminal: str, arrived_at: float, via: str,
                    at: float | None = None) -> None:
        """`via` (seat, contact, agent) spoke to the caller of CALL; only the first counts."""
        at = time.time() if at is None else at
        try:
            if not await self.redis.set(f"{self.prefix}:first-voice:call:{call}", via, nx=True,
                                        ex=86400):
                return
            key = f"{self.prefix}:first-voice:{day_of(arrived_at)}"
            record = {"call": call, "terminal": terminal, "via": via,
                      "waited_s": round(max(0.0, at - arrived_at), 2), "at": at}
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, json.dumps(record))
                pipe.ltrim(key, -MAX_PER_DAY, -1)
                pipe.expire(key, KEEP_S)
                await pipe.execute()
        except RedisError as exc:  # a figure, not the call: log and go on
            log.warning("first voice of call %s not recorded (%s)", call, exc)

    async def of_day(self, day: str) -> list[dict[str, Any]]:
        raw = await self.redis.lrange(f"{self.prefix}:first-voice:{day}", 0, -1)
        return [json.loads(item) for item in raw]

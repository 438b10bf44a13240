"""Emergency alarms on the wallboard: raised when an elderly caller's emergency starts,
sounding until a supervisor acknowledges them.

One Redis hash ``<prefix>:alarms`` (room -> the alarm), bounded, and a publish on
``<prefix>:alarms`` so every open wallboard redraws at once. With Redis away an alarm
is logged and not shown; the emergency itself goes on (contacts, case, room).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

MAX_ALARMS = 200  # open alarms kept; past this the oldest acknowledged-or-not go


class EmergencyAlarms:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.key = f"{prefix}:alarms"

    async def raise_alarm(self, room: str, terminal: str, name: str) -> None:
        alarm = {"room": room, "terminal": terminal, "name": name, "raised_at": time.time()}
        await self._write(room, alarm)

    async def clear(self, room: str, why: str) -> bool:
        """Acknowledged by a supervisor, or called off (the caller said no)."""
        try:
            gone = await self.redis.hdel(self.key, room)
            await self.redis.publish(self.key, json.dumps({"room": room, "cleared": why}))
        except RedisError as exc:
            log.warning("alarm %s not cleared (%s)", room, exc)
            return False
        if gone:
            log.warning("alarm %s cleared: %s", room, why)
        return bool(gone)

    async def open(self) -> list[dict[str, Any]]:
        try:
            raw = await self.redis.hgetall(self.key)
        except RedisError as exc:
            log.warning("alarms not read (%s)", exc)
            return []
        alarms = [json.loads(v) for v in raw.values()]
        return sorted(alarms, key=lambda a: a.get("raised_at", 0))

    async def _write(self, room: str, alarm: dict[str, Any]) -> None:
        try:
            await self.redis.hset(self.key, room, json.dumps(alarm, ensure_ascii=False))
            if await self.redis.hlen(self.key) > MAX_ALARMS:
                oldest = (await self.open())[0]["room"]
                await self.redis.hdel(self.key, oldest)
            await self.redis.publish(self.key, json.dumps({"room": room, "raised": True}))
        except RedisError as exc:
            log.error("EMERGENCY alarm %s not shown on the wallboard (%s)", room, exc)

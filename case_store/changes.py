"""Case changes announced on ``<prefix>:cases``, so wallboards refresh their counters.

A notice is a convenience: with Redis gone the case is still written, only the
wallboard waits for its next refresh.
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)


class CaseChanges:
    def __init__(self, redis: Any, prefix: str) -> None:
        self.redis = redis  # redis.asyncio.Redis, or None: nothing is announced
        self.channel = f"{prefix}:cases"

    async def publish(self, notice: dict[str, Any]) -> None:
        if self.redis is None:
            return
        try:
            await self.redis.publish(self.channel, json.dumps(notice, ensure_ascii=False))
        except Exception:  # Redis restarting: the change is in SQL already
            log.warning("case change %s not announced", notice.get("case"), exc_info=True)

    async def changed(self, number: str, action: str) -> None:
        await self.publish({"case": number, "action": action})

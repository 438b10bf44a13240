"""A per-address hourly limit for public forms: the report form and the progress lookup
are open to anyone, so each address gets so many tries an hour (a Redis counter)."""

from __future__ import annotations

import time

from hotline.web.context import WebContext


async def over_hourly_limit(c: WebContext, form: str, who: str, limit: int) -> bool:
    """Count this try; True once ``who`` has made more than ``limit`` this hour."""
    key = c.key("web", f"{form}-rate", who, str(int(time.time() // 3600)))
    count = await c.redis.incr(key)
    await c.redis.expire(key, 3700)
    return count > limit

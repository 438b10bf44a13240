"""An upgraded hotline finds its seats' state under the old key names and keeps it."""

import uuid

import pytest
from redis.asyncio import Redis

from hotline.redis_keys import adopt_untagged_keys, untagged

pytestmark = pytest.mark.integration


async def test_old_key_names_are_renamed_once_and_newer_state_is_never_overwritten():
    redis = Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)
    old = f"hotline:upgrade{uuid.uuid4().hex[:6]}"
    new = "{" + old + "}"
    try:
        await redis.hset(f"{old}:seat:8001", mapping={"logged_in": "1", "paused_reason": "3"})
        await redis.zadd(f"{old}:line", {"cb-1": 100.0})
        await redis.set(f"{old}:epoch", "old")
        await redis.set(f"{new}:epoch", "new")  # another process wrote it since
        await redis.set(f"{old}x:seat:8001", "another instance")  # a longer name: not ours

        assert await adopt_untagged_keys(redis, new) == 2
        assert await redis.hgetall(f"{new}:seat:8001") == {"logged_in": "1",
                                                           "paused_reason": "3"}
        assert await redis.zscore(f"{new}:line", "cb-1") == 100.0
        assert await redis.get(f"{new}:epoch") == "new"
        assert await redis.get(f"{old}x:seat:8001") == "another instance"
        assert await adopt_untagged_keys(redis, new) == 0  # nothing left to carry
        assert untagged("{city}:acd") is None  # an operator's own tag is not ours to undo
    finally:
        for pattern in (f"{old}*", f"{new}*"):
            async for key in redis.scan_iter(match=pattern.replace("{", "\\{")):
                await redis.delete(key)
        await redis.aclose()

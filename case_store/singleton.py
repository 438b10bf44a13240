"""Jobs exactly one process runs at a time, by a lease in Redis (the leader's lock).

The SLA sweep, the outbox relay and the follow-up dialler must not run twice at once
with several `hotline run` processes. Each asks `held()` before a round: it takes the
lock when it is free, renews it when it is already its own, and is told no otherwise.
A holder that dies simply stops renewing; within `lease_s` another process takes over.
One Lua script, with a wrapper for sync (case workers' thread) and async (event loop)
Redis clients.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

# KEYS: lock. ARGV: me, lease ms. 1 = held by me (taken or renewed), 0 = someone else's.
_HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


BOOT_ID = uuid.uuid4().hex[:8]


def process_owner() -> str:
    """This process, as a lease owner: a pid reused after a restart is a different owner."""
    return f"{socket.gethostname()}:{os.getpid()}:{BOOT_ID}"


class _Lease:
    def __init__(self, client, prefix: str, job: str, lease_s: float = 10.0) -> None:
        self.key = f"{prefix}:singleton:{job}"
        self.owner = f"{process_owner()}:{uuid.uuid4().hex[:6]}"  # one lock, one holder
        self.lease_ms = int(lease_s * 1000)
        self._hold = client.register_script(_HOLD)


class SingletonLock(_Lease):
    """For a sync redis-py client."""

    def held(self) -> bool:
        return self._hold(keys=[self.key], args=[self.owner, self.lease_ms]) == 1


class AsyncSingletonLock(_Lease):
    """For a redis.asyncio client."""

    async def held(self) -> bool:
        return await self._hold(keys=[self.key], args=[self.owner, self.lease_ms]) == 1


async def run_while_held(lock: AsyncSingletonLock | None, one_pass: Callable[[], Awaitable[object]],
                         interval_s: float, pass_deadline_s: float, what: str) -> None:
    """Run `one_pass` every `interval_s` while this process holds `lock` (None: always).

    A pass is bounded by `pass_deadline_s`, so one stuck on a call that never returns
    does not stop the job for good; a pass that fails (the database or Redis away) is
    logged and the next round tries again. Ends only by cancellation.
    """
    while True:
        try:
            if lock is None or await lock.held():
                await asyncio.wait_for(one_pass(), pass_deadline_s)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: pass failed; the next one tries again", what)
        await asyncio.sleep(interval_s)

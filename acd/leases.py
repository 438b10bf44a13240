"""Leases: nothing in the ACD is held without an owner and an expiry.

A live caller's entry, a callback being placed and a seat held for a desk transfer each
carry a lease: `<prefix>:leases` scores the holder id by its expiry, `<prefix>:lease-owner`
names the process (host, pid and a boot id, so a restarted pid is a new owner) and
`<prefix>:lease-seat` the seat it holds, if any. The owner renews what it holds on a
heartbeat; when a process dies its leases run out, and any process's reaper takes them
back atomically (Lua): the seat is freed, a dead caller's entry leaves the line, and an
in-flight callback is handed to the reaper, who adopts it (its channel is still up) or
puts it back in line with its original arrival.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from redis.asyncio import Redis

from case_store.singleton import process_owner


@dataclass(frozen=True)
class Reaped:
    """A lease that ran out, as the reaper found it."""

    holder: str  # an entry id, or a desk transfer's token
    kind: str  # "live" | "callback" | "emergency" | "" (no entry: a seat reservation only)
    state: str  # the entry's state when reaped
    seat: str
    owner: str  # the process that let it lapse


# KEYS: leases zset, owner hash, seat hash-of-leases, line zset, assignment log.
# ARGV: now, prefix, me, lease_s, limit. Each expired holder, one reaper only:
#  - a live caller: out of the line, its seat reservation freed, the lease dropped;
#  - a callback (or an emergency's seat call) offered: the lease moves to the reaper;
#  - anything else: its seat reservation freed, the lease dropped.
_REAP = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[5]))
local out = {}
for _, id in ipairs(ids) do
  local ek = ARGV[2] .. ':entry:' .. id
  local e = redis.call('HMGET', ek, 'kind', 'state', 'seat')
  local kind, state = e[1] or '', e[2] or ''
  local seat = redis.call('HGET', KEYS[3], id) or e[3] or ''
  local owner = redis.call('HGET', KEYS[2], id) or ''
  if (kind == 'callback' or kind == 'emergency') and state == 'offered' then
    redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[4]), id)
    redis.call('HSET', KEYS[2], id, ARGV[3])
  else
    if seat ~= '' then
      local sk = ARGV[2] .. ':seat:' .. seat
      if redis.call('HGET', sk, 'reserved_for') == id then
        redis.call('HSET', sk, 'reserved_for', '')
        redis.call('RPUSH', KEYS[5], 'release ' .. seat .. ' ' .. id .. ' ' .. ARGV[1])
      end
    end
    if kind == 'live' and (state == 'waiting' or state == 'offered') then
      redis.call('ZREM', KEYS[4], id)
      redis.call('HSET', ek, 'state', 'reaped')
    end
    redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
  end
  table.insert(out, id .. '|' .. kind .. '|' .. state .. '|' .. seat .. '|' .. owner)
end
return out
"""

# KEYS: leases zset, owner hash. ARGV: me, expiry, ids... Renews only what `me` still owns.
_RENEW = """
local n = 0
for i = 3, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[i])
    n = n + 1
  end
end
return n
"""


class Leases:
    """The lease book of one hotline instance, as one process sees it."""

    def __init__(self, redis: Redis, prefix: str, lease_s: float,
                 owner: str | None = None) -> None:
        self.redis = redis
        self.prefix = prefix
        self.lease_s = lease_s
        self.owner = owner or process_owner()
        self.key = f"{prefix}:leases"
        self.owner_key = f"{prefix}:lease-owner"
        self.seat_key = f"{prefix}:lease-seat"
        self.held: set[str] = set()  # live callers' entries this process's sessions hold
        self._reap = redis.register_script(_REAP)
        self._renew = redis.register_script(_RENEW)

    async def take(self, holder: str, seat: str = "") -> None:
        """Own `holder` from now on (a new lease, or one taken over)."""
        self.held.add(holder)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self.key, {holder: time.time() + self.lease_s})
            pipe.hset(self.owner_key, holder, self.owner)
            if seat:
                pipe.hset(self.seat_key, holder, seat)
            else:
                pipe.hdel(self.seat_key, holder)
            await pipe.execute()

    async def drop(self, holder: str) -> None:
        """The holder is settled: nothing left to reap."""
        self.held.discard(holder)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.key, holder)
            pipe.hdel(self.owner_key, holder)
            pipe.hdel(self.seat_key, holder)
            await pipe.execute()

    async def renew(self, also: Iterable[str] = ()) -> int:
        """Push out the expiry of what this process holds: `held` plus `also` (what is
        in progress right now, e.g. the callbacks being placed: a placement that failed
        half-way is no longer in progress, so its lease runs out and it is reaped)."""
        ids = sorted(self.held.union(also))
        if not ids:
            return 0
        return int(await self._renew(keys=[self.key, self.owner_key],
                                     args=[self.owner, time.time() + self.lease_s, *ids]))

    async def reap(self, limit: int = 100) -> list[Reaped]:
        """Take back every lease that ran out (each goes to exactly one reaper)."""
        rows = await self._reap(
            keys=[self.key, self.owner_key, self.seat_key, f"{self.prefix}:line",
                  f"{self.prefix}:assign-log"],
            args=[time.time(), self.prefix, self.owner, self.lease_s, limit])
        reaped = [Reaped(*str(row).split("|", 4)) for row in rows]
        # A callback's lease now names this process for one more lease_s, not renewed
        # unless adopted: if deciding its fate fails here, anyone reaps it anew.
        self.held.difference_update(r.holder for r in reaped)
        return reaped

    async def owners(self, holders: Iterable[str]) -> dict[str, str]:
        ids = list(holders)
        if not ids:
            return {}
        values = await self.redis.hmget(self.owner_key, ids)
        return {h: v for h, v in zip(ids, values, strict=True) if v}

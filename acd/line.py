"""The waiting line in Redis: live callers and callbacks, in one order, claimed atomically.

`<prefix>:line` is a sorted set of entry ids scored by rank (see `rank`); each entry's
facts live in `<prefix>:entry:<id>`. A dispatcher claims (entry, seat) with one Lua
script that checks both sides and changes both, so with any number of ACD processes
no seat gets two calls and no call gets two seats. The waiting caller's session learns
its seat from `<prefix>:offer:<id>` (a list it blocks on), wherever it runs.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field, replace

from redis.asyncio import Redis

from acd.leases import Leases

ELDERLY_BOOST_S = 1e9  # strict: an elderly terminal never waits behind anyone
URGENT_BOOST_S = 120.0  # repeat caller with an open urgent case: two minutes ahead
PRIORITY_BOOST = {0: ELDERLY_BOOST_S, 1: URGENT_BOOST_S, 2: 0.0}


@dataclass(frozen=True)
class Entry:
    """One caller waiting for a seat: a live call, or a callback owed to a citizen."""

    id: str
    kind: str  # "live" | "callback" | "emergency" (an agent wanted in an emergency room)
    caller: str
    arrived_at: float  # original arrival: a callback keeps the caller's
    priority: int = 2  # 0 elderly terminal, 1 repeat caller with urgent open case, 2 normal
    origin: str = "trunk"
    caller_name: str = ""
    uniqueid: str = ""
    due_at: float = 0.0  # callbacks: the 5-minute promise
    not_before: float = 0.0  # callbacks: retry backoff
    attempts: int = 0
    topic: str = ""
    preferred_seat: str = ""
    case_number: str = ""
    callback_number: str = ""
    transcript: str = ""
    tried: str = ""  # seats that rang for this caller and did not answer, comma-separated
    number_check: str = ""  # callbacks: why an agent confirms the number before any dialling
    ring_until: float = 0.0  # live: a seat must answer by then (the IVR answers); 0 = none
    tags: dict = field(default_factory=dict)

    @property
    def tried_seats(self) -> frozenset[str]:
        return frozenset(s for s in self.tried.split(",") if s)

    def to_hash(self) -> dict[str, str]:
        data = asdict(self)
        data["tags"] = json.dumps(self.tags, ensure_ascii=False)
        return {k: str(v) for k, v in data.items()}

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> Entry:
        kinds = {f: t for f, t in cls.__annotations__.items()}
        values: dict = {}
        for name, kind in kinds.items():
            if name not in raw:
                continue
            value = raw[name]
            if kind == "float":
                values[name] = float(value or 0)
            elif kind == "int":
                values[name] = int(float(value or 0))
            elif kind == "dict":
                values[name] = json.loads(value or "{}")
            else:
                values[name] = value
        return cls(**values)


def new_entry_id(kind: str) -> str:
    return f"{kind[:2]}-{uuid.uuid4().hex[:16]}"


def rank(entry: Entry) -> float:
    """Lower goes first: arrival time, pulled forward by priority (aging keeps order fair)."""
    return entry.arrived_at - PRIORITY_BOOST.get(entry.priority, 0.0)


# The claim script's test of a seat (SeatFacts' can_take_call, in Lua): logged in, not
# paused, reserved, busy or in wrap-up, and settled after its last call.
_CAN_RING = """
local function can_ring(seat_key, now)
  local s = redis.call('HMGET', seat_key, 'logged_in', 'paused_reason', 'reserved_for',
                       'device_state', 'wrapup_until', 'settle_until', 'device_free_at',
                       'last_assigned')
  if s[1] == '0' then return false end
  if s[2] and s[2] ~= '' then return false end
  if s[3] and s[3] ~= '' then return false end
  if s[4] ~= 'NOT_INUSE' then return false end
  if tonumber(s[5] or '0') > now then return false end
  if tonumber(s[6] or '0') > now and tonumber(s[7] or '0') <= tonumber(s[8] or '0') then
    return false
  end
  return true
end
local function take(seat_key, entry_key, line_key, log_key, entry_id, seat, now)
  redis.call('ZREM', line_key, entry_id)
  redis.call('HSET', entry_key, 'state', 'offered', 'seat', seat, 'offered_at', now)
  redis.call('HSET', seat_key, 'reserved_for', entry_id, 'last_assigned', now)
  redis.call('RPUSH', log_key, 'claim ' .. seat .. ' ' .. entry_id .. ' ' .. now)
  redis.call('LTRIM', log_key, -100000, -1)
end
"""

# KEYS: seat hash, entry hash, line zset, assignment log, leases zset, lease owners.
# ARGV: entry id, seat, now, claimer, lease expiry. A claimed callback (or emergency seat
# call) is leased to the claimer in the same step, so no crash can leave it offered with
# nobody owning it.
_CLAIM = _CAN_RING + """
if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
if redis.call('HGET', KEYS[2], 'state') ~= 'waiting' then return 0 end
if not can_ring(KEYS[1], tonumber(ARGV[3])) then return 0 end
take(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3])
local kind = redis.call('HGET', KEYS[2], 'kind')
if kind == 'callback' or kind == 'emergency' then
  redis.call('ZADD', KEYS[5], ARGV[5], ARGV[1])
  redis.call('HSET', KEYS[6], ARGV[1], ARGV[4])
end
return 1
"""

# The fast path: a live caller joins the line and, when nobody ahead of it would be
# served first, takes the first candidate seat that can ring, in one step.
# KEYS: entry hash, line zset, assignment log, leases zset, lease owners, lease seats,
# offer list, then the candidate seats' hashes. ARGV: entry id, rank, now, owner, lease
# expiry, callbacks' due lead, entry key prefix, wake channel, number of candidates, their
# seat names, then the entry's fields as name, value pairs. Returns the seat taken or "".
_JOIN = _CAN_RING + """
local id, score, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local n = tonumber(ARGV[9])
local fields = {}
for i = 10 + n, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('HSET', KEYS[1], 'state', 'waiting')
redis.call('EXPIRE', KEYS[1], 86400)
redis.call('ZADD', KEYS[4], ARGV[5], id)
redis.call('HSET', KEYS[5], id, ARGV[4])
redis.call('HDEL', KEYS[6], id)
redis.call('ZADD', KEYS[2], score, id)
local function wake() redis.call('PUBLISH', ARGV[8], id) return '' end
local ahead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[2], 'LIMIT', 0, 33)
if #ahead > 32 then return wake() end
for _, other in ipairs(ahead) do
  local o = redis.call('HMGET', ARGV[7] .. other, 'kind', 'due_at', 'not_before')
  if o[1] ~= 'callback' then return wake() end
  if tonumber(o[3] or '0') <= now and tonumber(o[2] or '0') - tonumber(ARGV[6]) <= now then
    return wake()
  end
end
for i = 1, n do
  local seat_key, seat = KEYS[7 + i], ARGV[9 + i]
  if can_ring(seat_key, now) then
    take(seat_key, KEYS[1], KEYS[2], KEYS[3], id, seat, ARGV[3])
    redis.call('RPUSH', KEYS[7], seat)
    redis.call('EXPIRE', KEYS[7], 600)
    return seat
  end
end
return wake()
"""

# KEYS: entry hash, line zset. ARGV: entry id, settled TTL.
# Returns "" (withdrawn) or the seat offered.
_WITHDRAW = """
redis.call('EXPIRE', KEYS[1], ARGV[2])
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'state', 'withdrawn')
  return ''
end
local state = redis.call('HGET', KEYS[1], 'state')
redis.call('HSET', KEYS[1], 'state', 'withdrawn')
if state == 'offered' then return redis.call('HGET', KEYS[1], 'seat') end
return ''
"""

# KEYS: entry hash, line zset. ARGV: entry id, score, not_before, attempts, tried
_REQUEUE = """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'offered' and state ~= 'waiting' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'waiting', 'seat', '', 'not_before', ARGV[3],
           'attempts', ARGV[4], 'tried', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""


class WaitingLine:
    """Entries in rank order, with atomic claim, requeue and withdraw."""

    def __init__(self, redis: Redis, prefix: str, settled_ttl_s: float = 900) -> None:
        self.redis = redis
        self.prefix = prefix
        self.settled_ttl_s = max(1, int(settled_ttl_s))  # EXPIRE takes whole seconds
        self.line_key = f"{prefix}:line"
        self.assign_log_key = f"{prefix}:assign-log"  # audit: every claim and release, in order
        self.wake_channel = f"{prefix}:acd-wake"
        self._claim = redis.register_script(_CLAIM)
        self._join = redis.register_script(_JOIN)
        self._withdraw = redis.register_script(_WITHDRAW)
        self._requeue = redis.register_script(_REQUEUE)

    def entry_key(self, entry_id: str) -> str:
        return f"{self.prefix}:entry:{entry_id}"

    def offer_key(self, entry_id: str) -> str:
        return f"{self.prefix}:offer:{entry_id}"

    async def add(self, entry: Entry) -> None:
        """Put an entry in line (idempotent by id) and wake the dispatchers."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.entry_key(entry.id), mapping={**entry.to_hash(), "state": "waiting"})
            pipe.expire(self.entry_key(entry.id), 86400)
            pipe.zadd(self.line_key, {entry.id: rank(entry)})
            await pipe.execute()
        await self.redis.publish(self.wake_channel, entry.id)

    async def join(self, entry: Entry, seat_keys: list[tuple[str, str]], leases: Leases,
                   due_lead_s: float) -> str:
        """Add a live caller, leased to `leases`' owner, and take the first of
        `seat_keys` ((hash key, seat), best first) that can ring when nobody ahead of it
        would be served first: its seat is offered at once. "" when it waits in line."""
        now = time.time()
        leases.held.add(entry.id)
        fields = [x for pair in entry.to_hash().items() for x in pair]
        seat = await self._join(
            keys=[self.entry_key(entry.id), self.line_key, self.assign_log_key, leases.key,
                  leases.owner_key, leases.seat_key, self.offer_key(entry.id),
                  *(key for key, _ in seat_keys)],
            args=[entry.id, rank(entry), now, leases.owner, now + leases.lease_s, due_lead_s,
                  self.entry_key(""), self.wake_channel, len(seat_keys),
                  *(seat for _, seat in seat_keys), *fields])
        return seat or ""

    async def get(self, entry_id: str) -> Entry | None:
        raw = await self.redis.hgetall(self.entry_key(entry_id))
        return Entry.from_hash(raw) if raw else None

    async def state(self, entry_id: str) -> str:
        return await self.redis.hget(self.entry_key(entry_id), "state") or ""

    async def waiting(self, limit: int = 200) -> list[Entry]:
        """The head of the line, in rank order."""
        ids = await self.redis.zrange(self.line_key, 0, limit - 1)
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry_id in ids:
                pipe.hgetall(self.entry_key(entry_id))
            rows = await pipe.execute()
        return [Entry.from_hash(raw) for raw in rows if raw]

    async def size(self) -> int:
        return await self.redis.zcard(self.line_key)

    async def claim(self, entry_id: str, seat_key: str, seat: str, leases: Leases) -> bool:
        """Entry and seat taken together; a callback is leased to `leases`' owner."""
        now = time.time()
        result = await self._claim(
            keys=[seat_key, self.entry_key(entry_id), self.line_key, self.assign_log_key,
                  leases.key, leases.owner_key],
            args=[entry_id, seat, now, leases.owner, now + leases.lease_s])
        return result == 1

    async def notify_offer(self, entry_id: str, seat: str) -> None:
        """Tell the waiting session (in any process) which seat to ring."""
        key = self.offer_key(entry_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, seat)
            pipe.expire(key, 600)
            await pipe.execute()

    async def take_offer(self, entry_id: str) -> str | None:
        """The seat already offered to this entry (the fast path's), without waiting."""
        return await self.redis.lpop(self.offer_key(entry_id))

    async def wait_offer(self, entry_id: str, timeout: float) -> str | None:
        """Block until a seat is offered to this entry or the timeout passes."""
        if timeout <= 0:
            return None
        reply = await self.redis.blpop([self.offer_key(entry_id)], timeout=timeout)
        return reply[1] if reply else None

    async def requeue(self, entry: Entry, not_before: float = 0.0,
                      attempts: int | None = None) -> bool:
        """Back in line with its original rank (a missed seat does not cost the caller)."""
        result = await self._requeue(
            keys=[self.entry_key(entry.id), self.line_key],
            args=[entry.id, rank(entry), not_before,
                  entry.attempts if attempts is None else attempts, entry.tried])
        await self.redis.publish(self.wake_channel, entry.id)
        return result == 1

    async def withdraw(self, entry_id: str) -> str:
        """Take an entry out; returns the seat it was offered to meanwhile, or ''."""
        return await self._withdraw(keys=[self.entry_key(entry_id), self.line_key],
                                    args=[entry_id, self.settled_ttl_s]) or ""

    async def rerank(self, entry: Entry) -> bool:
        """New arrival time or priority for an entry still waiting (ZADD XX: never re-adds
        one that a seat has taken meanwhile)."""
        changed = await self.redis.zadd(self.line_key, {entry.id: rank(entry)}, xx=True, ch=True)
        if await self.state(entry.id) == "waiting":
            await self.redis.hset(self.entry_key(entry.id),
                                  mapping={"arrived_at": str(entry.arrived_at),
                                           "priority": str(entry.priority)})
        await self.redis.publish(self.wake_channel, entry.id)
        return bool(changed)

    async def finish(self, entry_id: str, state: str = "done") -> None:
        """Settled: readable for a while (late events, the reaper), then gone."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.entry_key(entry_id), "state", state)
            pipe.expire(self.entry_key(entry_id), self.settled_ttl_s)
            await pipe.execute()

    async def move_up(self, entry_id: str) -> bool:
        """Supervisor action: put an entry at the head of its priority class."""
        entry = await self.get(entry_id)
        head = await self.redis.zrange(self.line_key, 0, 0, withscores=True)
        if entry is None or not head or await self.state(entry_id) != "waiting":
            return False
        await self.redis.zadd(self.line_key, {entry_id: head[0][1] - 1.0})
        await self.redis.publish(self.wake_channel, entry_id)
        return True


def with_attempt(entry: Entry, not_before: float) -> Entry:
    return replace(entry, attempts=entry.attempts + 1, not_before=not_before)

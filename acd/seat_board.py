"""The shared truth about seats, in Redis, so every ACD process sees the same board.

One hash per seat (`<prefix>:seat:<seat>`) holds its facts (see SeatFacts). Changes
that must not race (releasing a reservation, counting a missed ring) are Lua scripts;
the derived state and its `state_since` are written after each change for display,
and every change is published on `<prefix>:seat-events` and wakes the dispatchers.
"""

from __future__ import annotations

import json
import time

from redis.asyncio import Redis

from acd.seat_state import SeatFacts, SeatState, derive

# KEYS: seat hash, assignment log. ARGV: entry, now, answered(0/1), wrapup_s, missed(0/1),
# pause_after, seat, settle_until (0: leave it)
_RELEASE = """
if redis.call('HGET', KEYS[1], 'reserved_for') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'reserved_for', '')
redis.call('RPUSH', KEYS[2], 'release ' .. ARGV[7] .. ' ' .. ARGV[1] .. ' ' .. ARGV[2])
local now = tonumber(ARGV[2])
if ARGV[8] ~= '0' then redis.call('HSET', KEYS[1], 'settle_until', ARGV[8]) end
if ARGV[3] == '1' then
  local until_ = now + tonumber(ARGV[4])
  redis.call('HINCRBY', KEYS[1], 'calls', 1)
  redis.call('HSET', KEYS[1], 'missed', 0, 'wrapup_until', until_, 'idle_since', until_,
             'call_ended_at', now)
elseif ARGV[5] == '1' then
  local missed = redis.call('HINCRBY', KEYS[1], 'missed', 1)
  if missed >= tonumber(ARGV[6]) then
    redis.call('HSET', KEYS[1], 'paused_reason', 'missed')
    return 2
  end
end
return 1
"""

# KEYS: seat hash. ARGV: holder, now. "ok", or why the seat cannot take a call now (the
# claim script's conditions, told apart for the agent who asked).
_RESERVE = """
local s = redis.call('HMGET', KEYS[1], 'logged_in', 'paused_reason', 'reserved_for',
                     'device_state', 'wrapup_until', 'settle_until', 'device_free_at',
                     'last_assigned')
if s[1] == '0' then return 'logged_out' end
if s[2] and s[2] ~= '' then return 'paused' end
if s[3] and s[3] ~= '' then return 'ringing' end
if s[4] ~= 'NOT_INUSE' then return s[4] or 'UNAVAILABLE' end
if tonumber(s[5] or '0') > tonumber(ARGV[2]) then return 'wrapup' end
if tonumber(s[6] or '0') > tonumber(ARGV[2])
   and tonumber(s[7] or '0') <= tonumber(s[8] or '0') then return 'settling' end
redis.call('HSET', KEYS[1], 'reserved_for', ARGV[1])
return 'ok'
"""

# KEYS: seat hash. ARGV: field, value, ... Sets the fields and returns logged_in and
# paused_reason as they were, in one step: when several processes apply the same
# feature code, only the one that changed the seat sees a change (and journals it).
_SWAP = """
local before = redis.call('HMGET', KEYS[1], 'logged_in', 'paused_reason')
redis.call('HSET', KEYS[1], unpack(ARGV))
return {before[1] or '1', before[2] or ''}
"""


class SeatBoard:
    """Seat facts and states for all seats of this hotline instance."""

    def __init__(self, redis: Redis, prefix: str, seats: list[str],
                 settle_s: float = 2.0, not_ready_s: float = 0.5) -> None:
        self.redis = redis
        self.settle_s = settle_s  # after a call: wait at most this for Asterisk's NOT_INUSE
        self.not_ready_s = not_ready_s  # a phone not ready yet is tried again after this
        self.prefix = prefix
        self.seats = list(seats)
        self.events_channel = f"{prefix}:seat-events"
        self.wake_channel = f"{prefix}:acd-wake"
        self._release = redis.register_script(_RELEASE)
        self._reserve = redis.register_script(_RESERVE)
        self._swap = redis.register_script(_SWAP)

    def key(self, seat: str) -> str:
        return f"{self.prefix}:seat:{seat}"

    async def facts(self, seat: str) -> SeatFacts:
        return SeatFacts.from_hash(seat, await self.redis.hgetall(self.key(seat)))

    async def snapshot(self) -> list[SeatFacts]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for seat in self.seats:
                pipe.hgetall(self.key(seat))
            rows = await pipe.execute()
        return [SeatFacts.from_hash(seat, raw) for seat, raw in zip(self.seats, rows, strict=True)]

    async def update(self, seat: str, **fields: str | float | int) -> SeatState:
        """Set facts, then refresh the derived state; returns the new state."""
        if fields:
            await self.redis.hset(self.key(seat), mapping={k: str(v) for k, v in fields.items()})
        return await self.refresh(seat)

    async def swap(self, seat: str, **fields: str) -> tuple[bool, str]:
        """Set facts (no refresh); returns (logged in, pause reason) as they were before.
        A seat never written counts as logged in, as SeatFacts reads it."""
        flat = [str(x) for pair in fields.items() for x in pair]
        was_in, reason = await self._swap(keys=[self.key(seat)], args=flat)
        return was_in == "1", reason or ""

    async def record_device(self, seat: str, device_state: str) -> SeatState:
        facts = await self.facts(seat)
        fields: dict[str, str | float] = {"device_state": device_state.upper()}
        if device_state.upper() == "NOT_INUSE" and facts.device_state != "NOT_INUSE":
            fields["idle_since"] = max(time.time(), facts.wrapup_until)
            fields["device_free_at"] = time.time()
        return await self.update(seat, **fields)

    async def reserve(self, seat: str, holder: str) -> str:
        """Hold a free seat for `holder` (e.g. a desk transfer) so no dispatcher claims it;
        `release(seat, holder)` lets it go. Returns "ok" or why the seat is not free."""
        verdict = str(await self._reserve(keys=[self.key(seat)], args=[holder, time.time()]))
        if verdict == "ok":
            await self.refresh(seat)
        return verdict

    async def release(self, seat: str, entry_id: str, *, answered: bool = False,
                      missed: bool = False, wrapup_s: float = 0.0,
                      pause_after_missed: int = 3, not_ready: bool = False) -> int:
        """Drop a reservation; count the call or the miss. 2 = auto-paused for misses.

        After a call the seat is offered again only once Asterisk says its device is
        free, or `settle_s` later; a phone `not_ready` (it could not take the call just
        after one) is no miss and waits `not_ready_s`."""
        now = time.time()
        settle_until = now + self.settle_s if answered else \
            now + self.not_ready_s if not_ready else 0
        result = await self._release(
            keys=[self.key(seat), f"{self.prefix}:assign-log"],
            args=[entry_id, now, int(answered), wrapup_s, int(missed and not not_ready),
                  pause_after_missed, seat, settle_until])
        await self.refresh(seat)
        return int(result)

    async def refresh(self, seat: str, now: float | None = None) -> SeatState:
        """Store the derived state (and since when); publish and wake on a change."""
        now = time.time() if now is None else now
        raw = await self.redis.hgetall(self.key(seat))
        facts = SeatFacts.from_hash(seat, raw)
        state = derive(facts, now)
        if raw.get("state") != state:
            await self.redis.hset(self.key(seat), mapping={"state": str(state),
                                                           "state_since": now})
            event = {"seat": seat, "state": str(state), "since": now}
            await self.redis.publish(self.events_channel, json.dumps(event))
            if state is SeatState.AVAILABLE:
                await self.redis.publish(self.wake_channel, seat)
        return state

    async def refresh_all(self) -> None:
        """Time passes too: wrap-up ends without an event, so this runs on a tick."""
        now = time.time()
        for seat in self.seats:
            await self.refresh(seat, now)

    async def all(self) -> dict[str, dict]:
        """Display view: seat -> state, since, name, calls, paused reason."""
        now = time.time()
        return {facts.seat: _display(facts, now) for facts in await self.snapshot()}

    async def get(self, seat: str) -> dict | None:
        if seat not in self.seats:
            return None
        return _display(await self.facts(seat), time.time())


def _display(facts: SeatFacts, now: float) -> dict:
    return {"state": str(derive(facts, now)), "since": facts.state_since or now,
            "name": facts.name, "calls": facts.calls,
            "paused_reason": facts.paused_reason or None, "device_state": facts.device_state}

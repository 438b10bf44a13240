"""The shared truth about seats, in Redis, so every ACD process sees the same board."""

from __future__ import annotations

import json
import time

from redis.asyncio import Redis

from acd.seat_state import SeatState


class SeatBoard:
    """Hash `<prefix>:seats`: seat -> {"state", "device_state", "since"}."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.key = f"{prefix}:seats"
        self.channel = f"{prefix}:seat-events"

    async def record(self, seat: str, state: SeatState, device_state: str,
                     at: float | None = None) -> bool:
        """Store a seat's state; returns True when it changed (and publishes the change)."""
        at = time.time() if at is None else at
        current = await self.get(seat)
        if current and current["state"] == state and current["device_state"] == device_state:
            return False
        since = current["since"] if current and current["state"] == state else at
        entry = {"state": str(state), "device_state": device_state, "since": since}
        await self.redis.hset(self.key, seat, json.dumps(entry))
        await self.redis.publish(self.channel, json.dumps({"seat": seat, **entry}))
        return True

    async def get(self, seat: str) -> dict | None:
        raw = await self.redis.hget(self.key, seat)
        return json.loads(raw) if raw else None

    async def all(self) -> dict[str, dict]:
        raw = await self.redis.hgetall(self.key)
        return {_text(k): json.loads(v) for k, v in raw.items()}

    async def available(self) -> list[str]:
        """Seats free to ring now, longest idle first."""
        board = await self.all()
        free = [(entry["since"], seat) for seat, entry in board.items()
                if entry["state"] == SeatState.AVAILABLE]
        return [seat for _, seat in sorted(free)]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

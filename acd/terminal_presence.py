"""Which elderly terminals are online, and since when each one is not.

A terminal is a SIP endpoint; Asterisk reports its device state (UNAVAILABLE: not
registered). The AMI link hands every device state here (events and each resync's
list); a change of online/offline is kept in one Redis hash with its time, so the
centre's page can say "terminal 9003 offline for 2 days". Only changes are written.
"""

from __future__ import annotations

import json
import time

from redis.asyncio import Redis

OFFLINE_STATES = {"UNAVAILABLE", "INVALID", "UNKNOWN"}


class TerminalPresence:
    def __init__(self, redis: Redis, prefix: str, terminals: set[str]) -> None:
        self.redis = redis
        self.key = f"{prefix}:terminal-presence"
        self.terminals = terminals  # registered and configured terminal endpoints

    async def device(self, device: str, state: str) -> None:
        """AMI's `PJSIP/9003` (any case) in `state`: recorded when online-ness changes."""
        tech, _, name = device.partition("/")
        if tech.upper() != "PJSIP" or name not in self.terminals:
            return
        online = state.upper() not in OFFLINE_STATES
        raw = await self.redis.hget(self.key, name)
        if raw and json.loads(raw).get("online") == online:
            return
        await self.redis.hset(self.key, name, json.dumps({"online": online,
                                                          "since": time.time()}))

    async def offline(self) -> list[tuple[str, float]]:
        """(terminal, offline since) for every terminal not registered, longest first;
        one never seen at all counts as offline since now."""
        raw = await self.redis.hgetall(self.key)
        now = time.time()
        seen = {t: json.loads(v) for t, v in raw.items()}
        out = [(t, float(seen[t]["since"]) if t in seen else now) for t in self.terminals
               if not seen.get(t, {}).get("online", False)]
        return sorted(out, key=lambda item: item[1])

"""The outbound sender inside `hotline run`: owed messages out, each under a lease.

Each pass leases the due messages of the channels it has adapters for, sends them a
few at a time (each send bounded), and settles each in the store: sent, tried again
after a backoff, or given up (then the store owes it on the next channel and says so
on the case). Several processes may run a sender: the leases keep each message with
one of them, and a message whose sender died is taken over when its lease runs out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from case_store.deliveries import DeliveryView
from case_store.singleton import process_owner
from hotline.outbound.outcome import Outbound, Outcome, failed
from hotline.outbound.voice import CALL_LIMIT_S
from ivr.followup.rules import parse_backoff

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 60.0  # one send, a call's ringing included
BATCH = 20
AT_ONCE = 4  # sends in flight per pass


@dataclass(frozen=True)
class SenderSettings:
    interval_s: float = 5.0
    attempts: int = 4
    backoff_s: tuple[int, ...] = (30, 120, 600)
    ring_s: int = 30

    @classmethod
    def from_config(cls, cfg) -> SenderSettings:
        return cls(interval_s=max(0.2, float(cfg.outbound_interval_s)),
                   attempts=max(1, int(cfg.outbound_attempts)),
                   backoff_s=parse_backoff(cfg.outbound_backoff_s),
                   ring_s=max(5, int(cfg.outbound_ring_s)))

    @property
    def lease_s(self) -> float:
        """Long enough for a call to ring, be answered and be read through."""
        return self.ring_s + CALL_LIMIT_S + SEND_TIMEOUT_S

    def backoff(self, attempt: int) -> float:
        return float(self.backoff_s[min(attempt, len(self.backoff_s)) - 1])


class OutboundSender:
    def __init__(self, store, adapters: Sequence[Outbound], settings: SenderSettings,
                 owner: str | None = None) -> None:
        self.store = store
        self.adapters = {a.channel: a for a in adapters}
        self.settings = settings
        self.owner = owner or f"{process_owner()}:outbound"

    async def release(self) -> None:
        """Hand back what this sender holds (it is stopping): others send it at once."""
        await asyncio.to_thread(self.store.release_deliveries, self.owner)

    async def run_once(self) -> int:
        """Send what is due now; returns how many messages were taken."""
        if not self.adapters:
            return 0
        taken = await asyncio.to_thread(self.store.claim_deliveries, self.owner,
                                        self.settings.lease_s, BATCH, tuple(self.adapters))
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(message: DeliveryView) -> None:
            async with gate:
                await self._send(message)

        await asyncio.gather(*(one(m) for m in taken))
        return len(taken)

    async def _send(self, message: DeliveryView) -> None:
        if message.attempts > self.settings.attempts:  # leased often enough, never settled
            outcome = failed(message.last_error or "no outcome after every attempt",
                             permanent=True)
        else:
            try:
                outcome = await asyncio.wait_for(
                    self.adapters[message.channel].send(message), SEND_TIMEOUT_S)
            except Exception as exc:  # a broken adapter must not take the others down
                log.exception("delivery %s: %s adapter failed", message.id, message.channel)
                outcome = failed(f"{type(exc).__name__} in the {message.channel} adapter")
        await self._settle(message, outcome)

    async def _settle(self, message: DeliveryView, outcome: Outcome) -> None:
        if outcome.pending:
            log.info("delivery %s: %s under way", message.id, message.channel)
        elif outcome.sent:
            await asyncio.to_thread(self.store.delivery_sent, message.id, self.owner,
                                    outcome.ref)
            log.info("delivery %s: sent by %s", message.id, message.channel)
        else:
            last = outcome.permanent or message.attempts >= self.settings.attempts
            retry = None if last else self.settings.backoff(message.attempts)
            await asyncio.to_thread(self.store.delivery_failed, message.id, self.owner,
                                    outcome.error, retry)
            log.warning("delivery %s: %s attempt %d failed (%s)%s", message.id,
                        message.channel, message.attempts, outcome.error,
                        "; given up" if last else f"; again in {retry:.0f} s")

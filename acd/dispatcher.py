"""The dispatcher: matches waiting entries with free seats the moment either appears.

Event-driven: every process subscribes to `<prefix>:acd-wake` (published when an entry
joins the line or a seat turns available); what changes by the clock (a wrap-up ends, a
retry's backoff or a callback's slack runs out) wakes it at that moment, and a tick once
a second covers the rest. Each pass plans on a fresh snapshot and claims pair by pair
with the atomic claim script; a lost race just means planning again.

Cost in the seat count n (`hotline bench claims`): the claim and join scripts touch one
seat (join: at most 3 candidates), O(1); but each offer first reads the whole board
(`SeatBoard.snapshot`: n hashes, parsed in Python) and sorts the free seats, O(n), and
the once-a-second `refresh_all` makes n round trips, during which nothing is dispatched.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from acd.leases import Leases
from acd.line import Entry, WaitingLine
from acd.policy import CallbackSlack, Policy, Reach, next_change, plan
from acd.seat_board import SeatBoard

log = logging.getLogger(__name__)

Claimed = Callable[[Entry, str], Awaitable[None]]


class Dispatcher:
    def __init__(self, redis: Redis, line: WaitingLine, board: SeatBoard, policy: Policy,
                 on_callback: Claimed, leases: Leases, slack: CallbackSlack | None = None,
                 tick_s: float = 1.0, reach: Reach | None = None) -> None:
        self.redis = redis
        self.leases = leases
        self.line = line
        self.board = board
        self.policy = policy
        self.on_claim: dict[str, Claimed] = {}  # by entry kind; others go to on_callback
        self.on_callback = on_callback
        self.slack = slack or CallbackSlack()
        self.reach = reach or Reach()
        self.tick_s = tick_s
        self.wake_at: float | None = None  # wall clock: the next change by the clock
        self.claims = 0
        self.node = f"{socket.gethostname()}:{os.getpid()}"
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._spawned: set[asyncio.Task] = set()
        self.on_tick: list[Callable[[], Awaitable[None]]] = []

    def kick(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._loop())]

    async def stop(self) -> None:
        for task in self._tasks + list(self._spawned):
            task.cancel()
        await asyncio.gather(*self._tasks, *self._spawned, return_exceptions=True)

    async def _listen(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.line.wake_channel)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarting: the tick keeps dispatching
                log.warning("dispatcher wake subscription lost (%s); retrying", exc)
                await asyncio.sleep(1)

    async def _loop(self) -> None:
        last_tick = 0.0
        while True:
            wait = self.tick_s - (time.monotonic() - last_tick)
            if self.wake_at is not None:
                wait = min(wait, self.wake_at - time.time())
            try:
                await asyncio.wait_for(self._wake.wait(), max(0.005, wait))
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                if time.monotonic() - last_tick >= self.tick_s:
                    last_tick = time.monotonic()
                    await self.board.refresh_all()
                    for hook in self.on_tick:
                        await hook()
                while await self.run_once():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatch pass failed; retrying on the next wake")
                await asyncio.sleep(0.2)

    async def run_once(self) -> int:
        """One planning pass; returns how many claims succeeded."""
        entries = await self.line.waiting(limit=100)
        if not entries:
            self.wake_at = None
            return 0
        seats = await self.board.snapshot()
        now = time.time()
        self.wake_at = next_change(entries, seats, now, self.slack)
        claimed = 0
        for entry, facts in plan(entries, seats, now, self.policy, self.slack, self.reach):
            if not await self.line.claim(entry.id, self.board.key(facts.seat), facts.seat,
                                         self.leases):
                continue
            claimed += 1
            await self.offered(entry, facts.seat)
        return claimed

    async def offered(self, entry: Entry, seat: str, fast: bool = False) -> None:
        """A seat was claimed for the entry: tell the waiting session (unless the fast
        path already did) or place the callback, then count it, show the seat ringing
        and pop the desk."""
        if entry.kind == "live" and not fast:
            await self.line.notify_offer(entry.id, seat)
        elif entry.kind != "live":
            place = self.on_claim.get(entry.kind, self.on_callback)
            task = asyncio.create_task(place(entry, seat))
            self._spawned.add(task)
            task.add_done_callback(self._spawned.discard)
        self.claims += 1
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(f"{self.line.prefix}:claims", self.node, 1)
            if fast:
                pipe.hincrby(f"{self.line.prefix}:fast-claims", self.node, 1)
            await pipe.execute()
        await self.board.refresh(seat)
        await self._pop(entry, seat)

    async def _pop(self, entry: Entry, seat: str) -> None:
        """Screen pop for the agent desk, sent as the seat starts ringing."""
        pop = {"seat": seat, "kind": entry.kind, "entry_id": entry.id,
               "uniqueid": entry.uniqueid, "callback_id": entry.id if entry.kind == "callback"
               else "", "caller": entry.caller, "caller_name": entry.caller_name,
               "case_number": entry.case_number, "transcript": entry.transcript,
               "tags": entry.tags, "origin": entry.origin, "arrived_at": entry.arrived_at}
        await self.redis.publish(f"{self.line.prefix}:pop:{seat}",
                                 json.dumps(pop, ensure_ascii=False))

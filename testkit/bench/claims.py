"""`hotline bench claims`: what one offer costs as the seat count grows.

For 10, 100, 300 and 1,000 seats (all free, logged in, on the config's Redis under a
prefix of the bench's own, deleted after), it times the ACD's own code on each path an
offer takes, p50 and p99 in milliseconds:

- ``claim_script``: the claim Lua script alone (one entry, one seat: O(1) in seats);
- ``arrive_fast_path``: `Acd.arrive`'s ringing path: the board snapshot (one HGETALL a
  seat, pipelined), `fast_candidates` (a sort of the free seats) and the join script
  (at most 3 candidate seats);
- ``dispatch_pass``: one `Dispatcher.run_once` with one caller waiting: line head,
  snapshot, `plan`, claim, and the offer's bookkeeping;
- ``board_snapshot``: `SeatBoard.snapshot` alone (read and parse every seat's hash);
- ``plan_cpu``: `plan` alone on a snapshot already read (the Python part);
- ``refresh_all``: the dispatcher's once-a-second tick, one round trip a seat,
  during which that process dispatches nothing.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from acd.dispatcher import Dispatcher
from acd.leases import Leases
from acd.line import Entry, WaitingLine, new_entry_id
from acd.percentile import percentile
from acd.policy import Policy, fast_candidates, plan
from acd.seat_board import SeatBoard
from hotline.config import Config
from hotline.redis_client import async_client

SIZES = (10, 100, 300, 1000)
ROUNDS = 200


def _summary(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(samples, 0.5) * 1000, 3),
            "p99_ms": round(percentile(samples, 0.99) * 1000, 3)}


async def _timed(rounds: int, step: Callable[[], Awaitable[Any]],
                 reset: Callable[[], Awaitable[Any]]) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await step()
        samples.append(time.perf_counter() - started)
        await reset()
    return samples


async def _size(redis, prefix: str, seats: int, rounds: int) -> dict[str, Any]:
    names = [str(10000 + i) for i in range(seats)]
    rng = random.Random(seats)  # noqa: S311 - a reproducible board, not crypto
    board = SeatBoard(redis, prefix, names)
    line = WaitingLine(redis, prefix)
    leases = Leases(redis, prefix, 15.0, "bench-claims")
    now = time.time()
    async with redis.pipeline(transaction=False) as pipe:
        for seat in names:
            pipe.hset(board.key(seat), mapping={
                "device_state": "NOT_INUSE", "logged_in": "1",
                "idle_since": str(now - rng.uniform(0, 600))})
        await pipe.execute()
    waiting: list[Entry] = []

    def entry() -> Entry:
        return Entry(id=new_entry_id("live"), kind="live", caller="057982000000",
                     arrived_at=time.time())

    async def queue_one() -> None:
        waiting[:] = [entry()]
        await line.add(waiting[0])

    async def release_last() -> None:  # what the call's end does, untimed
        taken = await redis.lrange(line.assign_log_key, -1, -1)
        _, seat, entry_id, *_ = taken[0].split(" ")
        await redis.hset(board.key(seat), "reserved_for", "")
        await redis.zrem(line.line_key, entry_id)
        await line.finish(entry_id)

    async def release_and_queue() -> None:
        await release_last()
        await queue_one()

    async def claim() -> None:
        seat = rng.choice(names)
        assert await line.claim(waiting[0].id, board.key(seat), seat, leases)

    async def arrive() -> None:
        caller = entry()
        snapshot = await board.snapshot()
        candidates = fast_candidates(caller, snapshot, time.time(), Policy.LONGEST_IDLE)
        assert await line.join(caller, [(board.key(f.seat), f.seat) for f in candidates],
                               leases, 180.0)

    async def placed(_entry: Entry, _seat: str) -> None:
        return None

    dispatcher = Dispatcher(redis, line, board, Policy.LONGEST_IDLE, placed, leases)

    async def dispatch() -> None:
        assert await dispatcher.run_once() == 1

    snapshot = await board.snapshot()

    async def plan_only() -> None:
        assert plan(waiting, snapshot, time.time())

    async def nothing() -> None:
        return None

    await queue_one()
    report = {"seats": seats,
              "claim_script": _summary(await _timed(rounds, claim, release_and_queue)),
              "dispatch_pass": _summary(await _timed(rounds, dispatch, release_and_queue)),
              "board_snapshot": _summary(await _timed(rounds, board.snapshot, nothing)),
              "plan_cpu": _summary(await _timed(rounds, plan_only, nothing)),
              "refresh_all": _summary(await _timed(max(10, rounds // 10),
                                                   board.refresh_all, nothing))}
    await redis.zrem(line.line_key, waiting[0].id)  # the fast path needs nobody ahead
    report["arrive_fast_path"] = _summary(await _timed(rounds, arrive, release_last))
    await _forget(redis, prefix)
    return report


async def _forget(redis, prefix: str) -> None:
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=1000)]
    for first in range(0, len(keys), 500):
        await redis.delete(*keys[first:first + 500])


async def _run(cfg: Config, sizes: Sequence[int], rounds: int) -> dict[str, Any]:
    redis = async_client(cfg.redis_url, decode_responses=True)
    prefix = f"{{bench-claims:{cfg.instance}:{os.getpid()}}}"
    try:
        return {"bench": "claims", "rounds": rounds,
                "sizes": [await _size(redis, prefix, n, rounds) for n in sizes]}
    finally:
        await _forget(redis, prefix)
        await redis.aclose()


def run_claims_bench(cfg: Config, sizes: Sequence[int] = SIZES,
                     rounds: int = ROUNDS) -> dict[str, Any]:
    return asyncio.run(_run(cfg, sizes, rounds))

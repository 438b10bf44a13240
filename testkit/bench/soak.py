"""`hotline bench soak`: hours of calls, compressed, to show resources stay flat.

The ACD bench's own Asterisk instance and load model: `hours` of calls at `load` times
the seed's rate, compressed by `compress` (2 h at 1.2x, by 12, is about 10 minutes).
The hotline runs in this process, so its resident memory and open file descriptors are
this process's; Redis keys are counted under the run's prefix. Samples are taken at the
start, every tenth of the run and at the end; "flat" means the end is at most 10% above
the start. The first sample waits for a warm-up: the first calls are in, and the first
settled line entries have outlived their TTL (`acd.settled_ttl_s`, compressed too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hotline.asterisk import sandbox_for
from hotline.config import Config
from testkit import sipp
from testkit.bench.acd import (
    PATIENCE_S,
    SEED,
    Bench,
    bench_config,
    callers_leave_requests,
    drop_keys,
    replay,
    run_cfg,
    seats_available,
    until,
)
from testkit.call_load import LoadModel, poisson_offsets

log = logging.getLogger(__name__)
SAMPLES = 10
FLAT = 0.10
# One key a distinct caller, kept 30 days by design (the seat they last spoke to): it
# grows with the caller population, not with time, so it is reported apart.
PER_CALLER = ("last-seat",)


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _sample(service: Any, started: float) -> dict[str, Any]:
    prefix = f"{service.cfg.key_prefix}:"
    families: Counter[str] = Counter()
    async for key in service.redis.scan_iter(match=f"{prefix}*", count=1000):
        families[key.removeprefix(prefix).split(":", 1)[0]] += 1
    per_caller = sum(families[f] for f in PER_CALLER)
    return {"t_s": round(time.time() - started, 1), "rss_mib": round(_rss_kib() / 1024, 1),
            "open_fds": len(os.listdir("/proc/self/fd")),
            "redis_keys": sum(families.values()) - per_caller,
            "redis_keys_per_caller": per_caller,
            "redis_key_families": dict(families.most_common(8)),
            "spool_depth": service.records.status()["depth"]}


def _flat(samples: list[dict[str, Any]], name: str) -> dict[str, Any]:
    first, last = samples[0][name], samples[-1][name]
    change = (last - first) / first if first else 0.0
    return {"start": first, "end": last, "change": round(change, 3), "flat": change <= FLAT}


async def _soak(bench: Bench, offsets: list[float], numbers: list[str]) -> dict[str, Any]:
    from hotline.service import HotlineService

    service = HotlineService(run_cfg(bench.cfg, "soak"))
    await service.start()
    samples: list[dict[str, Any]] = []
    try:
        await asyncio.wait_for(service.ami.connected.wait(), 10)
        requested = callers_leave_requests(service, bench.model.request_s)
        async with sipp.citizen_phones(service.cfg), bench.phones(SEED):
            if not await until(lambda: seats_available(service), 20):
                raise RuntimeError("hotline seats did not all become available")
            started = time.time()
            load = asyncio.create_task(replay(bench.cfg, bench.cfg.hotline_number, offsets,
                                              numbers, bench.hold_s(),
                                              PATIENCE_S / bench.factor))
            every = offsets[-1] / SAMPLES
            await asyncio.sleep(max(every, service.cfg.acd_settled_ttl_s + 5))  # warm-up
            while not load.done():
                samples.append(await _sample(service, started))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(load), every)
            results = load.result()
            await asyncio.sleep(bench.model.promise_s)  # callbacks owed are placed
            samples.append(await _sample(service, started))
    finally:
        await service.stop()
    return {"samples": samples, "rss_mib": _flat(samples, "rss_mib"),
            "open_fds": _flat(samples, "open_fds"),
            "redis_keys": _flat(samples, "redis_keys"),
            "redis_keys_per_caller": {"end": samples[-1]["redis_keys_per_caller"],
                                      "note": "one a distinct caller, 30-day TTL"},
            "calls": len(results), "reached": sum(1 for r in results if r.reached),
            "callbacks_owed": len(requested)}


def run_soak_bench(cfg: Config, hours: float = 2.0, load: float = 1.2,
                   compress: float = 12.0) -> dict[str, Any]:
    logging.basicConfig(level=logging.WARNING)
    real = LoadModel(wrapup_s=float(cfg.acd_wrapup_s), window_s=float(cfg.acd_ring_window_s),
                     promise_s=float(cfg.acd_callback_deadline_s)).overloaded(load)
    scaled = real.scaled(compress)
    calls = max(2, round(real.calls_per_hour * hours))
    rng = random.Random(SEED)  # noqa: S311 - a reproducible load, not crypto
    offsets = poisson_offsets(calls, scaled.calls_per_hour, rng)
    numbers = [f"13600{i:06d}" for i in range(calls)]
    with tempfile.TemporaryDirectory(prefix="hotline-soak-") as tmp:
        bcfg = bench_config(cfg, scaled, compress, Path(tmp))
        box = sandbox_for(bcfg, log=lambda m: log.info("%s", m))
        box.up()
        try:
            report = asyncio.run(_soak(Bench(bcfg, scaled, compress), offsets, numbers))
        finally:
            box.down()
            with contextlib.suppress(Exception):
                drop_keys(bcfg)
    return {**report, "context": {
        "hours_real": hours, "load": load, "compress": compress,
        "calls_per_hour_real": round(real.calls_per_hour, 1),
        "length_s": round(offsets[-1], 1),
        "flat_means": f"end at most {FLAT:.0%} above start, after warm-up"}}

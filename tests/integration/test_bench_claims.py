"""`hotline bench claims` on the real Redis: every path an offer takes is timed at each
size, every claim it times succeeds (the steps assert it), and it leaves no key behind."""

from __future__ import annotations

import asyncio

import pytest

from testkit.bench.claims import run_claims_bench

pytestmark = pytest.mark.integration

PATHS = ("claim_script", "arrive_fast_path", "dispatch_pass", "board_snapshot", "plan_cpu",
         "refresh_all")


async def test_the_claims_bench_reports_each_path_and_cleans_up(cfg, redis):
    report = await asyncio.to_thread(run_claims_bench, cfg, (10, 30), 5)
    assert [size["seats"] for size in report["sizes"]] == [10, 30]
    for size in report["sizes"]:
        for path in PATHS:
            assert 0 < size[path]["p50_ms"] <= size[path]["p99_ms"]
    assert [k async for k in redis.scan_iter(match=f"{{bench-claims:{cfg.instance}:*")] == []

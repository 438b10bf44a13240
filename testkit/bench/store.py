"""`hotline bench store`: case-store throughput and latency on SQLite and PostgreSQL.

Measures (1) case writes per second through the full intake path: SQL row + event +
outbox in one transaction, then the outbox relayed to a Redis stream; (2) routing latency
p50/p99 (nearest rank, `acd.percentile`) of ``CaseStore.route``; (3) scorecard time over
one million events, generated as an in-memory iterable (no database), which is what the
scorer consumes.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import redis

from acd.percentile import percentile
from case_store import knowledge
from case_store.scores import scorecards
from case_store.store import CaseStore
from case_store.streams import relay_outbox
from case_store.workdays import SHANGHAI
from hotline.redis_client import sync_client
from testkit.pg import TEST_CONNINFO

CASES = 300
TOPICS = [("affairs", "street_light"), ("complaint", "noise"), ("life", "drain"),
          ("consult", "education"), ("suggestion", "city_suggestion")]


def _ms(samples: list[float], q: float) -> float | None:
    value = percentile(samples, q)
    return None if value is None else round(value, 2)


def _bench_one(url: str, client: redis.Redis, prefix: str, n: int) -> dict[str, Any]:
    store = CaseStore(url)
    store.setup()
    knowledge.words("预热")  # load jieba's dictionary before timing anything
    rng = random.Random(8890)  # noqa: S311 - reproducible test data, not security
    numbers = []
    start = time.perf_counter()
    for i in range(n):
        kind, topic = TOPICS[i % len(TOPICS)]
        case = store.create_case(channel="phone", caller=f"138{i:08d}",
                                 text=f"第{i}号请求 {topic}", kind=kind, topic=topic,
                                 lat=29.08 + rng.random() / 10, lon=119.65 + rng.random() / 10)
        relay_outbox(store, client, prefix)
        numbers.append(case.number)
    write_s = time.perf_counter() - start
    latencies = []
    for number in numbers:
        t = time.perf_counter()
        store.route(number)
        latencies.append((time.perf_counter() - t) * 1000)
    store.close()
    return {
        "cases": n,
        "writes_per_second": round(n / write_s, 1),
        "routing_ms_p50": _ms(latencies, 0.50),
        "routing_ms_p99": _ms(latencies, 0.99),
        "routing_ms_mean": round(statistics.fmean(latencies), 2),
    }


def synthetic_events(count: int, start: datetime) -> Iterator[tuple[datetime, str, dict]]:
    """A plausible mix of events for 40 companies and 20 departments."""
    rng = random.Random(12345)  # noqa: S311 - reproducible test data, not security
    for i in range(count):
        at = start + timedelta(seconds=i % 2_000_000)
        if rng.random() < 0.5:
            owner, otype = f"company_{rng.randrange(40)}", "company"
        else:
            owner, otype = f"dept_{rng.randrange(20)}", "department"
        r = rng.random()
        if r < 0.3:
            yield at, "assign", {"owner_type": otype, "owner": owner}
        elif r < 0.55:
            yield at, "accept", {"owner_type": otype, "owner": owner, "on_time": r < 0.52}
        elif r < 0.75:
            yield at, "reply", {"owner_type": otype, "owner": owner, "on_time": r < 0.72}
        elif r < 0.9:
            yield at, "visit", {"owner_type": otype, "owner": owner,
                                "satisfaction": rng.choice((1, 1, 1, 2, 3))}
        elif r < 0.95:
            yield at, "note", {"contact_missed": owner}
        else:
            yield at, "send_back", {"owner_type": otype, "owner": owner}


def run_store_bench(cfg: Any, cases: int = CASES, events: int = 1_000_000) -> dict[str, Any]:
    """Run all three measurements; ``cfg`` is a hotline Config (redis_url, database_url)."""
    client = sync_client(cfg.redis_url)
    prefix = f"bench:{uuid.uuid4().hex[:8]}"
    result: dict[str, Any] = {"path": "create_case (SQL row + event + outbox) + relay to "
                                      "Redis stream, per case"}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            result["sqlite"] = _bench_one(f"sqlite:///{Path(tmp) / 'bench.sqlite'}", client,
                                          prefix + ":sqlite", cases)
        pg_url = cfg.database_url if cfg.database_url.startswith("postgres") else TEST_CONNINFO
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        conninfo = pg_url.replace("postgresql+psycopg://", "postgresql://")
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
        except psycopg.Error as exc:
            result["postgresql"] = {"skipped": f"PostgreSQL not reachable: {exc}"}
        else:
            sep = "&" if "?" in pg_url else "?"
            try:
                result["postgresql"] = _bench_one(f"{pg_url}{sep}options=-csearch_path%3D{schema}",
                                                  client, prefix + ":pg", cases)
            finally:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
        client.close()
    t0 = datetime(2025, 10, 1, tzinfo=SHANGHAI)
    start = time.perf_counter()
    cards = scorecards(synthetic_events(events, t0), t0, t0 + timedelta(days=60))
    result["scorecard"] = {
        "events": events,
        "source": "in-memory generated event iterable (single pass, no database)",
        "seconds": round(time.perf_counter() - start, 2),
        "companies": len(cards["companies"]),
        "departments": len(cards["departments"]),
    }
    return result

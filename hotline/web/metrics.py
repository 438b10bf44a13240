"""Prometheus /metrics, written with prometheus_client from what Redis holds at scrape time.

Counters and histograms never reset: they are the monotonic totals every ACD process of
the instance adds to in Redis (`<prefix>:stats:totals`, see acd/stats.py for why one
series per instance rather than per process), read when Prometheus scrapes, so the
series are the instance's, whichever console process answers. Scrape one console per
instance (or de-duplicate by instance); `sum()` over hotlines is then correct.

Gauges are the current state: seats, queue and spool from the ACD's published snapshot
(with `hotline_stats_snapshot_timestamp_seconds` to tell a stale one), owed callbacks
read from Redis now, this console's AMI link, cases from the case store. The
`hotline_web_*` counters are this console process's own (Prometheus' per-process
convention; they restart with it, which `rate()` handles).

Service level within the 15 s window, as the wallboard shows it (answered within the
window over calls whose wait ended: answered, hung up waiting, or chose a callback)::

    sum(rate(hotline_wait_seconds_bucket{outcome="answered",le="15"}[15m]))
      / sum(rate(hotline_wait_seconds_count[15m]))

`hotline_wait_seconds` observes every such call with its outcome, so the count over all
outcomes is the wallboard's denominator and the answered series' buckets are the time to
a person; a caller who hung up after 5 s is not "within 15 s" because of that.

Scrapers authenticate with an API key of scope ``metrics`` (``Authorization: Bearer``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from acd.seat_state import SeatState
from acd.stats import HISTOGRAMS, bound_text
from hotline.web.context import ctx

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# hotline_calls_total{outcome}: how each call's wait ended (totals field -> outcome);
# mutually exclusive, together the calls the service level counts.
CALL_OUTCOMES = (("answered_in_window", "answered_in_window"),
                 ("answered_late", "answered_late"),
                 ("abandoned_waiting", "abandoned_waiting"),
                 ("callbacks_requested", "callback_requested"))
CALLBACK_OUTCOMES = (("callbacks_done", "done"), ("callbacks_failed", "failed"),
                     ("callbacks_cancelled", "cancelled"))
WAIT_OUTCOMES = ("answered", "abandoned_waiting", "callback_requested")
COUNTERS = (  # (metric without _total, totals field, help)
    ("hotline_calls_offered", "offered", "Calls that reached the ACD"),
    ("hotline_calls_abandoned_in_ivr", "abandoned_ivr",
     "Callers who hung up in the IVR after their wait (their request is kept)"),
    ("hotline_callback_number_checks", "callbacks_to_check",
     "Callbacks owed to a number an agent must check before anyone dials it"),
    ("hotline_callbacks_placed", "callbacks_placed",
     "Callbacks whose citizen was dialled for the first time"),
    ("hotline_seat_not_ready", "seat_not_ready", "Seats not ready just after a call"),
    ("hotline_leases_reaped", "leases_reaped", "Leases of a dead process taken back"),
)


def build_version() -> str:
    try:
        return version("hotline-8890")
    except PackageNotFoundError:
        return "unknown"


def _float(raw: Mapping[str, Any], key: str) -> float:
    try:
        return float(raw.get(key) or 0)
    except (TypeError, ValueError):
        return 0.0


def _histogram(name: str, help_text: str, totals: Mapping[str, Any], histogram: str,
               outcomes: Iterable[str]) -> HistogramMetricFamily:
    """Cumulative buckets from the stored per-bucket counts; `outcomes` ("" : no label)."""
    outcomes = list(outcomes)
    family = HistogramMetricFamily(name, help_text,
                                   labels=["outcome"] if outcomes != [""] else None)
    for outcome in outcomes:
        running, buckets = 0.0, []
        for bound in (*HISTOGRAMS[histogram], float("inf")):
            le = bound_text(bound)
            running += _float(totals, f"{histogram}|{outcome}|{le}")
            buckets.append((le, running))
        family.add_metric([outcome] if outcome else [], buckets,
                          _float(totals, f"{histogram}|{outcome}|sum"))
    return family


def _by_outcome(name: str, help_text: str, totals: Mapping[str, Any],
                outcomes: Sequence[tuple[str, str]]) -> CounterMetricFamily:
    """A counter with one series per outcome, each read from its totals field."""
    family = CounterMetricFamily(name, help_text, labels=["outcome"])
    for field, outcome in outcomes:
        family.add_metric([outcome], _float(totals, field))
    return family


def families(snapshot: Mapping[str, Any], totals: Mapping[str, Any],
             cases: Mapping[str, Any] | None, counters: Mapping[str, int],
             callbacks: Mapping[str, int] | None = None, ami_up: bool | None = None,
             build: str = "unknown") -> list[Metric]:
    """Every metric family, from what was read; pure."""
    out: list[Metric] = []
    info = GaugeMetricFamily("hotline_build_info", "The hotline's version (always 1)",
                             labels=["version"])
    info.add_metric([build], 1)
    out.append(info)

    out.append(_by_outcome("hotline_calls", "Calls by how their wait ended", totals,
                           CALL_OUTCOMES))
    out.append(_histogram(
        "hotline_wait_seconds", "Seconds from arrival until the wait ended, by outcome "
        "(answered: a person answered)", totals, "wait_seconds", WAIT_OUTCOMES))
    out.append(_by_outcome("hotline_callbacks", "Owed callbacks closed, by outcome", totals,
                           CALLBACK_OUTCOMES))
    out.append(_histogram(
        "hotline_callback_delay_seconds", "Seconds from the caller's arrival until the "
        "callback first dialled them (an agent on the line)", totals,
        "callback_delay_seconds", [""]))
    for name, field, help_text in COUNTERS:
        out.append(CounterMetricFamily(name, help_text, value=_float(totals, field)))

    def gauge(name: str, help_text: str, value: float) -> None:
        out.append(GaugeMetricFamily(name, help_text, value=value))

    if ami_up is not None:
        gauge("hotline_ami_up", "1 while the console's AMI link to Asterisk is up",
              int(ami_up))
    if snapshot:
        gauge("hotline_stats_snapshot_timestamp_seconds",
              "When the ACD last published its snapshot (Unix time)", _float(snapshot, "at"))
        gauge("hotline_queue_waiting", "Live callers waiting for a seat",
              _float(snapshot, "waiting"))
        gauge("hotline_queue_longest_wait_seconds", "Longest current wait of a live caller",
              _float(snapshot, "longest_wait_s"))
        gauge("hotline_elderly_calls_in_progress", "Elderly terminals' calls in progress",
              _float(snapshot, "elderly_in_progress"))
    if snapshot:  # every state, zero included: a state's series never vanishes
        seats = snapshot.get("seats")
        by_state = {str(state): 0 for state in SeatState}
        by_state.update({str(k): v for k, v in (seats if isinstance(seats, dict) else {}
                                               ).items()})
        family = GaugeMetricFamily("hotline_seats", "Seats by state", labels=["state"])
        for state, count in sorted(by_state.items()):
            family.add_metric([state], _float({"n": count}, "n"))
        out.append(family)
    spool = snapshot.get("spool")
    if isinstance(spool, dict):
        gauge("hotline_spool_items", "Records waiting in the durable spool for the database",
              _float(spool, "depth"))
        gauge("hotline_spool_oldest_seconds", "Age of the oldest waiting record",
              _float(spool, "oldest_s"))
        gauge("hotline_spool_not_draining", "1 while records wait over a minute",
              int(bool(spool.get("alarm"))))
    if callbacks is not None:
        gauge("hotline_callbacks_pending", "Callbacks owed and not yet closed",
              callbacks.get("pending", 0))
        gauge("hotline_callbacks_overdue", "Owed callbacks past their deadline",
              callbacks.get("overdue", 0))
    if cases:
        gauge("hotline_cases_open", "Open cases", cases.get("open", 0))
        gauge("hotline_cases_overdue", "Cases past their deadline", cases.get("overdue", 0))
    http = CounterMetricFamily("hotline_web_responses", "Web answers of this console "
                               "process by status class", labels=["class"])
    created = CounterMetricFamily("hotline_web_cases_created", "Cases created through web "
                                  "channels by this console process", labels=["channel"])
    for key, value in sorted(counters.items()):
        if key.startswith("http_"):
            http.add_metric([key[5:]], value)
        elif key.startswith("cases_created_"):
            created.add_metric([key[len("cases_created_"):]], value)
    out.extend(f for f in (http, created) if f.samples)
    return out


class _Collected:
    """A collector of families already built (the reads were async, collect is not)."""

    def __init__(self, built: list[Metric]) -> None:
        self.built = built

    def collect(self) -> Iterable[Metric]:
        return self.built


def render(snapshot: Mapping[str, Any], cases: Mapping[str, Any] | None,
           counters: Mapping[str, int], totals: Mapping[str, Any] | None = None,
           callbacks: Mapping[str, int] | None = None, ami_up: bool | None = None,
           build: str = "unknown") -> str:
    """The exposition text; pure."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collected(families(snapshot, totals or {}, cases, counters,
                                          callbacks, ami_up, build)))
    return generate_latest(registry).decode("utf-8")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def read_state(redis: Any, prefix: str) -> tuple[dict, dict, dict]:
    """Snapshot, totals and owed callbacks, read in one round trip."""
    now = time.time()
    async with redis.pipeline(transaction=False) as pipe:
        pipe.get(f"{prefix}:stats:snapshot")
        pipe.hgetall(f"{prefix}:stats:totals")
        pipe.zcard(f"{prefix}:callbacks-open")
        pipe.zcount(f"{prefix}:callbacks-open", "-inf", now)
        raw, totals, pending, overdue = await pipe.execute()
    snapshot = json.loads(raw) if raw else {}
    totals = {_text(k): _text(v) for k, v in (totals or {}).items()}
    return snapshot, totals, {"pending": pending, "overdue": overdue}


async def metrics(request: web.Request) -> web.Response:
    c = ctx(request)
    if c.accounts is None:
        raise web.HTTPNotFound(text="metrics need the case store")
    from hotline.web.auth import require_key

    await require_key(request, "metrics")
    snapshot: dict = {}
    totals: dict = {}
    callbacks = None
    if c.redis is not None:
        snapshot, totals, callbacks = await read_state(c.redis, c.prefix)
    cases = None
    if c.store is not None:
        cases = await asyncio.to_thread(c.store.case_counts, datetime.now(UTC))
    ami_up = bool(c.ami is not None and c.ami.connected.is_set())
    text = render(snapshot, cases, dict(c.counters), totals, callbacks, ami_up,
                  build_version())
    return web.Response(body=text.encode("utf-8"), headers={"Content-Type": CONTENT_TYPE})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics)

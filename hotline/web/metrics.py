"""Prometheus /metrics in the text exposition format, written by hand (no client library).

Gauges come from the ACD's live snapshot and the case counters; counters from this
process (HTTP answers by class, cases created by channel). Scrapers authenticate with
an API key of scope ``metrics`` (``Authorization: Bearer ...``).
"""

from __future__ import annotations

import asyncio
import json
import math
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from hotline.web.context import ctx

_GAUGES = (  # (metric, snapshot key, help)
    ("hotline_calls_waiting", "waiting", "Callers waiting for a seat"),
    ("hotline_longest_wait_seconds", "longest_wait_s", "Longest current wait"),
    ("hotline_elderly_calls_in_progress", "elderly_in_progress", "Elderly calls in progress"),
    ("hotline_calls_offered_today", "offered", "Calls offered today"),
    ("hotline_calls_answered_in_window_today", "answered_in_window",
     "Calls answered within three rings today"),
    ("hotline_calls_abandoned_today", "abandoned", "Calls abandoned today"),
    ("hotline_service_level_ratio", "service_level", "Share answered within three rings"),
    ("hotline_asa_seconds", "asa_s", "Average speed of answer today"),
    ("hotline_aht_seconds", "aht_s", "Average handling time today"),
    ("hotline_arrival_rate_per_hour", "calls_per_hour", "Current arrival rate"),
)


def _num(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    return repr(number) if not number.is_integer() else str(int(number))


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(snapshot: dict, cases: dict | None, counters: dict[str, int]) -> str:
    """The exposition text for a snapshot, case counters and process counters; pure."""
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str,
               samples: list[tuple[dict[str, str], Any]]) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            tag = ",".join(f'{k}="{_label(v)}"' for k, v in sorted(labels.items()))
            lines.append(f"{name}{{{tag}}} {_num(value)}" if tag else f"{name} {_num(value)}")

    lines.append("# snapshot at " + str(snapshot.get("at", "none")))
    for name, key, help_text in _GAUGES:
        if key in snapshot:
            metric(name, "gauge", help_text, [({}, snapshot[key])])
    if isinstance(snapshot.get("seats"), dict):
        metric("hotline_seats", "gauge", "Seats by state",
               [({"state": str(k)}, v) for k, v in sorted(snapshot["seats"].items())])
    if isinstance(snapshot.get("callbacks"), dict):
        metric("hotline_callbacks", "gauge", "Callbacks by state",
               [({"state": str(k)}, v) for k, v in sorted(snapshot["callbacks"].items())])
    spool = snapshot.get("spool")
    if isinstance(spool, dict):
        metric("hotline_spool_depth", "gauge", "Records waiting for the database",
               [({}, spool.get("depth", 0))])
        metric("hotline_spool_oldest_seconds", "gauge", "Age of the oldest waiting record",
               [({}, spool.get("oldest_s", 0))])
        metric("hotline_spool_not_draining", "gauge", "1 while the spool is not draining",
               [({}, int(bool(spool.get("alarm"))))])
    if cases:
        metric("hotline_cases_open", "gauge", "Open cases", [({}, cases.get("open", 0))])
        metric("hotline_cases_overdue", "gauge", "Cases past their deadline",
               [({}, cases.get("overdue", 0))])
        metric("hotline_cases_received_today", "gauge", "Cases received today by channel",
               [({"channel": str(k)}, v) for k, v in sorted(cases["by_channel"].items())])
    http = [({"class": k[5:]}, v) for k, v in sorted(counters.items()) if k.startswith("http_")]
    if http:
        metric("hotline_web_responses_total", "counter", "Web answers by status class", http)
    created = [({"channel": k[len("cases_created_"):]}, v) for k, v in sorted(counters.items())
               if k.startswith("cases_created_")]
    if created:
        metric("hotline_web_cases_created_total", "counter",
               "Cases created through web channels", created)
    return "\n".join(lines) + "\n"


async def metrics(request: web.Request) -> web.Response:
    c = ctx(request)
    if c.accounts is None:
        raise web.HTTPNotFound(text="metrics need the case store")
    from hotline.web.auth import require_key

    await require_key(request, "metrics")
    snapshot: dict = {}
    if c.redis is not None:
        raw = await c.redis.get(c.key("stats", "snapshot"))
        snapshot = json.loads(raw) if raw else {}
    cases = None
    if c.store is not None:
        cases = await asyncio.to_thread(c.store.case_counts, datetime.now(UTC))
    return web.Response(text=render(snapshot, cases, dict(c.counters)),
                        content_type="text/plain", charset="utf-8",
                        headers={"X-Prometheus-Format": "0.0.4"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics)

"""Live statistics: counters in Redis (so restarts of the ACD lose nothing) and a snapshot.

Counters are kept per day, per hour and per 15 minutes. The snapshot, a pure function
of counters, seats and line, is what the wallboard shows and the API returns; it is
stored at `<prefix>:stats:snapshot` and published on `<prefix>:stats`.

Every increment also goes, in the same MULTI, into `<prefix>:stats:totals`, a hash that
never resets and never expires: the monotonic counters and histograms `/metrics`
exposes (hotline/web/metrics.py). They are kept per instance in Redis rather than per
process: every process of an instance (`hotline run`, any `--role acd` beside it)
counts calls into the one Redis, only the console process serves `/metrics`, and the
IVR's sessions move between processes (`agi_alt_port`), so per-process series would
need every ACD process scraped and would restart from zero with each process; here a
restart of any process keeps them, and Prometheus sees one series per instance (a
counter reset only when Redis itself loses its data, which `rate()` handles). The
transaction also means a scrape never sees a call in the day's counters but not in
the totals, so the histogram's service level and the wallboard's agree.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from redis.asyncio import Redis

from acd.line import Entry
from acd.seat_state import SeatState

CST = timezone(timedelta(hours=8))  # the hotline's day is Beijing time
QUARTER_S = 900
SERIES_QUARTERS = 32  # eight hours of 15-minute buckets

COUNTERS = (
    "offered", "answered_in_window", "answered_late", "abandoned_waiting", "abandoned_ivr",
    "callbacks_requested", "callbacks_done", "callbacks_failed", "callbacks_in_time",
    "callbacks_to_check",
    "wait_ms_total", "answered_total", "handle_ms_total", "handled",
)


# Histograms kept in the totals: name -> upper bounds (seconds), +Inf implied.
WAIT_BUCKETS = (1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0)
CALLBACK_DELAY_BUCKETS = (30.0, 60.0, 120.0, 180.0, 240.0, 300.0, 600.0, 1800.0, 3600.0)
HISTOGRAMS = {"wait_seconds": WAIT_BUCKETS, "callback_delay_seconds": CALLBACK_DELAY_BUCKETS}


def bound_text(bound: float) -> str:
    """A bucket bound as the totals hash (and Prometheus' `le`) spells it: 15.0 -> "15"."""
    if bound == float("inf"):
        return "+Inf"
    return str(int(bound)) if float(bound).is_integer() else repr(float(bound))


def bucket_of(bounds: tuple[float, ...], value: float) -> str:
    """The smallest bound that holds `value` (`le` is inclusive), else "+Inf"."""
    for bound in bounds:
        if value <= bound:
            return bound_text(bound)
    return "+Inf"


def day_key(at: float) -> str:
    return datetime.fromtimestamp(at, CST).strftime("%Y-%m-%d")


def hour_key(at: float) -> str:
    return datetime.fromtimestamp(at, CST).strftime("%Y-%m-%dT%H")


def quarter_start(at: float) -> int:
    return int(at // QUARTER_S * QUARTER_S)


def _int(raw: dict, key: str) -> int:
    try:
        return int(float(raw.get(key) or 0))
    except ValueError:
        return 0


def service_level(raw: dict) -> float:
    """Answered within three rings over calls whose wait has ended (answered, gave up,
    or chose a callback). Zero calls -> 1.0, nothing has been missed yet."""
    done = (_int(raw, "answered_in_window") + _int(raw, "answered_late")
            + _int(raw, "abandoned_waiting") + _int(raw, "callbacks_requested"))
    return _int(raw, "answered_in_window") / done if done else 1.0


def build_snapshot(now: float, day: dict, hour: dict, quarters: list[tuple[int, dict]],
                   seats: dict[str, dict], waiting: Iterable[Entry],
                   callbacks: dict[str, int], elderly_in_progress: int) -> dict:
    """Everything a supervisor watches, from raw counters; pure."""
    waiting = list(waiting)
    live = [e for e in waiting if e.kind == "live"]
    answered = _int(day, "answered_total")
    handled = _int(day, "handled")
    by_state = {str(state): 0 for state in SeatState}
    for entry in seats.values():
        by_state[entry["state"]] = by_state.get(entry["state"], 0) + 1
    hour_offered = _int(hour, "offered")
    elapsed_h = max((now % 3600) / 3600.0, 1 / 60)
    return {
        "at": now,
        "waiting": len(live),
        "longest_wait_s": round(max((now - e.arrived_at for e in live), default=0.0), 1),
        "elderly_waiting": sum(1 for e in live if e.priority == 0),
        "elderly_in_progress": elderly_in_progress,
        "offered": _int(day, "offered"),
        "answered_in_window": _int(day, "answered_in_window"),
        "answered_late": _int(day, "answered_late"),
        "abandoned": _int(day, "abandoned_waiting") + _int(day, "abandoned_ivr"),
        "abandoned_waiting": _int(day, "abandoned_waiting"),
        "abandoned_ivr": _int(day, "abandoned_ivr"),
        "service_level": round(service_level(day), 4),
        "asa_s": round(_int(day, "wait_ms_total") / answered / 1000, 1) if answered else 0.0,
        "aht_s": round(_int(day, "handle_ms_total") / handled / 1000, 1) if handled else 0.0,
        "calls_per_hour": round(hour_offered / elapsed_h, 1),
        "callbacks": {
            **callbacks,
            "done": _int(day, "callbacks_done"),
            "failed": _int(day, "callbacks_failed"),
            "requested": _int(day, "callbacks_requested"),
            "in_time": _int(day, "callbacks_in_time"),
        },
        "seats": by_state,
        "per_seat": seats,
        "hour": {"offered": hour_offered,
                 "answered_in_window": _int(hour, "answered_in_window"),
                 "service_level": round(service_level(hour), 4)},
        "series": [{"start": start, "offered": _int(raw, "offered"),
                    "answered_in_window": _int(raw, "answered_in_window"),
                    "service_level": round(service_level(raw), 4)} for start, raw in quarters],
    }


class Stats:
    """Counters and the snapshot publisher for one hotline instance."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.channel = f"{prefix}:stats"
        self.snapshot_key = f"{prefix}:stats:snapshot"
        self.callbacks_key = f"{prefix}:callbacks-open"  # zset id -> due_at
        self.elderly_key = f"{prefix}:elderly-active"
        self.totals_key = f"{prefix}:stats:totals"  # monotonic, never expires

    async def count(self, at: float | None = None,
                    observe: Iterable[tuple[str, str, float]] = (),
                    **increments: float) -> None:
        """Add `increments` to the day's, hour's and quarter's counters and to the totals;
        `observe`: (histogram, outcome, seconds) observations, into the totals only.
        One transaction: a reader sees all of it or none."""
        at = time.time() if at is None else at
        keys = (f"{self.prefix}:stats:day:{day_key(at)}",
                f"{self.prefix}:stats:hour:{hour_key(at)}",
                f"{self.prefix}:stats:q:{quarter_start(at)}")
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in keys:
                for name, value in increments.items():
                    pipe.hincrbyfloat(key, name, value)
                pipe.expire(key, 8 * 86400)
            for name, value in increments.items():
                pipe.hincrbyfloat(self.totals_key, name, value)
            for histogram, outcome, seconds in observe:
                seconds = max(0.0, float(seconds))
                bucket = bucket_of(HISTOGRAMS[histogram], seconds)
                pipe.hincrby(self.totals_key, f"{histogram}|{outcome}|{bucket}", 1)
                pipe.hincrbyfloat(self.totals_key, f"{histogram}|{outcome}|sum", seconds)
            await pipe.execute()

    async def totals(self) -> dict[str, str]:
        """The monotonic totals as stored: counter names, and histogram fields
        `<histogram>|<outcome>|<bound>` (one bucket each, not cumulative) and `...|sum`."""
        return await self.redis.hgetall(self.totals_key)

    async def callback_open(self, callback_id: str, due_at: float) -> None:
        await self.redis.zadd(self.callbacks_key, {callback_id: due_at})

    async def callback_closed(self, callback_id: str) -> None:
        await self.redis.zrem(self.callbacks_key, callback_id)

    async def elderly(self, uniqueid: str, active: bool) -> None:
        if active:
            await self.redis.sadd(self.elderly_key, uniqueid)
        else:
            await self.redis.srem(self.elderly_key, uniqueid)

    async def snapshot(self, seats: dict[str, dict], waiting: list[Entry]) -> dict:
        now = time.time()
        quarters = [quarter_start(now) - QUARTER_S * i for i in range(SERIES_QUARTERS)][::-1]
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(f"{self.prefix}:stats:day:{day_key(now)}")
            pipe.hgetall(f"{self.prefix}:stats:hour:{hour_key(now)}")
            for start in quarters:
                pipe.hgetall(f"{self.prefix}:stats:q:{start}")
            pipe.zcard(self.callbacks_key)
            pipe.zcount(self.callbacks_key, now, now + 60)
            pipe.zcount(self.callbacks_key, "-inf", now)
            pipe.scard(self.elderly_key)
            rows = await pipe.execute()
        day, hour, *rest = rows
        quarter_rows = rest[:len(quarters)]
        pending, due_soon, overdue, elderly = rest[len(quarters):]
        callbacks = {"pending": pending, "due_next_minute": due_soon, "overdue": overdue}
        return build_snapshot(now, day, hour, list(zip(quarters, quarter_rows, strict=True)),
                              seats, waiting, callbacks, elderly)

    async def publish(self, snapshot: dict) -> None:
        text = json.dumps(snapshot, ensure_ascii=False)
        await self.redis.set(self.snapshot_key, text)
        await self.redis.publish(self.channel, text)

"""The call load of `hotline bench acd` and what it measured, as pure functions.

Kept free of I/O so the arithmetic the benchmark reports (Poisson arrivals, time
compression, percentiles, matching phone events to callers) is unit-tested and the
same for every engine compared. Percentiles are `acd.percentile.percentile` (nearest
rank), the project's one definition.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from acd.erlang import erlang_c
from acd.percentile import percentile

Event = dict[str, Any]


@dataclass(frozen=True)
class LoadModel:
    """DESIGN.md's load model, in real (uncompressed) seconds."""

    calls_per_hour: float = 105.0
    seats: int = 10
    aht_s: float = 240.0  # talk plus wrap-up
    window_s: float = 15.0  # a person within three rings
    promise_s: float = 300.0  # callback within five minutes
    wrapup_s: float = 15.0
    answer_after_s: float = 3.0  # the agent picks up after this much ringing
    request_s: float = 30.0  # a caller the IVR takes spends this long leaving the request
    talk_spread: float = 0.5  # talk is uniform in mean * (1 -/+ spread)

    def scaled(self, factor: float) -> LoadModel:
        """Keep every ratio: times shrink by `factor`, the call rate grows by it."""
        return LoadModel(self.calls_per_hour * factor, self.seats, self.aht_s / factor,
                         self.window_s / factor, self.promise_s / factor,
                         self.wrapup_s / factor, self.answer_after_s / factor,
                         self.request_s / factor, self.talk_spread)

    def overloaded(self, factor: float = 1.5) -> LoadModel:
        return LoadModel(self.calls_per_hour * factor, self.seats, self.aht_s, self.window_s,
                         self.promise_s, self.wrapup_s, self.answer_after_s, self.request_s,
                         self.talk_spread)

    @property
    def offered_erlang(self) -> float:
        return self.calls_per_hour * self.aht_s / 3600.0

    @property
    def talk_range_s(self) -> tuple[float, float]:
        """A seat is busy for ringing + talk + wrap-up = AHT on average."""
        mean = self.aht_s - self.wrapup_s - self.answer_after_s
        return (mean * (1 - self.talk_spread), mean * (1 + self.talk_spread))

    def erlang_c_within_window(self) -> float:
        return erlang_c(self.calls_per_hour, self.aht_s, self.seats, self.window_s).service_level


def poisson_offsets(calls: int, calls_per_hour: float, rng: random.Random) -> list[float]:
    """Arrival times (seconds from the start) of a Poisson process; the first at 0."""
    rate = calls_per_hour / 3600.0
    offsets, t = [], 0.0
    for i in range(calls):
        if i:
            t += rng.expovariate(rate)
        offsets.append(t)
    return offsets


def share_within(delays: Sequence[float | None], limit: float) -> float | None:
    """Share of delays at most `limit`; None (never happened) counts as too late."""
    if not delays:
        return None
    return sum(1 for d in delays if d is not None and d <= limit) / len(delays)


def is_callback_ring(event: Event) -> bool:
    """Callbacks ring the seat as "CB <number>"; a live call carries no display name."""
    return '"CB ' in str(event.get("from", ""))


@dataclass(frozen=True)
class LiveCall:
    """When a caller's own (live) call first rang a seat and a seat answered it."""

    ring_t: float | None = None
    answered_t: float | None = None
    seat: str = ""


def live_calls(events: Sequence[Event], callers: Iterable[str]) -> dict[str, LiveCall]:
    """Match seat-phone events to callers by caller number (each caller has its own).

    A ring belongs to a caller when its caller ID is theirs and it is not a callback;
    the answer is the phone's `answered` for one of those rings (ringall rings several).
    """
    wanted = set(callers)
    rings: dict[str, list[Event]] = {}
    for event in events:
        if (event.get("event") == "ringing" and event.get("caller") in wanted
                and not is_callback_ring(event)):
            rings.setdefault(event["caller"], []).append(event)
    answers = {(e.get("seat"), e.get("call")): e["t"] for e in events
               if e.get("event") == "answered"}
    found = {}
    for caller, rang in rings.items():
        first = min(e["t"] for e in rang)
        answered = sorted((answers[(e["seat"], e["call"])], e["seat"]) for e in rang
                          if (e.get("seat"), e.get("call")) in answers)
        found[caller] = LiveCall(first, answered[0][0] if answered else None,
                                 answered[0][1] if answered else "")
    return {caller: found.get(caller, LiveCall()) for caller in wanted}


@dataclass(frozen=True)
class CallerResult:
    """One SIPp caller: when it was launched and whether anyone answered it."""

    number: str
    arrived_at: float  # the SIPp process was started (its INVITE follows within ms)
    reached: bool  # a 200 OK came (a seat, or the IVR taking the request)
    answer_ms: float | None = None  # SIPp's INVITE -> 200 OK


def first_delays(placed: Sequence[dict]) -> dict[str, float]:
    """Callback id -> delay of its first placement (retries place it again)."""
    first: dict[str, float] = {}
    for row in placed:
        if row["id"] not in first:
            first[row["id"]] = float(row["delay_s"])
    return first


def launch_lag_ms(results: Sequence[CallerResult], live: dict[str, LiveCall]) -> float | None:
    """Median gap between starting SIPp and its INVITE, from calls a seat answered:
    (phone answered - launch) - SIPp's own INVITE->200 time. Both engines carry it."""
    lags = [((live[r.number].answered_t - r.arrived_at) * 1000 - r.answer_ms)
            for r in results if r.answer_ms is not None and r.number in live
            and live[r.number].answered_t is not None]
    value = percentile(lags, 0.5)
    return None if value is None else round(value, 1)


def invite_times(results: Sequence[CallerResult], live: dict[str, LiveCall]) -> dict[str, float]:
    """When each caller's INVITE left: seat answer minus SIPp's INVITE->200 where known,
    else launch time plus the run's median launch lag (SIPp start-up is ~0.1 s)."""
    lag = (launch_lag_ms(results, live) or 0.0) / 1000
    times = {}
    for r in results:
        answered = live.get(r.number, LiveCall()).answered_t
        known = answered is not None and r.answer_ms is not None
        times[r.number] = answered - r.answer_ms / 1000 if known else r.arrived_at + lag
    return times


def run_metrics(results: Sequence[CallerResult], live: dict[str, LiveCall],
                window_s: float, callback_delays: Sequence[float | None] | None,
                promise_s: float, compress: float = 1.0) -> dict[str, Any]:
    """The per-run numbers the benchmark prints; times judged on the compressed clock.

    `max_wait_to_person_s` is the longest INVITE -> seat answer, in real terms (x
    `compress`); `answered_after_window` counts callers a person answered later than
    `window_s` (compressed) after their INVITE."""
    invite = invite_times(results, live)
    waits = [None if live[r.number].answered_t is None
             else live[r.number].answered_t - invite[r.number] for r in results]
    rings = [(live[r.number].ring_t - invite[r.number]) * 1000 for r in results
             if live[r.number].ring_t is not None]
    p50, p99 = percentile(rings, 0.5), percentile(rings, 0.99)
    answered = [w for w in waits if w is not None]
    return {
        "calls": len(results),
        "person_within_15s": _round(share_within(waits, window_s)),
        "callbacks_within_300s": None if callback_delays is None
        else _round(share_within(callback_delays, promise_s)),
        "ring_ms_p50": None if p50 is None else round(p50),
        "ring_ms_p99": None if p99 is None else round(p99),
        "abandoned": _round(sum(1 for r in results if not r.reached) / len(results))
        if results else None,
        "rang_a_seat": len(rings),
        "answered_by_seat": len(answered),
        "max_wait_to_person_s": round(max(answered) * compress, 2) if answered else None,
        "answered_after_window": sum(1 for w in answered if w > window_s),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def double_assignments(log: list[str]) -> list[str]:
    """Replay the ACD's own claim/release log (written inside the atomic scripts, so in
    true order across processes): a seat claimed while held, or a caller held twice."""
    held_by_seat: dict[str, str] = {}
    seat_of_entry: dict[str, str] = {}
    problems = []
    for line in log:
        action, seat, entry, _at = line.split(" ")
        if action == "claim":
            if seat in held_by_seat:
                problems.append(f"seat {seat} claimed for {entry} while held for "
                                f"{held_by_seat[seat]}")
            if entry in seat_of_entry:
                problems.append(f"{entry} got {seat} while holding {seat_of_entry[entry]}")
            held_by_seat[seat] = entry
            seat_of_entry[entry] = seat
        else:
            held_by_seat.pop(seat, None)
            seat_of_entry.pop(entry, None)
    return problems

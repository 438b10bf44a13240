"""The simulated ACD bench over loads and replications: intervals, paired differences, plot.

Replication r of load f draws once (`Draws.make`, seed `seed + 1000 * load index + r`)
and every engine replays those draws; each figure is reported as a mean over the
replications with its 95% interval (`testkit.bench.intervals`), and the paired
difference hotline minus each app_queue engine (and each hotline variant minus the
hotline with product defaults) with its interval and whether it excludes zero.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from acd.policy import CallbackSlack, Reach
from testkit.bench.acd_sim import DISPATCH_LATENCY_S, ENGINES, PATIENCE_S, Draws, simulate
from testkit.bench.intervals import interval, paired_difference
from testkit.call_load import LoadModel

SEED = 8890
LOADS = (0.5, 0.75, 1.0, 1.25, 1.5)
CALLS = 10000
REPLICATIONS = 5
FIGURES = ("person_within_15s", "ring_ms_p50", "ring_ms_p99", "dispatch_gap_ms_p50",
           "dispatch_gap_ms_p99", "callbacks_within_300s", "callbacks_owed", "abandoned",
           "max_wait_to_person_s", "answered_after_15s", "callback_delay_s_max",
           "never_reached")
COLOURS = {"hotline": "#c0392b", "app_queue-ringall": "#2471a3",
           "app_queue-leastrecent": "#229954"}


@dataclass(frozen=True)
class Variant:
    """A hotline run with other callback slack or reach than the product's defaults."""

    slack: CallbackSlack = CallbackSlack()
    reach: Reach = Reach()

    @property
    def name(self) -> str:
        return (f"hotline[due_lead_s={self.slack.due_lead_s:g},"
                f"reserve_seats={self.slack.reserve_seats},min_ring_s={self.reach.min_ring_s:g}]")


def parse_variant(text: str) -> Variant:
    """`due_lead_s=180,reserve_seats=2,min_ring_s=2` (any subset) -> a Variant."""
    slack: dict[str, Any] = {}
    reach: dict[str, Any] = {}
    known = {f.name: (slack, f.type) for f in fields(CallbackSlack)}
    known |= {f.name: (reach, f.type) for f in fields(Reach)}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in known or not value.strip():
            raise ValueError(f"--slack takes name=value of {sorted(known)}, not {part!r}")
        target, kind = known[name]
        target[name] = int(value) if kind in (int, "int") else float(value)
    return Variant(CallbackSlack(**slack), Reach(**reach))


def replication(model: LoadModel, calls: int, seed: int,
                variants: Sequence[Variant] = ()) -> dict[str, dict[str, Any]]:
    """Every engine (and hotline variant) on the same draws."""
    draws = Draws.make(model, calls, seed)
    figures = {engine: simulate(engine, draws, model).figures() for engine in ENGINES}
    for v in variants:
        figures[v.name] = simulate("hotline", draws, model, slack=v.slack,
                                   reach=v.reach).figures()
    return figures


def _summary(runs: list[dict[str, Any]], engines: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for engine in engines:
        out[engine] = {}
        for figure in FIGURES:
            iv = interval([r[engine][figure] for r in runs])
            out[engine][figure] = None if iv is None else iv.as_dict()
    return out


def _differences(runs: list[dict[str, Any]], first: str, second: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for figure in FIGURES:
        iv = paired_difference([r[first][figure] for r in runs],
                               [r[second][figure] for r in runs])
        out[figure] = None if iv is None else {**iv.as_dict(), "excludes_zero": iv.excludes_zero}
    return out


def run_sim_bench(calls: int = CALLS, replications: int = REPLICATIONS,
                  loads: Sequence[float] = LOADS, seed: int = SEED,
                  variants: Sequence[Variant] = (),
                  plot: str | Path | None = "acd-sim.svg") -> dict[str, Any]:
    """The report `hotline bench acd --simulate` prints."""
    if replications < 2:
        raise ValueError("intervals need at least two replications")
    started = time.perf_counter()
    seed_load = LoadModel()
    engines = [*ENGINES, *(v.name for v in variants)]
    rows = []
    for k, factor in enumerate(loads):
        model = seed_load.overloaded(factor)
        runs = [replication(model, calls, seed + 1000 * k + r, variants)
                for r in range(replications)]
        rows.append({
            "load": factor, "calls_per_hour": round(model.calls_per_hour, 2),
            "offered_erlang": round(model.offered_erlang, 2),
            "engines": _summary(runs, engines),
            "hotline_minus": {other: _differences(runs, "hotline", other)
                              for other in ENGINES[1:]},
            "variant_minus_hotline": {v.name: _differences(runs, v.name, "hotline")
                                      for v in variants},
        })
    report: dict[str, Any] = {
        "simulate": True, "calls_per_replication": calls, "replications": replications,
        "seed": seed, "loads": rows,
        "context": {
            "clock": "virtual; seconds of the load model, not compressed",
            "load_model": {"seats": seed_load.seats, "aht_s": seed_load.aht_s,
                           "wrapup_s": seed_load.wrapup_s,
                           "answer_after_s": seed_load.answer_after_s,
                           "talk_s": [round(x, 1) for x in seed_load.talk_range_s],
                           "ivr_request_s": seed_load.request_s,
                           "citizen_answers_after_s": [3.0, 10.0]},
            "hotline": {"policy": "longest_idle (acd.policy.plan, the product's code)",
                        "callback_slack": vars(CallbackSlack()), "reach": vars(Reach()),
                        "ring_until": "arrival + 15 - 1 s", "seat_ring_s": 8,
                        "dispatch_latency_ms": DISPATCH_LATENCY_S * 1000},
            "app_queue": {"retry_s": 1, "wrapuptime_s": seed_load.wrapup_s, "timeout_s": 8,
                          "patience_s": PATIENCE_S, "autofill": "yes",
                          "ringall_ties": "first seat in seat order",
                          "dispatch_latency_ms": DISPATCH_LATENCY_S * 1000},
            "figures": {
                "person_within_15s": "a seat answered the caller's own call within 15 s "
                                     "of arrival; callbacks count as not",
                "ring_ms": "arrival -> the first seat ring, callers who rang a seat",
                "dispatch_gap_ms": "a seat freed while a live caller could be offered it "
                                   "-> that seat's next ring",
                "callbacks_within_300s": "the agent answered and the citizen was dialled "
                                         "within 300 s of the original arrival",
                "max_wait_to_person_s": "arrival -> a person talking to the citizen "
                                        "(a seat, or the citizen answering the callback)",
                "sustained": "each load runs for all its calls: above 1.4x the seats "
                             "cannot keep up (offered Erlang > seats) and the backlog "
                             "grows with the number of calls",
            }},
    }
    if plot:
        write_svg(Path(plot), rows, engines=ENGINES)
        report["plot"] = str(Path(plot).resolve())
    report["wall_s"] = round(time.perf_counter() - started, 2)
    return report


def _mean(row: dict[str, Any], engine: str, figure: str) -> tuple[float, float, float] | None:
    cell = row["engines"][engine][figure]
    if cell is None:
        return None
    low, high = cell["ci95"]
    return (cell["mean"], cell["mean"] if low is None else low,
            cell["mean"] if high is None else high)


def write_svg(path: Path, rows: list[dict[str, Any]], engines: Sequence[str] = ENGINES) -> None:
    """Two panels: person within 15 s and dispatch-gap p99 against load, 95% whiskers."""
    width, height, pw, ph, top = 960, 440, 360, 280, 60
    loads = [r["load"] for r in rows]
    x_low, x_high = min(loads) - 0.1, max(loads) + 0.1
    panels = [("person_within_15s", "person within 15 s (share of callers)", 0.0, 1.0),
              ("dispatch_gap_ms_p99", "dispatch gap p99 (ms): seat free -> next ring",
               0.0, 1100.0)]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="16">'
           f'hotline bench acd --simulate: mean and 95% interval over replications</text>']
    for p, (figure, label, y_low, y_high) in enumerate(panels):
        left = 80 + p * (pw + 120)

        def sx(x: float, left: float = left) -> float:
            return left + (x - x_low) / (x_high - x_low) * pw

        def sy(y: float, y_low: float = y_low, y_high: float = y_high) -> float:
            y = min(max(y, y_low), y_high)
            return top + ph - (y - y_low) / (y_high - y_low) * ph

        out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" '
                   f'stroke="#333"/>')
        for k in range(6):
            y = y_low + (y_high - y_low) * k / 5
            out.append(f'<line x1="{left}" x2="{left + pw}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" '
                       f'stroke="#ddd"/><text x="{left - 6}" y="{sy(y) + 4:.1f}" '
                       f'text-anchor="end">{y:g}</text>')
        for x in loads:
            out.append(f'<text x="{sx(x):.1f}" y="{top + ph + 18}" text-anchor="middle">'
                       f'{x:g}</text>')
        out.append(f'<text x="{left + pw / 2}" y="{top + ph + 38}" text-anchor="middle">'
                   f'load (times the seed load of 105 calls/h, 10 seats)</text>')
        out.append(f'<text x="{left - 50}" y="{top + ph / 2}" text-anchor="middle" '
                   f'transform="rotate(-90 {left - 50} {top + ph / 2})">{label}</text>')
        for engine in engines:
            colour = COLOURS.get(engine, "#555")
            points = [(r["load"], m) for r in rows if (m := _mean(r, engine, figure))]
            if not points:
                continue
            path_d = " ".join(f"{'M' if k == 0 else 'L'}{sx(x):.1f},{sy(m[0]):.1f}"
                              for k, (x, m) in enumerate(points))
            out.append(f'<path d="{path_d}" fill="none" stroke="{colour}" stroke-width="2"/>')
            for x, (mean, low, high) in points:
                out.append(f'<line x1="{sx(x):.1f}" x2="{sx(x):.1f}" y1="{sy(low):.1f}" '
                           f'y2="{sy(high):.1f}" stroke="{colour}" stroke-width="1.5"/>'
                           f'<line x1="{sx(x) - 5:.1f}" x2="{sx(x) + 5:.1f}" y1="{sy(low):.1f}" '
                           f'y2="{sy(low):.1f}" stroke="{colour}"/>'
                           f'<line x1="{sx(x) - 5:.1f}" x2="{sx(x) + 5:.1f}" '
                           f'y1="{sy(high):.1f}" y2="{sy(high):.1f}" stroke="{colour}"/>'
                           f'<circle cx="{sx(x):.1f}" cy="{sy(mean):.1f}" r="3.5" '
                           f'fill="{colour}"/>')
    y = top + ph + 62
    for k, engine in enumerate(engines):
        x = 80 + k * 260
        out.append(f'<line x1="{x}" x2="{x + 24}" y1="{y}" y2="{y}" '
                   f'stroke="{COLOURS.get(engine, "#555")}" stroke-width="3"/>'
                   f'<text x="{x + 30}" y="{y + 4}">{engine}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")

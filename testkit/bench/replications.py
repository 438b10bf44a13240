"""The summary of `hotline bench acd --replications N`: means, intervals, paired verdicts.

Pure: it reads the raw runs (each carries its replication, load and engine) and uses
testkit.bench.intervals for every interval. Within a replication every engine saw the
same arrivals and talk times, so hotline minus each app_queue engine is paired by
replication; a verdict is "ahead" or "behind" only when that difference's 95% interval
excludes zero, else "no claim".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from testkit.bench.intervals import interval, paired_difference

HIGHER_IS_BETTER = {"person_within_15s": True, "ring_ms_p50": False, "ring_ms_p99": False,
                    "dispatch_gap_ms_p50": False, "dispatch_gap_ms_p99": False,
                    "abandoned": False, "callbacks_within_300s": True,
                    "max_wait_to_person_s": False}
FIGURES = tuple(HIGHER_IS_BETTER)
HOTLINE = "hotline"


def verdict(figure: str, difference: Any) -> str:
    """`difference` is an Interval of hotline - other (None: nothing to compare)."""
    if difference is None or not difference.excludes_zero:
        return "no claim"
    better = difference.mean > 0 if HIGHER_IS_BETTER[figure] else difference.mean < 0
    return "ahead" if better else "behind"


def _values(runs: Sequence[dict], load: str, engine: str, figure: str,
            replications: Sequence[int]) -> list[float | None]:
    by_rep = {r["replication"]: r for r in runs if r["load"] == load and r["engine"] == engine}
    return [by_rep.get(rep, {}).get(figure) for rep in replications]


def summarize(runs: Sequence[dict]) -> dict[str, Any]:
    """Per load and engine, each figure's mean and 95% interval; per load, hotline minus
    each other engine, paired by replication, with its interval and verdict."""
    loads = list(dict.fromkeys(r["load"] for r in runs))
    engines = list(dict.fromkeys(r["engine"] for r in runs))
    replications = sorted({r["replication"] for r in runs})
    figures: dict[str, Any] = {}
    versus: dict[str, Any] = {}
    for load in loads:
        figures[load] = {}
        for engine in engines:
            row = {}
            for figure in FIGURES:
                got = interval(_values(runs, load, engine, figure, replications))
                row[figure] = None if got is None else got.as_dict()
            figures[load][engine] = row
        if HOTLINE not in engines:
            continue
        versus[load] = {}
        for other in (e for e in engines if e != HOTLINE):
            row = {}
            for figure in FIGURES:
                ours = _values(runs, load, HOTLINE, figure, replications)
                theirs = _values(runs, load, other, figure, replications)
                diff = paired_difference(ours, theirs)
                row[figure] = {**(diff.as_dict() if diff else {"mean": None, "ci95": None,
                                                               "n": 0}),
                               "excludes_zero": bool(diff and diff.excludes_zero),
                               "verdict": verdict(figure, diff)}
            versus[load][f"{HOTLINE} - {other}"] = row
    return {"replications": len(replications), "figures": figures,
            "hotline_minus": versus,
            "directions": {f: "higher is better" if up else "lower is better"
                           for f, up in HIGHER_IS_BETTER.items()},
            "verdicts": "ahead/behind only when the paired difference's 95% interval "
                        "excludes zero; else no claim"}

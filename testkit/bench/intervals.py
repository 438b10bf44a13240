"""Means and 95% intervals over a bench's replications, and of paired differences.

A shared, noisy machine makes one run's figure an anecdote: the ACD benches repeat a
load N times (the same draws for every engine inside one replication, new draws across
replications) and report each figure as a mean with a Student-t interval. A claim that
one engine is ahead needs the interval of the paired difference to exclude zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Two-sided 95% quantiles of Student's t by degrees of freedom; between the rows the next
# smaller df is used (a slightly wider, so honest, interval).
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
         9: 2.262, 10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 25: 2.060, 30: 2.042,
         40: 2.021, 60: 2.000, 120: 1.980}
_Z975 = 1.960


def t975(df: int) -> float:
    if df < 1:
        raise ValueError("an interval needs at least two values")
    if df > 120:
        return _Z975
    return _T975[max(k for k in _T975 if k <= df)]


@dataclass(frozen=True)
class Interval:
    """A mean over n values and its 95% interval (None bounds with a single value)."""

    mean: float
    low: float | None
    high: float | None
    n: int

    @property
    def excludes_zero(self) -> bool:
        return self.low is not None and self.high is not None and (
            self.low > 0 or self.high < 0)

    def as_dict(self, digits: int = 3) -> dict:
        def rounded(x: float | None) -> float | None:
            return None if x is None else round(x, digits)

        return {"mean": rounded(self.mean), "ci95": [rounded(self.low), rounded(self.high)],
                "n": self.n}


def interval(values: Sequence[float | None]) -> Interval | None:
    """Mean and t interval of the values that exist; None when there are none."""
    known = [float(v) for v in values if v is not None]
    if not known:
        return None
    n = len(known)
    mean = sum(known) / n
    if n == 1:
        return Interval(mean, None, None, 1)
    sd = math.sqrt(sum((x - mean) ** 2 for x in known) / (n - 1))
    half = t975(n - 1) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


def paired_difference(first: Sequence[float | None],
                      second: Sequence[float | None]) -> Interval | None:
    """Interval of first - second over the replications where both were measured: the
    pairing removes what the replication's draws did to both engines alike."""
    return interval([a - b for a, b in zip(first, second, strict=True)
                     if a is not None and b is not None])

"""The one percentile definition of the project: every statistic and benchmark uses it.

Nearest rank: the q-th percentile of n samples is the smallest sample such that at
least q * n of the samples are at most it, i.e. the sample of rank ceil(q * n) in
ascending order (rank 1 for q = 0). It is always one of the measured values, never
an interpolation, so "p99 = 120 ms" means some call really took 120 ms. With 1..100,
p50 is 50 and p99 is 99; with [1, 2, 3], p50 is 2.

No samples have no percentile: the answer is None, and the caller decides how to
show it (JSON null, a dash), rather than a made-up 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(samples: Iterable[float], q: float) -> float | None:
    """Nearest-rank percentile of `samples` for q in [0, 1]; None when there are none."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q is a fraction in [0, 1], not {q!r}")
    ordered = sorted(samples)
    if not ordered:
        return None
    # round() first: 0.07 * 100 is 7.000000000000001 in binary floating point, rank 7.
    rank = max(1, math.ceil(round(q * len(ordered), 9)))
    return ordered[rank - 1]

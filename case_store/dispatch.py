"""Choose the partner company for a life-service case: nearest, fair, best.

A pure function of a snapshot (companies of the trade, their recent order counts, the
caller's location), so the policy is easy to test and to explain: every choice carries a
human-readable reason that the store keeps on the case.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from case_store.standing import DISPATCHABLE

WEIGHT_NEAR = 0.4
WEIGHT_FAIR = 0.3
WEIGHT_BEST = 0.3
NEAR_KM = 3.0  # at this distance the nearness score halves
FLOOD_MARGIN = 5  # orders above the least-loaded company that make a company "flooded"


@dataclass(frozen=True)
class CompanyView:
    """What the policy needs to know about one company."""

    code: str
    name: str
    trade: str
    lat: float | None
    lon: float | None
    rating: float  # 0..5
    standing: str
    load: int  # orders dispatched to it in the fairness window


@dataclass(frozen=True)
class Choice:
    """A ranked candidate and why it ranks there."""

    code: str
    score: float
    reason: str


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(
        (lon2 - lon1) / 2
    ) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def rank_companies(
    companies: Iterable[CompanyView],
    trade: str,
    place: tuple[float, float] | None,
    exclude: frozenset[str] = frozenset(),
) -> list[Choice]:
    """Eligible companies of ``trade``, best first.

    Suspended or terminated companies and those in ``exclude`` (already missed this case)
    never appear. A flooded company (FLOOD_MARGIN orders above the least loaded) is
    dropped while any non-flooded one remains, so nobody is starved or flooded.
    """
    pool = [
        c for c in companies
        if c.trade == trade and c.standing in DISPATCHABLE and c.code not in exclude
    ]
    if not pool:
        return []
    least = min(c.load for c in pool)
    calm = [c for c in pool if c.load - least < FLOOD_MARGIN]
    pool = calm or pool
    ranked = []
    for c in pool:
        if place is not None and c.lat is not None and c.lon is not None:
            km = distance_km(place, (c.lat, c.lon))
            near, where = 1.0 / (1.0 + km / NEAR_KM), f"{km:.1f} km away"
        else:
            near, where = 0.5, "distance unknown"
        fair = 1.0 / (1.0 + c.load - least)
        best = max(0.0, min(c.rating, 5.0)) / 5.0
        score = WEIGHT_NEAR * near + WEIGHT_FAIR * fair + WEIGHT_BEST * best
        reason = (
            f"{c.name}: {where}, {c.load} recent orders (fewest {least}), "
            f"rating {c.rating:.1f}, score {score:.3f}"
        )
        ranked.append(Choice(c.code, round(score, 6), reason))
    ranked.sort(key=lambda ch: (-ch.score, ch.code))
    return ranked

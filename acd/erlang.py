"""Erlang C: what a queue of N agents should achieve for a given load.

Pure arithmetic, used by the wallboard's staffing estimate and by `hotline bench acd`
to judge the engine against theory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ErlangC:
    offered_erlang: float
    agents: int
    prob_wait: float  # share of callers who wait at all
    service_level: float  # share answered within the target time
    asa_s: float  # average speed of answer over all callers


def erlang_c(calls_per_hour: float, aht_s: float, agents: int, target_s: float) -> ErlangC:
    """Erlang C for Poisson arrivals; an overloaded queue (A >= N) waits with certainty."""
    load = calls_per_hour * aht_s / 3600.0
    if agents <= 0 or load >= agents:
        return ErlangC(load, agents, 1.0, 0.0, math.inf)
    if load == 0:
        return ErlangC(0.0, agents, 0.0, 1.0, 0.0)
    term = 1.0
    total = 1.0
    for k in range(1, agents):
        term *= load / k
        total += term
    top = term * load / agents * agents / (agents - load)
    prob_wait = top / (total + top)
    service_level = 1.0 - prob_wait * math.exp(-(agents - load) * target_s / aht_s)
    asa = prob_wait * aht_s / (agents - load)
    return ErlangC(load, agents, prob_wait, service_level, asa)


def agents_needed(calls_per_hour: float, aht_s: float, target_s: float,
                  service_level: float, limit: int = 1000) -> int:
    """Fewest agents whose Erlang C service level reaches the goal."""
    agents = max(1, math.ceil(calls_per_hour * aht_s / 3600.0))
    while agents < limit:
        if erlang_c(calls_per_hour, aht_s, agents, target_s).service_level >= service_level:
            return agents
        agents += 1
    return limit

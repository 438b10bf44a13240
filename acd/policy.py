"""Routing policy: which waiting entry gets which free seat. A pure function of a snapshot.

Entries are served in line order (rank already folds in priority and aging). For each,
the seat is chosen among the free ones: the agent who handled the caller's case when
free, else a seat with the topic's skill when one is free, else by the policy:
longest idle (default), fewest calls, or round robin after the last assigned seat.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum

from acd.line import Entry
from acd.seat_state import SeatFacts, can_take_call


class Policy(StrEnum):
    LONGEST_IDLE = "longest_idle"
    FEWEST_CALLS = "fewest_calls"
    ROUND_ROBIN = "round_robin"


def _order(free: list[SeatFacts], policy: Policy, all_seats: Sequence[str]) -> list[SeatFacts]:
    if policy is Policy.FEWEST_CALLS:
        return sorted(free, key=lambda f: (f.calls, f.idle_since, f.seat))
    if policy is Policy.ROUND_ROBIN:
        last = max((f for f in free), key=lambda f: f.last_assigned, default=None)
        order = list(all_seats)
        start = order.index(last.seat) + 1 if last and last.last_assigned else 0
        position = {seat: (i - start) % len(order) for i, seat in enumerate(order)}
        return sorted(free, key=lambda f: position.get(f.seat, len(order)))
    return sorted(free, key=lambda f: (f.idle_since, f.seat))


def choose_seat(entry: Entry, free: list[SeatFacts], policy: Policy,
                all_seats: Sequence[str]) -> SeatFacts | None:
    free = [f for f in free if f.seat not in entry.tried_seats]  # it rang there already
    if not free:
        return None
    if entry.preferred_seat:
        for facts in free:
            if facts.seat == entry.preferred_seat:
                return facts
    ordered = _order(free, policy, all_seats)
    if entry.topic:
        skilled = [f for f in ordered if entry.topic in f.skills]
        if skilled:
            return skilled[0]
    return ordered[0]


def plan(entries: Iterable[Entry], seats: Sequence[SeatFacts], now: float,
         policy: Policy = Policy.LONGEST_IDLE) -> list[tuple[Entry, SeatFacts]]:
    """Pairs to claim, best first. Callbacks in backoff wait; a round-robin seat goes once."""
    free = [s for s in seats if can_take_call(s, now)]
    all_seats = [s.seat for s in seats]
    pairs: list[tuple[Entry, SeatFacts]] = []
    for entry in entries:
        if not free:
            break
        if entry.not_before > now:
            continue
        chosen = choose_seat(entry, free, policy, all_seats)
        if chosen is None:
            continue
        pairs.append((entry, chosen))
        free = [f for f in free if f.seat != chosen.seat]
    return pairs

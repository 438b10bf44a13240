"""Routing policy: which waiting entry gets which free seat. A pure function of a snapshot.

Entries are served in line order (rank already folds in priority and aging). For each,
the seat is chosen among the free ones: the agent who handled the caller's case when
free, else a seat with the topic's skill when one is free, else by the policy:
longest idle (default), fewest calls, or round robin after the last assigned seat.

A callback owes its citizen five minutes, a live caller is waiting on three rings: a
callback keeps its original arrival in the line, but until it falls due (the last
`due_lead_s` before its deadline) it yields to live callers and leaves `reserve_seats`
free for the next one. Once due it goes in arrival order, ahead of everyone who called
later, so the promise holds even when every seat is busy.

A live caller is offered a seat only while that seat can still ring for `min_ring_s`
and be answered inside the caller's window (`Entry.ring_until`); later, the IVR takes
the caller on time instead of a person answering past the third ring.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from acd.line import Entry
from acd.seat_state import SeatFacts, can_take_call


class Policy(StrEnum):
    LONGEST_IDLE = "longest_idle"
    FEWEST_CALLS = "fewest_calls"
    ROUND_ROBIN = "round_robin"


@dataclass(frozen=True)
class CallbackSlack:
    """How a callback spends the slack of its promise on live callers."""

    due_lead_s: float = 180.0
    reserve_seats: int = 1

    def due_from(self, entry: Entry) -> float:
        """When the entry stops yielding: live callers never yield."""
        return entry.due_at - self.due_lead_s if entry.kind == "callback" else 0.0


@dataclass(frozen=True)
class Reach:
    """How long a seat must be able to ring for an offer to be worth making."""

    min_ring_s: float = 4.0

    def in_time(self, entry: Entry, now: float) -> bool:
        """A live caller must have `min_ring_s` left before the IVR answers. Callbacks and
        emergency rooms have no window, and an elderly terminal (priority 0) takes any
        seat up to its last moment: it must never wait while someone behind it is served."""
        return entry.kind != "live" or entry.priority == 0 or entry.ring_until <= 0 \
            or now + self.min_ring_s <= entry.ring_until


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


def ranked_seats(entry: Entry, free: list[SeatFacts], policy: Policy,
                 all_seats: Sequence[str]) -> list[SeatFacts]:
    """The free seats this entry would take, best first: the agent who handled the
    caller, then seats with the topic's skill, then the policy's order."""
    free = [f for f in free if f.seat not in entry.tried_seats]  # it rang there already
    ordered = _order(free, policy, all_seats)
    if entry.topic:
        ordered = sorted(ordered, key=lambda f: entry.topic not in f.skills)  # stable
    if entry.preferred_seat:
        ordered = sorted(ordered, key=lambda f: f.seat != entry.preferred_seat)
    return ordered


def choose_seat(entry: Entry, free: list[SeatFacts], policy: Policy,
                all_seats: Sequence[str]) -> SeatFacts | None:
    ranked = ranked_seats(entry, free, policy, all_seats)
    return ranked[0] if ranked else None


def fast_candidates(entry: Entry, seats: Sequence[SeatFacts], now: float, policy: Policy,
                    limit: int = 3) -> list[SeatFacts]:
    """Seats a caller arriving now may take at once (the claim script checks each
    again, and that nobody ahead in line is served first)."""
    free = [s for s in seats if can_take_call(s, now)]
    return ranked_seats(entry, free, policy, [s.seat for s in seats])[:limit]


def plan(entries: Iterable[Entry], seats: Sequence[SeatFacts], now: float,
         policy: Policy = Policy.LONGEST_IDLE,
         slack: CallbackSlack = CallbackSlack(),
         reach: Reach = Reach()) -> list[tuple[Entry, SeatFacts]]:
    """Pairs to claim, best first. Callbacks in backoff wait; a round-robin seat goes once;
    a caller whose window is too near its end for a seat to ring is left to the IVR."""
    free = [s for s in seats if can_take_call(s, now)]
    all_seats = [s.seat for s in seats]
    ready = [e for e in entries if e.not_before <= now and reach.in_time(e, now)]
    first = [e for e in ready if slack.due_from(e) <= now]
    yielding = [e for e in ready if slack.due_from(e) > now]
    pairs: list[tuple[Entry, SeatFacts]] = []
    for entry, keep_free in [(e, 0) for e in first] + [(e, slack.reserve_seats)
                                                       for e in yielding]:
        if len(free) <= keep_free:
            break
        chosen = choose_seat(entry, free, policy, all_seats)
        if chosen is None:
            continue
        pairs.append((entry, chosen))
        free = [f for f in free if f.seat != chosen.seat]
    return pairs


def next_change(entries: Iterable[Entry], seats: Sequence[SeatFacts], now: float,
                slack: CallbackSlack = CallbackSlack()) -> float | None:
    """The next moment the plan can change by the clock alone (a wrap-up ends, a retry's
    backoff or a callback's slack runs out), so the dispatcher wakes then, not a tick later."""
    moments = [s.wrapup_until for s in seats] + [s.settle_until for s in seats]
    for entry in entries:
        moments += [entry.not_before, slack.due_from(entry)]
    future = [m for m in moments if m > now]
    return min(future) if future else None

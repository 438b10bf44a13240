"""`hotline bench acd --simulate`: the ACD engines on a virtual clock, no Asterisk.

A discrete-event simulation of the load model (`testkit.call_load.LoadModel`): one
replication draws the arrivals (Poisson), each call's talk time and each callback
citizen's answer delay and talk once (`Draws`), and every engine replays the same draws,
so engines differ only by their routing. The hotline engine drives the product's own
policy: at every event it calls `acd.policy.plan` on the head of the line (entries sorted
by `acd.line.rank`, at most 100 as the dispatcher reads them) and on `SeatFacts` of the
simulated seats, and acts on each pair as the IVR route and the callback runner do.
The app_queue engines model ringall and leastrecent with app_queue's one-second recheck
and wrapuptime. Figures per run are `Run.figures`; `testkit.bench.acd_sim_report` repeats
runs over loads and replications and reports intervals.
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from acd.line import Entry, rank
from acd.percentile import percentile
from acd.policy import CallbackSlack, Policy, Reach, plan
from acd.seat_state import SeatFacts
from testkit.call_load import LoadModel, poisson_offsets

DISPATCH_LATENCY_S = 0.005  # decision -> the seat's phone rings (claim, AMI, SIP), both kinds
SEAT_RING_S = 8.0  # acd.seat_ring_s; app_queue timeout
IVR_MARGIN_S = 1.0  # ivr.incoming: the IVR answers this much before the window ends
ELDERLY_WINDOW_S = 10.0  # acd.elderly_window_s: a terminal's own, shorter window
PATIENCE_S = 600.0  # an app_queue caller gives up after this
RETRY_S = 1.0  # app_queue's recheck: a caller who found no free member tries again then
CITIZEN_ANSWER_S = (3.0, 10.0)  # a called-back citizen picks up after uniform(a, b)
HEAD = 100  # the dispatcher plans on the first 100 entries of the line
DEFAULT_SLACK = CallbackSlack()  # the product's defaults
DEFAULT_REACH = Reach()
ENGINES = ("hotline", "app_queue-ringall", "app_queue-leastrecent")


@dataclass(frozen=True)
class Draws:
    """Everything random in one replication, shared by every engine."""

    arrivals: list[float]
    talk: list[float]  # the call's talk with the seat that answers it
    citizen_answer: list[float]  # a callback's citizen picks up after this
    citizen_talk: list[float]  # talk on the callback
    priority: list[int]  # 2 normal, 0 elderly terminal (hotline only)

    @classmethod
    def make(cls, model: LoadModel, calls: int, seed: int) -> Draws:
        rng = random.Random(seed)  # noqa: S311 - a reproducible load, not crypto
        arrivals = poisson_offsets(calls, model.calls_per_hour, rng)
        low, high = model.talk_range_s
        talk = [rng.uniform(low, high) for _ in range(calls)]
        answer = [rng.uniform(*CITIZEN_ANSWER_S) for _ in range(calls)]
        citizen_talk = [rng.uniform(low, high) for _ in range(calls)]
        return cls(arrivals, talk, answer, citizen_talk, [2] * calls)


class Run:
    """The virtual clock, the event heap and what one engine's run measured."""

    def __init__(self, draws: Draws, model: LoadModel, latency_s: float) -> None:
        self.draws = draws
        self.model = model
        self.latency = latency_s
        self.now = 0.0
        self._heap: list[tuple[float, int, Callable[..., None], tuple]] = []
        self._seq = 0
        n = len(draws.arrivals)
        self.first_ring: list[float | None] = [None] * n
        self.answered: list[float | None] = [None] * n  # a seat answered the live call
        self.person: list[float | None] = [None] * n  # a person talked to the citizen
        self.abandoned = [False] * n
        self.owed: list[bool] = [False] * n
        self.placed: list[float | None] = [None] * n  # callback: agent answered, citizen dialled
        self.gaps: list[float] = []
        self.pending_gap: dict[str, float] = {}  # seat -> freed while a live caller waited
        self.events = 0

    def at(self, t: float, fn: Callable[..., None], *args: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, fn, args))

    def run(self) -> Run:
        for i, t in enumerate(self.draws.arrivals):
            self.at(t, self.arrive, i)
        heap = self._heap
        while heap:
            t, _, fn, args = heapq.heappop(heap)
            self.now = t
            fn(*args)
            self.events += 1
            self.after_event()
        return self

    def arrive(self, i: int) -> None:
        raise NotImplementedError

    def after_event(self) -> None:
        raise NotImplementedError

    def rang(self, i: int | None, seat: str, t: float) -> None:
        """A seat starts ringing at t (for live caller i, or a callback when None)."""
        if i is not None and self.first_ring[i] is None:
            self.first_ring[i] = t
        self.gap(seat, t)

    def gap(self, seat: str, t: float) -> None:
        """The seat's next ring is decided to start at t."""
        freed = self.pending_gap.pop(seat, None)
        if freed is not None:
            self.gaps.append(t - freed)

    def figures(self) -> dict[str, float | int | None]:
        arr = self.draws.arrivals
        n = len(arr)
        window = self.model.window_s
        waits = [a - arr[i] for i, a in enumerate(self.answered) if a is not None]
        rings = [(r - arr[i]) * 1000 for i, r in enumerate(self.first_ring) if r is not None]
        gaps = [g * 1000 for g in self.gaps]
        owed = [i for i in range(n) if self.owed[i]]
        in_time = sum(1 for i in owed if self.placed[i] is not None
                      and self.placed[i] - arr[i] <= self.model.promise_s)
        to_person = [p - arr[i] for i, p in enumerate(self.person) if p is not None]
        delays = [self.placed[i] - arr[i] for i in owed if self.placed[i] is not None]
        return {
            "calls": n,
            "person_within_15s": sum(1 for w in waits if w <= window) / n,
            "ring_ms_p50": percentile(rings, 0.5), "ring_ms_p99": percentile(rings, 0.99),
            "dispatch_gap_ms_p50": percentile(gaps, 0.5),
            "dispatch_gap_ms_p99": percentile(gaps, 0.99),
            "callbacks_owed": len(owed),
            "callbacks_within_300s": in_time / len(owed) if owed else None,
            "callback_delay_s_max": max(delays) if delays else None,
            "abandoned": sum(self.abandoned) / n,
            "max_wait_to_person_s": max(to_person) if to_person else None,
            "answered_after_15s": sum(1 for w in waits if w > window),
            "never_reached": sum(1 for p in self.person if p is None),
        }


class HotlineRun(Run):
    """The hotline: the line, the real `plan`, seats ringing within the caller's window,
    the IVR after it, callbacks owed from the caller's arrival."""

    def __init__(self, draws: Draws, model: LoadModel, latency_s: float = DISPATCH_LATENCY_S,
                 slack: CallbackSlack = DEFAULT_SLACK, reach: Reach = DEFAULT_REACH,
                 policy: Policy = Policy.LONGEST_IDLE, seat_ring_s: float = SEAT_RING_S) -> None:
        super().__init__(draws, model, latency_s)
        self.slack, self.reach, self.policy, self.seat_ring_s = slack, reach, policy, seat_ring_s
        self.facts = {s: SeatFacts(seat=s, device_state="NOT_INUSE")
                      for s in seat_names(model.seats)}
        self.free = set(self.facts)  # seats with no reservation, call or wrap-up
        self.line: list[tuple[float, int, Entry]] = []  # by rank, as the sorted set
        self.live_waiting: dict[int, Entry] = {}  # live callers in line
        self.status: dict[int, str] = {}  # live caller -> waiting, ringing, answered, ivr
        self.plans = 0

    # ---- the line ----
    def join(self, entry: Entry) -> None:
        self._seq += 1
        bisect.insort(self.line, (rank(entry), self._seq, entry))

    def leave(self, entry: Entry) -> None:
        for k, (_, _, e) in enumerate(self.line):
            if e.id == entry.id:
                del self.line[k]
                return

    # ---- live callers (ivr.incoming) ----
    def arrive(self, i: int) -> None:
        t = self.draws.arrivals[i]
        ring_until = t + self.model.window_s - IVR_MARGIN_S  # IncomingRoute.window_end
        elderly = self.draws.priority[i] == 0
        if elderly:
            ring_until = min(ring_until, t + ELDERLY_WINDOW_S)
        entry = Entry(id=f"li-{i}", kind="live", caller=str(i), arrived_at=t,
                      priority=self.draws.priority[i], ring_until=ring_until,
                      origin="terminal" if elderly else "trunk")
        self.join(entry)
        self.live_waiting[i] = entry
        self.status[i] = "waiting"
        self.at(ring_until, self.window_over, i)

    def window_over(self, i: int) -> None:
        if self.status[i] == "waiting":  # a ringing seat ends its ring by then itself
            entry = self.live_waiting.pop(i)
            self.leave(entry)
            self.to_ivr(i)

    def to_ivr(self, i: int) -> None:
        self.status[i] = "ivr"
        self.at(self.now + self.model.request_s, self.owe_callback, i)

    def owe_callback(self, i: int) -> None:
        """Engine.request_callback: due from the caller's original arrival."""
        t = self.draws.arrivals[i]
        callback = Entry(id=f"cb-{i}", kind="callback", caller=str(i), arrived_at=t,
                         priority=self.draws.priority[i], due_at=t + self.model.promise_s)
        self.owed[i] = True
        self.join(callback)
        due = self.slack.due_from(callback)
        if due > self.now:  # the dispatcher's next_change wakes it when it falls due
            self.at(due, _noop)

    # ---- dispatch (acd.dispatcher.run_once) ----
    def after_event(self) -> None:
        if self.line and self.free:
            entries = [e for _, _, e in self.line[:HEAD]]
            self.plans += 1
            for entry, facts in plan(entries, list(self.facts.values()), self.now,
                                     self.policy, self.slack, self.reach):
                self.claim(entry, facts.seat)
        if self.pending_gap and not self._live_offerable():
            self.pending_gap.clear()  # nobody left to ring those seats

    def _live_offerable(self) -> bool:
        return any(self.reach.in_time(e, self.now) for e in self.live_waiting.values())

    def claim(self, entry: Entry, seat: str) -> None:
        self.leave(entry)
        self.free.discard(seat)
        self.facts[seat] = replace(self.facts[seat], reserved_for=entry.id,
                                   last_assigned=self.now)
        i = int(entry.caller)
        if entry.kind == "live":
            self.live_waiting.pop(i, None)
            self.status[i] = "ringing"
        self.gap(seat, self.now + self.latency)
        self.at(self.now + self.latency, self.ring, entry, seat)

    def ring(self, entry: Entry, seat: str) -> None:
        i = int(entry.caller)
        self.facts[seat] = replace(self.facts[seat], device_state="RINGING")
        answer_after = self.model.answer_after_s
        if entry.kind == "live":
            self.rang(i, seat, self.now)
            ring_s = max(0.01, min(self.seat_ring_s, entry.ring_until - self.now))
            if ring_s >= answer_after:
                self.at(self.now + answer_after, self.live_answered, i, seat)
            else:
                self.at(self.now + ring_s, self.no_answer, entry, seat)
        else:  # acd.callbacks: the seat rings first, then the citizen is dialled
            self.rang(None, seat, self.now)
            self.at(self.now + answer_after, self.agent_answered, i, seat)

    def live_answered(self, i: int, seat: str) -> None:
        self.status[i] = "answered"
        self.answered[i] = self.person[i] = self.now
        self.facts[seat] = replace(self.facts[seat], device_state="INUSE")
        self.at(self.now + self.draws.talk[i], self.call_over, seat)

    def no_answer(self, entry: Entry, seat: str) -> None:
        """Engine.seat_result: back in line with the seat in `tried`, or the IVR."""
        self.facts[seat] = replace(self.facts[seat], device_state="NOT_INUSE", reserved_for="",
                                   device_free_at=self.now)
        self.seat_free(seat)
        i = int(entry.caller)
        if self.now >= entry.ring_until - 1e-6:  # the window is over: the IVR answers
            self.to_ivr(i)
            return
        again = replace(entry, tried=",".join(sorted(entry.tried_seats | {seat})))
        self.join(again)
        self.live_waiting[i] = again
        self.status[i] = "waiting"

    def agent_answered(self, i: int, seat: str) -> None:
        self.placed[i] = self.now  # CallbackRunner.placed: the citizen's leg is dialled
        self.facts[seat] = replace(self.facts[seat], device_state="INUSE")
        self.at(self.now + self.draws.citizen_answer[i], self.citizen_answered, i, seat)

    def citizen_answered(self, i: int, seat: str) -> None:
        self.person[i] = self.now
        self.at(self.now + self.draws.citizen_talk[i], self.call_over, seat)

    def call_over(self, seat: str) -> None:
        """SeatBoard.release(answered=True): wrap-up, idle from its end."""
        f = self.facts[seat]
        until = self.now + self.model.wrapup_s
        self.facts[seat] = replace(f, device_state="NOT_INUSE", reserved_for="",
                                   wrapup_until=until, idle_since=until, calls=f.calls + 1,
                                   call_ended_at=self.now, device_free_at=self.now)
        self.at(until, self.seat_free, seat)

    def seat_free(self, seat: str) -> None:
        self.free.add(seat)
        if self._live_offerable():
            self.pending_gap[seat] = self.now


class QueueRun(Run):
    """app_queue: callers wait in the queue (ringback, no IVR), members ring per strategy;
    a caller who found no free member tries again at its next one-second recheck."""

    def __init__(self, draws: Draws, model: LoadModel, strategy: str,
                 latency_s: float = DISPATCH_LATENCY_S, patience_s: float = PATIENCE_S) -> None:
        super().__init__(draws, model, latency_s)
        if strategy not in ("ringall", "leastrecent"):
            raise ValueError(f"unknown app_queue strategy {strategy!r}")
        self.strategy = strategy
        self.patience = patience_s
        self.seats = seat_names(model.seats)
        self.state = dict.fromkeys(self.seats, "free")
        self.last_end = dict.fromkeys(self.seats, 0.0)
        self.queue: list[int] = []  # callers in arrival order, waiting or ringing
        self.ringing: set[int] = set()
        self.sleeping: set[int] = set()  # rechecking while no member is free

    def arrive(self, i: int) -> None:
        self.queue.append(i)
        self.at(self.now + self.patience, self.give_up, i)
        self.attempt(i)

    def give_up(self, i: int) -> None:
        if i in self.queue and i not in self.ringing:
            self.queue.remove(i)
            self.sleeping.discard(i)
            self.abandoned[i] = True

    def attempt(self, i: int) -> None:
        """is_our_turn with autofill: ring when fewer callers wait ahead than members are
        free; else recheck at the caller's next whole second."""
        if i not in self.queue or i in self.ringing:
            return
        free = [s for s in self.seats if self.state[s] == "free"]
        ahead = 0
        for j in self.queue:
            if j == i:
                break
            if j not in self.ringing:
                ahead += 1
        if len(free) <= ahead:
            if free:
                self.recheck(i)
            else:  # its rechecks find nothing until a member frees: it sleeps till then
                self.sleeping.add(i)
            return
        if self.strategy == "leastrecent":
            rung = [min(free, key=lambda s: self.last_end[s])]  # ties: seat order
        else:
            rung = free
        for s in rung:
            self.state[s] = "ringing"
        self.ringing.add(i)
        start = self.now + self.latency
        for s in rung:
            self.rang(i, s, start)
        # every agent answers after the same ringing: the first in seat order takes it
        self.at(start + self.model.answer_after_s, self.answer, i, rung)

    def recheck(self, i: int) -> None:
        """The caller's next whole second after now, counted from its arrival."""
        t = self.draws.arrivals[i]
        since = self.now - t
        self.at(t + (math.floor(since / RETRY_S + 1e-9) + 1) * RETRY_S, self.attempt, i)

    def answer(self, i: int, rung: Sequence[str]) -> None:
        winner = rung[0]
        self.queue.remove(i)
        self.ringing.discard(i)
        self.answered[i] = self.person[i] = self.now
        self.state[winner] = "talking"
        for s in rung[1:]:
            self.seat_free(s)
        self.at(self.now + self.draws.talk[i], self.call_over, winner)

    def call_over(self, seat: str) -> None:
        self.state[seat] = "wrapup"  # wrapuptime: unavailable, not rung
        self.last_end[seat] = self.now
        self.at(self.now + self.model.wrapup_s, self.seat_free, seat)

    def seat_free(self, seat: str) -> None:
        self.state[seat] = "free"
        if len(self.queue) > len(self.ringing):
            self.pending_gap[seat] = self.now
        for i in self.sleeping:  # the same moments as rechecking every second all along
            self.recheck(i)
        self.sleeping.clear()

    def after_event(self) -> None:
        if self.pending_gap and len(self.queue) <= len(self.ringing):
            self.pending_gap.clear()


def _noop() -> None:
    """A wake-up: the plan may change by the clock alone (a callback falls due)."""


def seat_names(n: int) -> list[str]:
    return [f"{8001 + k}" for k in range(n)]


def simulate(engine: str, draws: Draws, model: LoadModel, **hotline: Any) -> Run:
    """One engine over one replication's draws; `hotline` keywords go to HotlineRun."""
    if engine == "hotline":
        return HotlineRun(draws, model, **hotline).run()
    if engine.startswith("app_queue-"):
        return QueueRun(draws, model, engine.split("-", 1)[1]).run()
    raise ValueError(f"unknown engine {engine!r}")

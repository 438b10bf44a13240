"""The ACD as the IVR and the web console use it: arrivals, seats, callbacks, statistics.

One `Acd` per process; any number of processes share one Redis. The IVR calls
`arrive`, `next_seat`, `seat_result`, `give_up` and `request_callback` while it holds the
caller's channel; the dispatcher and callback runner do the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from acd.callback_numbers import NumberPlan, Verdict, digits_of
from acd.callbacks import (
    CallbackLedger,
    CallbackPolicy,
    CallbackRunner,
    ChannelProbe,
    Originate,
    channel_id_of,
)
from acd.dispatcher import Dispatcher
from acd.emergency_seats import EmergencySeats
from acd.first_voice import FirstVoice
from acd.handovers import Handovers
from acd.leases import Leases, Reaped
from acd.line import Entry, WaitingLine, new_entry_id
from acd.policy import CallbackSlack, Policy, Reach, fast_candidates
from acd.queue_log import QueueLog
from acd.seat_board import SeatBoard
from acd.seat_journal import SeatJournal
from acd.seat_mirror import SeatFactsRecord, SeatMirror
from acd.seat_state import not_ready_yet
from acd.stats import Stats, day_key
from agi_scripts import spool_signature

log = logging.getLogger(__name__)

UrgentLookup = Callable[[str], Awaitable[bool]]
STATE_LOST_HOOK_S = 30.0  # an AMI resync after Redis came back empty gets this long
FALLBACK_STALE_S = 120.0  # a spool file claimed this long ago by a process that died
SPOOL_ALARM_S = 60.0  # records waiting longer than this: the spool is not draining
ASCII_DIGITS = "0123456789"  # str.isdigit() also takes "²" and other scripts' digits
CallbackObserver = Callable[[Entry], Awaitable[None]]  # hears each callback once it is owed
FallbackObserver = Callable[[Entry, str], Awaitable[None]]
BOOKING_WAIT_S = 10.0  # a later record of a call waits this long for its arrival's


class CallRecorder(Protocol):
    """Writes the SQL call record (one row per call, updated as it goes)."""

    async def __call__(self, uniqueid: str, **fields: object) -> None: ...


@dataclass(frozen=True)
class AcdSettings:
    policy: Policy = Policy.LONGEST_IDLE
    ring_window_s: float = 15  # float: `hotline bench acd` compresses time
    seat_ring_s: float = 8
    min_ring_s: float = 4  # an offer needs this much ringing left in the caller's window
    device_settle_s: float = 2  # a seat's call ended: wait at most this for NOT_INUSE
    not_ready_s: float = 0.5  # a phone that could not take a call just after one
    wrapup_s: float = 15
    pause_after_missed: int = 3
    callback_deadline_s: float = 300
    callback_retries: int = 3
    callback_backoff_s: tuple[float, ...] = (30, 60, 120)
    callback_slack: CallbackSlack = CallbackSlack()
    lease_s: float = 15  # a dead process's callers and seats are taken back within this
    settled_ttl_s: float = 900  # a settled line entry stays readable this long, then goes
    number_plan: NumberPlan = NumberPlan()  # what a callback may dial without an agent
    elderly_window_s: float = 10  # an elderly terminal's caller reaches a person or help

    @classmethod
    def from_config(cls, cfg) -> AcdSettings:
        backoff = tuple(float(x) for x in str(cfg.acd_callback_backoff_s).split(",") if x.strip())
        return cls(Policy(cfg.acd_policy), cfg.acd_ring_window_s, cfg.acd_seat_ring_s,
                   cfg.acd_min_ring_s, cfg.acd_device_settle_s, cfg.acd_not_ready_s,
                   cfg.acd_wrapup_s, cfg.acd_pause_after_missed, cfg.acd_callback_deadline_s,
                   cfg.acd_callback_retries, backoff,
                   CallbackSlack(cfg.acd_callback_due_lead_s, cfg.acd_callback_reserve_seats),
                   cfg.acd_lease_s, cfg.acd_settled_ttl_s,
                   NumberPlan.from_config(cfg), cfg.acd_elderly_window_s)


class Acd:
    def __init__(self, redis: Redis, prefix: str, seats: list[str], settings: AcdSettings,
                 originate: Originate, ledger: CallbackLedger, record_call: CallRecorder,
                 urgent_lookup: UrgentLookup | None = None,
                 fallback_spool: Path | None = None,
                 on_callback_requested: Sequence[CallbackObserver] = (),
                 channel_up: ChannelProbe | None = None,
                 lease_owner: str | None = None,
                 seat_record: SeatFactsRecord | None = None,
                 fallback_key: str = "") -> None:
        self.redis = redis
        self.prefix = prefix
        self.settings = settings
        self.line = WaitingLine(redis, prefix, settings.settled_ttl_s)
        self.board = SeatBoard(redis, prefix, seats, settings.device_settle_s,
                               settings.not_ready_s)
        self.stats = Stats(redis, prefix)
        self.seat_mirror = SeatMirror(self.board, seat_record) if seat_record else None
        self.ledger = ledger
        self.record_call = record_call
        self.urgent_lookup = urgent_lookup
        self.fallback_spool = fallback_spool
        self.fallback_key = fallback_key  # the safety net signs its files with it
        self.channel_up = channel_up  # None: a reaped callback's channel counts as gone
        self.leases = Leases(redis, prefix, settings.lease_s, lease_owner)
        self.callbacks = CallbackRunner(
            originate, self.line, self.board, self.stats, ledger,
            CallbackPolicy(settings.seat_ring_s, settings.wrapup_s, settings.callback_retries,
                           settings.callback_backoff_s, settings.pause_after_missed,
                           settings.number_plan.terminals),
            self.leases)
        self.dispatcher = Dispatcher(redis, self.line, self.board, settings.policy,
                                     self.callbacks.place, self.leases, settings.callback_slack,
                                     reach=Reach(settings.min_ring_s))
        self.dispatcher.on_tick.append(self._tick)
        self.epoch_key = f"{prefix}:epoch"
        self._publish_due = 0.0
        self.on_state_lost: list[Callable[[], Awaitable[None]]] = []  # e.g. AMI seat resync
        # Awaited with each callback once it is owed (saved and in line); none by default.
        # E.g. the ACD bench counts the callbacks it must see placed.
        self.on_callback_requested: list[CallbackObserver] = list(on_callback_requested)
        self.emergency_seats: EmergencySeats | None = None  # agents into emergency rooms
        self.first_voice: FirstVoice | None = None  # elderly callers' time to a person
        # Awaited with each request the safety net left, once its callback is owed, and
        # the recording as Asterisk names it: e.g. the phone intake files its case.
        self.on_fallback_request: list[FallbackObserver] = []
        self.spool_status: Callable[[], dict] | None = None  # e.g. StoreWriter.status
        # The app_queue-style queue_log (acd.queue_log); a null sink unless wired.
        self.queue_log = QueueLog(lambda _line: None)
        self.callbacks.queue_log = self.queue_log
        self.handovers = Handovers(redis, prefix)  # desk transfers end a call as such
        self.seat_journal: SeatJournal | None = None  # login/pause history (acd.seat_journal)
        self.callbacks.on_auto_pause = self.seat_paused_for_misses
        self._settling: set[asyncio.Task] = set()
        self._booking: dict[str, asyncio.Task] = {}  # arrivals whose record is being written
        self._keeper: asyncio.Task | None = None
        self._resync: asyncio.Task | None = None

    # ---- lifecycle ----
    async def start(self) -> None:
        await self.recover()
        await self.dispatcher.start()
        self._keeper = asyncio.create_task(self._keep_leases())

    async def stop(self) -> None:
        for task in (self._keeper, self._resync):
            if task:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await asyncio.gather(*self._settling, return_exceptions=True)
        await self.dispatcher.stop()

    async def _keep_leases(self) -> None:
        """The heartbeat: renew what this process holds, reap what others let lapse,
        and hold placements in flight to their deadlines. A failed round (Redis away)
        is retried on the next beat; nothing it holds outlives its lease."""
        beat = max(0.2, self.settings.lease_s / 3)
        while True:
            try:
                await self.leases.renew(self.callbacks.in_flight())
                for reaped in await self.leases.reap():
                    await self._take_back(reaped)
                await self.callbacks.supervise(self.channel_up)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("lease round failed (%s); retrying", exc)
            await asyncio.sleep(beat)

    async def _take_back(self, reaped: Reaped) -> None:
        """A lease ran out. The script already freed a dead caller's seat and entry;
        an in-flight callback is adopted if its channel is up, else it goes back in line."""
        log.warning("lease of %s (%s %s, seat %s) held by %s ran out; taken back",
                    reaped.holder, reaped.kind or "seat hold", reaped.state, reaped.seat or "-",
                    reaped.owner or "?")
        await self.stats.count(leases_reaped=1)
        if reaped.kind == "emergency" and reaped.state == "offered" and self.emergency_seats:
            entry = await self.line.get(reaped.holder)
            if entry is not None:  # its seat was freed by the reap: ring the next one
                await self.emergency_seats.put_back(entry, reaped.seat)
            return
        if reaped.kind != "callback" or reaped.state != "offered":
            if reaped.seat:
                await self.board.refresh(reaped.seat)
            return
        entry = await self.line.get(reaped.holder)
        if entry is None:
            await self.leases.drop(reaped.holder)
            return
        if self.channel_up and await self.channel_up(channel_id_of(entry)):
            self.callbacks.adopt(entry, reaped.seat)  # in flight here: renewed from now on
            return
        await self.callbacks.put_back(entry, reaped.seat)

    async def recover(self) -> int:
        """Re-add callbacks SQL still owes (the line is a cache of that promise) and,
        when Redis lost its state, the seats' login and pause as SQL kept them."""
        restored = 0
        if self.seat_mirror and not await self.redis.exists(self.epoch_key):
            try:
                await self.seat_mirror.restore()
            except Exception as exc:  # database away: the epoch stays unset, retried
                log.warning("cannot restore seat facts from SQL yet (%s)", type(exc).__name__)
                return -1
        try:
            owed = await self.ledger.pending()
        except Exception as exc:  # database away: the epoch stays unset, so the tick retries
            log.warning("cannot read owed callbacks from SQL yet (%s)", type(exc).__name__)
            return -1
        for entry in owed:
            state = await self.line.state(entry.id)
            if state in ("waiting", "offered"):
                continue
            await self.line.add(entry)
            await self.stats.callback_open(entry.id, entry.due_at)
            restored += 1
        await self.redis.set(self.epoch_key, str(time.time()))
        if restored:
            log.info("recovered %d pending callbacks from the SQL record", restored)
        return restored

    async def _tick(self) -> None:
        if not await self.redis.exists(self.epoch_key):  # Redis restarted empty
            log.warning("Redis lost its state; restoring callbacks from SQL, seats from AMI")
            await self.recover()
            self._resync_after_loss()
        await self._collect_fallback_requests()
        if self.seat_mirror:
            try:
                await self.seat_mirror.sync()
            except Exception as exc:  # database away: the next tick writes what changed
                log.debug("seat facts not mirrored yet (%s)", exc)
        if time.time() >= self._publish_due:
            await self.publish_stats()

    def _resync_after_loss(self) -> None:
        """Run the state-lost hooks (AMI seat resync) beside the dispatcher, each with a
        deadline: the tick must go on placing callers while Asterisk is asked."""
        if self._resync and not self._resync.done():
            return

        async def resync() -> None:
            for hook in self.on_state_lost:
                try:
                    await asyncio.wait_for(hook(), STATE_LOST_HOOK_S)
                except Exception as exc:  # TimeoutError included; the next loss retries
                    log.warning("resync after Redis lost its state failed: %r", exc)
        self._resync = asyncio.create_task(resync())

    async def publish_stats(self) -> dict:
        self._publish_due = time.time() + 1.0
        snapshot = await self.stats.snapshot(await self.board.all(), await self.line.waiting())
        if self.spool_status is not None:  # the wallboard's and /metrics' spool alarm
            spool = self.spool_status()
            snapshot["spool"] = {**spool, "alarm": spool.get("oldest_s", 0) > SPOOL_ALARM_S}
        await self.stats.publish(snapshot)
        return snapshot

    # ---- live calls (called by the IVR) ----
    async def arrive(self, uniqueid: str, caller: str, caller_name: str, origin: str,
                     arrived_at: float, ring_until: float = 0.0) -> Entry:
        """A caller reached the IVR: join the line and, when a seat is free and nobody
        ahead is served first, take it in the same step (the fast path: the session finds
        its seat offered at once, no dispatcher pass between). Then, off the ringing path,
        count and record the call and settle what needs lookups: an owed callback (keep
        its earlier arrival, cancel it) and an open urgent case (move ahead)."""
        priority = 0 if origin == "terminal" else 2
        preferred, board = await asyncio.gather(  # side by side: one round trip's wait
            self.redis.get(f"{self.prefix}:last-seat:{caller or '-'}"), self.board.snapshot())
        entry = Entry(id=new_entry_id("live"), kind="live", caller=caller,
                      caller_name=caller_name, arrived_at=arrived_at, priority=priority,
                      origin=origin, uniqueid=uniqueid,
                      preferred_seat=preferred if caller and preferred else "",
                      ring_until=ring_until)
        try:
            seats = fast_candidates(entry, board, time.time(), self.settings.policy)
            # leased in the same step: no entry is ever in line unowned
            seat = await self.line.join(entry, [(self.board.key(f.seat), f.seat)
                                                for f in seats], self.leases,
                                        self.settings.callback_slack.due_lead_s)
        except BaseException:  # the route never gets the entry: let its lease run out
            self.leases.held.discard(entry.id)
            raise
        if not seat:
            self.dispatcher.kick()
        booking = self._beside(self._book_arrival(entry, seat))  # off the ringing path
        self._booking[entry.id] = booking
        booking.add_done_callback(lambda _: self._booking.pop(entry.id, None))
        self._beside(self._settle_arrival(entry))
        return entry

    def _beside(self, work: Awaitable[object]) -> asyncio.Task:
        """Run beside the call (awaited on stop, so nothing is cut off half-written)."""
        task = asyncio.ensure_future(work)
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)
        return task

    async def _book_arrival(self, entry: Entry, fast_seat: str) -> None:
        """What an arrival owes the books: the seat's state and screen pop on the fast
        path, the counts and the SQL call record."""
        self.queue_log.enter(entry.uniqueid, entry.caller, 1, entry.arrived_at)
        try:
            if fast_seat:
                await self.dispatcher.offered(entry, fast_seat, fast=True)
            await self.stats.count(offered=1)
            if entry.priority == 0:
                await self.stats.elderly(entry.uniqueid, True)
            await self.record_call(entry.uniqueid, caller=entry.caller,
                                   caller_name=entry.caller_name, origin=entry.origin,
                                   arrived_at=entry.arrived_at)
        except Exception:  # the caller is ringing or in line; the books catch up later
            log.exception("recording the arrival of %s failed", entry.uniqueid)

    async def _booked(self, entry: Entry) -> None:
        """Wait for the arrival's own record before writing what happened next."""
        task = self._booking.pop(entry.id, None)
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(task), BOOKING_WAIT_S)

    async def _settle_arrival(self, entry: Entry) -> Entry:
        try:
            return await self._settle(entry)
        except Exception:  # the caller is already in line; priority stays as it came
            log.exception("settling the arrival of %s failed", entry.uniqueid)
            return entry

    async def _settle(self, entry: Entry) -> Entry:
        earlier = await self._cancel_callbacks_of(entry.caller)
        arrived_at, priority = entry.arrived_at, entry.priority
        if earlier is not None:  # the citizen called again: keep the first arrival
            arrived_at = min(arrived_at, earlier.arrived_at)
            priority = min(priority, earlier.priority)
        if priority == 2 and entry.caller and self.urgent_lookup \
                and await self.urgent_lookup(entry.caller):
            priority = 1
        if (arrived_at, priority) == (entry.arrived_at, entry.priority):
            return entry
        settled = replace(entry, arrived_at=arrived_at, priority=priority)
        await self.line.rerank(settled)
        return settled

    async def next_seat(self, entry: Entry, deadline: float) -> str | None:
        """Wait (the caller hears ringback) until a seat is offered or the deadline passes."""
        return await self.line.wait_offer(entry.id, deadline - time.time())

    async def seat_result(self, entry: Entry, seat: str, dial_status: str, rang_ms: int,
                          answered_at: float | None, ended_at: float,
                          agent_hung_up: bool = False) -> bool:
        """After ringing a seat: True if the call was answered (and is now over).
        `agent_hung_up`: the caller's channel outlived the talk (COMPLETEAGENT)."""
        if dial_status == "ANSWER" and answered_at is not None:
            await self._booked(entry)  # its record is written before it is finished
            waited = answered_at - entry.arrived_at
            in_window = waited <= self.settings.ring_window_s
            await self.board.release(seat, entry.id, answered=True,
                                     wrapup_s=self.settings.wrapup_s)
            await self.line.finish(entry.id)
            await self.leases.drop(entry.id)
            await self.redis.set(f"{self.prefix}:last-seat:{entry.caller}", seat, ex=30 * 86400)
            handover = await self.handovers.take(entry.uniqueid)
            self.queue_log.connect(entry.uniqueid, seat, waited, rang_ms / 1000, answered_at)
            if handover is not None:  # the desk moved the caller on: the transfer ends it
                self.queue_log.transferred(entry.uniqueid, seat, handover, waited,
                                           ended_at - answered_at, ended_at)
            else:
                self.queue_log.complete(entry.uniqueid, seat, waited, ended_at - answered_at,
                                        agent_hung_up, ended_at)
            await self.stats.count(observe=[("wait_seconds", "answered", waited)], **{
                "answered_in_window" if in_window else "answered_late": 1,
                "answered_total": 1, "wait_ms_total": waited * 1000, "handled": 1,
                "handle_ms_total": (ended_at - answered_at + self.settings.wrapup_s) * 1000})
            await self._end_elderly(entry)
            if entry.origin == "terminal" and self.first_voice is not None:
                await self.first_voice.heard(entry.uniqueid, entry.caller, entry.arrived_at,
                                             "seat", answered_at)
            await self.record_call(entry.uniqueid, seat=seat, rang_ms=rang_ms,
                                   answered_at=answered_at, ended_at=ended_at,
                                   waited_ms=int(waited * 1000),
                                   outcome="answered_in_window" if in_window
                                   else "answered_late")
            return True
        not_ready = not_ready_yet(await self.board.facts(seat), dial_status, ended_at)
        # a ring the caller's window cut short is no agent's miss
        full_ring = rang_ms >= 900 * self.settings.seat_ring_s
        missed = dial_status in ("BUSY", "CHANUNAVAIL", "CONGESTION") or \
            (dial_status == "NOANSWER" and full_ring)
        released = await self.board.release(seat, entry.id, missed=missed, not_ready=not_ready,
                                            pause_after_missed=self.settings.pause_after_missed)
        self.queue_log.ring_ended(entry.uniqueid, seat, dial_status, rang_ms)
        if released == 2:  # paused for missed rings: the agent's day shows the pause
            await self.seat_paused_for_misses(seat)
        if not_ready:
            await self.stats.count(seat_not_ready=1)
        if dial_status != "CANCEL":
            current = await self.line.get(entry.id) or entry
            tried = current.tried if not_ready else ",".join(sorted(current.tried_seats | {seat}))
            await self.line.requeue(replace(current, tried=tried))
        return False

    async def give_up(self, entry: Entry, reason: str) -> None:
        """The caller leaves the line: window over (IVR takes it), hung up (abandoned)
        or the session failed ("error"). Not renewed from here on, even if Redis is away
        now: then its lease runs out and the reaper takes the rest back."""
        self.leases.held.discard(entry.id)
        offered_seat = await self.line.withdraw(entry.id)
        if offered_seat:
            await self.board.release(offered_seat, entry.id)
        await self.leases.drop(entry.id)
        waited = time.time() - entry.arrived_at
        if reason == "window":
            self.queue_log.exit_timeout(entry.uniqueid, waited)
        elif reason == "error":  # the session failed: a custom ending, not an abandon
            self.queue_log.exit_error(entry.uniqueid, waited)
        if reason == "abandoned":
            self.queue_log.abandon(entry.uniqueid, waited)
            await self._booked(entry)
            await self.stats.count(abandoned_waiting=1, observe=[
                ("wait_seconds", "abandoned_waiting", time.time() - entry.arrived_at)])
            await self._end_elderly(entry)
            await self.record_call(entry.uniqueid, outcome="abandoned_waiting",
                                   ended_at=time.time())

    async def abandoned_in_ivr(self, entry: Entry) -> None:
        """Counted for the wallboard; the request and the callback are still kept."""
        await self.stats.count(abandoned_ivr=1)

    async def request_callback(self, entry: Entry, number: str, recording: str = "",
                               transcript: str = "", tags: dict | None = None,
                               case_number: str = "", callback_id: str = "") -> Entry:
        """Owe the caller a callback, deadline counted from their original arrival.
        A `callback_id` given makes it idempotent: asking again owes it once.

        A number outside the callback dial plan, or past its daily limit, is never dialled
        on its own: the callback waits for an agent to check the number (`needs_check`)."""
        verdict = self.settings.number_plan.check(number)
        check = verdict.reason or await self._past_daily_limit(verdict)
        callback = replace(entry, id=callback_id or new_entry_id("callback"), kind="callback",
                           callback_number=verdict.number or digits_of(number) or number,
                           uniqueid=entry.uniqueid,
                           due_at=entry.arrived_at + self.settings.callback_deadline_s,
                           attempts=0, not_before=0.0, ring_until=0.0, transcript=transcript,
                           tags=tags or {}, case_number=case_number)
        await self.ledger.save(callback, recording, needs_check=bool(check))
        self.queue_log.callback_requested(entry.uniqueid, callback.id, callback.due_at,
                                          bool(check))
        await self.stats.callback_open(callback.id, callback.due_at)
        await self.stats.count(callbacks_requested=1, observe=[
            ("wait_seconds", "callback_requested", time.time() - entry.arrived_at)])
        await self._end_elderly(entry)
        await self._booked(entry)
        await self.record_call(entry.uniqueid, outcome="callback_requested",
                               callback_id=callback.id, ended_at=time.time())
        if check:
            log.warning("callback %s: %s; an agent checks the number before anyone dials it",
                        callback.id, check)
            await self.stats.count(callbacks_to_check=1)
            return replace(callback, number_check=check)
        await self.line.add(callback)
        self.dispatcher.kick()
        for observer in self.on_callback_requested:
            await observer(callback)
        return callback

    async def seat_paused_for_misses(self, seat: str) -> None:
        """The release script paused a seat for missed rings: journal it like an agent's
        own pause (queue_log PAUSE, the agent's day in SQL)."""
        if self.seat_journal is not None:
            await self.seat_journal(seat, [("pause", "missed")])

    async def _past_daily_limit(self, verdict: Verdict) -> str:
        """Counts automatic callbacks to a number today; "" while under the limit. With
        Redis away the count is skipped (the dial plan still holds): the promise must
        still reach SQL before the caller hears it."""
        if verdict.kind == "terminal" or self.settings.number_plan.daily_limit <= 0:
            return ""
        key = f"{self.prefix}:callbacks-to:{day_key(time.time())}:{verdict.number}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, 2 * 86400)
                count, _ = await pipe.execute()
        except RedisError as exc:
            log.warning("callbacks to %s today not counted (%s)", verdict.number, exc)
            return ""
        if count > self.settings.number_plan.daily_limit:
            return f"{count} callbacks to this number today"
        return ""

    async def annotate_callback(self, callback_id: str, **fields: object) -> None:
        """Transcript, tags or case number arrive after the caller hung up."""
        data = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v)
                for k, v in fields.items()}
        await self.redis.hset(self.line.entry_key(callback_id), mapping=data)
        sql_fields = {k: v for k, v in fields.items() if k in ("transcript", "case_number")}
        if sql_fields:
            await self.ledger.update(callback_id, **sql_fields)

    async def _end_elderly(self, entry: Entry) -> None:
        if entry.priority == 0:
            await self.stats.elderly(entry.uniqueid, False)

    async def _cancel_callbacks_of(self, caller: str) -> Entry | None:
        if not caller:
            return None
        first = None
        for entry in await self.line.waiting(limit=500):
            if entry.kind == "callback" and caller in (entry.caller, entry.callback_number):
                if await self.line.withdraw(entry.id) == "":
                    await self.line.finish(entry.id, "cancelled")
                    await self.stats.callback_closed(entry.id)
                    await self.stats.count(callbacks_cancelled=1)
                    self.queue_log.callback_closed(entry.uniqueid, "", entry.id, "cancelled",
                                                   entry.attempts)
                    await self.ledger.update(entry.id, status="cancelled",
                                             outcome="cancelled_called_again",
                                             done_at=time.time())
                    first = entry if first is None or entry.arrived_at < first.arrived_at \
                        else first
        return first

    async def _collect_fallback_requests(self) -> None:
        """Requests the pyst2 safety net left while the route could not take the caller.

        One process takes each file (rename to .taken). The callback's id comes from the
        file's name, so a file taken again after a failure or a crash (a .taken file left
        for FALLBACK_STALE_S) never makes a second callback."""
        if self.fallback_spool is None or not self.fallback_spool.is_dir():
            return
        for stale in self.fallback_spool.glob("*.taken"):
            with contextlib.suppress(OSError):
                if time.time() - stale.stat().st_mtime > FALLBACK_STALE_S:
                    stale.rename(stale.with_suffix(".json"))
        for path in sorted(self.fallback_spool.glob("*.json")):
            if path.name.startswith("."):  # a file still being written
                continue
            claimed = path.with_suffix(".taken")
            try:
                path.rename(claimed)  # one process takes each file
                claimed.touch()  # its claim is fresh, whatever the file's age
            except OSError:
                continue
            try:
                data = json.loads(claimed.read_text(encoding="utf-8"))
                if not isinstance(data, dict) or not spool_signature.valid(
                        data, self.fallback_key):
                    raise ValueError("not signed with this hotline's spool key")
                number = "".join(ch for ch in str(data.get("caller", ""))
                                 if ch in ASCII_DIGITS)[:32]
                entry = Entry(id=new_entry_id("live"), kind="live", caller=number,
                              arrived_at=float(data.get("arrived_at") or time.time()),
                              priority=0 if data.get("origin") == "terminal" else 2,
                              origin=str(data.get("origin", "trunk")),
                              uniqueid=str(data.get("uniqueid", "")))
            except (ValueError, OSError, TypeError, AttributeError) as exc:
                log.error("fallback request %s refused (%s); quarantined as .bad", path.name,
                          exc)
                claimed.rename(claimed.with_suffix(".bad"))
                continue
            recording = str(data.get("recording", ""))
            try:
                if number:
                    await self.stats.count(offered=1)
                    owed = await self.request_callback(
                        entry, number, recording=recording,
                        callback_id=f"callback-fb-{_safe_id(path.stem)}")
                    for observer in self.on_fallback_request:
                        await observer(owed, recording)
            except Exception as exc:  # Redis or SQL away: the file waits for the next tick
                log.warning("fallback request %s not taken yet (%s)", path.name, exc)
                claimed.rename(path)
                return
            claimed.rename(claimed.with_suffix(".done"))


def _safe_id(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum() or ch in "-.")[:48]

"""The follow-up dialler inside `hotline run`: every due visit gets a phone call.

Each pass takes the store's due visits and, per the rules in `ivr.followup.rules`,
places an AMI Originate to the citizen (``PJSIP/<digits>@trunk`` into the dialplan's
``[followup]`` context, whose FastAGI route asks the questions and records the answer).
An OriginateResponse Failure, or a call that ends with the visit still unanswered,
is noted on the case; after the last retry the visit is handed to an agent.

Two guards keep a citizen from being called twice at once, across restarts and
nodes: a Redis key per number (SET NX with a TTL longer than any call) while a call
is in the air, and the attempt notes in the case log that gate the backoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from case_store.reply_channel import digits
from case_store.singleton import AsyncSingletonLock, run_while_held
from ivr.followup.rules import (
    ATTEMPT,
    HANDED_OVER,
    UNREACHABLE,
    FollowupSettings,
    next_step,
    unreachable_reason,
    visit_state,
)

log = logging.getLogger(__name__)

ACTOR = "followup"
CALL_LIMIT_S = 300  # longest a follow-up conversation may hold the citizen's line key
RECORD_GRACE_S = 2.0  # the IVR's last write may land just after the Hangup event
BATCH = 500  # due visits read per pass (handed-over ones are no longer due)
PASS_DEADLINE_S = 300.0  # far above max_calls Originates (10 s each at most): stuck

Originate = Callable[[dict], Awaitable[dict]]


def line_key(prefix: str, number: str) -> str:
    """Held while any automatic call to this citizen is in the air (a visit, a reply
    read out): one call to one person at a time."""
    return f"{prefix}:followup:line:{number}"


@dataclass
class _Call:
    case: str
    number: str
    attempt: int
    placed_at: float
    answered: bool = False


class FollowupCaller:
    """Places follow-up calls and follows each to an outcome via AMI events."""

    def __init__(self, store, redis, prefix: str, originate: Originate,
                 settings: FollowupSettings, hotline_number: str = "88900000",
                 lock: AsyncSingletonLock | None = None,
                 terminals: frozenset[str] = frozenset()) -> None:
        self.store = store
        self.redis = redis
        self.prefix = prefix
        self.originate = originate
        self.settings = settings
        self.hotline_number = "".join(ch for ch in hotline_number if ch in "0123456789")
        self.active: dict[str, _Call] = {}  # Originate ChannelId -> call
        self.lock = lock  # with several processes, only its holder dials
        self.terminals = terminals  # elderly terminals: dialled on their own endpoints
        self._task: asyncio.Task | None = None
        self._outcomes: set[asyncio.Task] = set()

    # ---- lifecycle ----
    async def start(self) -> None:
        if self.settings.enabled and self._task is None:
            self._task = asyncio.get_running_loop().create_task(run_while_held(
                self.lock, self.run_once, self.settings.interval_s, PASS_DEADLINE_S,
                "follow-up"))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for task in list(self._outcomes):
            task.cancel()
        await asyncio.gather(*self._outcomes, return_exceptions=True)

    # ---- one pass ----
    def _line_key(self, number: str) -> str:
        return line_key(self.prefix, number)

    async def run_once(self) -> int:
        """Look at every due visit once; returns how many calls were placed."""
        self._forget_stale()
        visits = await asyncio.to_thread(self.store.due_followups, BATCH,
                                         self.settings.reply_wait_s)
        placed = 0
        for visit in visits:
            if len(self.active) >= self.settings.max_calls:
                break
            try:
                placed += await self._consider(visit)
            except ValueError:  # the store refused (case merged away...): not the others' fault
                log.exception("follow-up %s: skipped this pass", visit.case_number)
        return placed

    async def _consider(self, visit) -> int:
        case = visit.case_number
        number = digits(visit.caller) or None  # digits only reach the AMI command
        events = await asyncio.to_thread(self.store.events, case)
        state = visit_state(events, visit.created_at)
        step = next_step(state, self.settings, datetime.now(UTC))
        if step == "settled":
            pass  # the log says an agent has it (the store no longer lists it as due)
        elif number is None or not case.isdigit():
            await self._hand_over(case, state.attempts, "number not dialable")
        elif await self.redis.exists(self._line_key(number)):
            pass  # a call to this citizen is in the air (this visit or another case's)
        elif step == "hand_over":
            await self._hand_over(case, state.attempts, "unreachable")
        elif step == "call":
            return await self._place(case, number, state.attempts + 1)
        return 0

    async def _hand_over(self, case: str, attempts: int, why: str) -> None:
        await asyncio.to_thread(self.store.transition, case, "note", ACTOR,
                                followup=HANDED_OVER, attempts=attempts, reason=why,
                                message="电话回访未成功，请人工回访")
        log.info("follow-up %s: handed to an agent after %d attempt(s) (%s)", case, attempts,
                 why)

    async def _place(self, case: str, number: str, attempt: int) -> int:
        hold_s = self.settings.ring_s + CALL_LIMIT_S
        if not await self.redis.set(self._line_key(number), case, nx=True, ex=hold_s):
            return 0
        channel_id = f"fu-{case}-{attempt}-{uuid.uuid4().hex[:8]}"
        self.active[channel_id] = _Call(case, number, attempt, time.time())
        reply = await self.originate({
            "Channel": f"PJSIP/{number}" if number in self.terminals
            else f"PJSIP/{number}@trunk",
            "Context": "followup",
            "Exten": number,
            "Priority": "1",
            "Timeout": str(self.settings.ring_s * 1000),
            "CallerID": f'"8890" <{self.hotline_number}>',
            "ChannelId": channel_id,
            "Variable": f"FOLLOWUP_CASE={case},FOLLOWUP_ATTEMPT={attempt}",
        })
        if reply.get("Response") != "Success":  # our side failed (AMI down): not counted
            log.warning("follow-up %s: originate refused (%s)", case, reply.get("Message"))
            self.active.pop(channel_id, None)
            await self.redis.delete(self._line_key(number))
            return 0
        await asyncio.to_thread(self.store.transition, case, "note", ACTOR,
                                followup=ATTEMPT, attempt=attempt)
        log.info("follow-up %s: calling %s (attempt %d)", case, number, attempt)
        return 1

    def _forget_stale(self) -> None:
        """Calls whose outcome never arrived (AMI reconnect) stop counting after a while."""
        limit = time.time() - self.settings.ring_s - CALL_LIMIT_S
        for channel_id, call in list(self.active.items()):
            if call.placed_at < limit:
                self.active.pop(channel_id, None)

    # ---- outcomes (AMI listener) ----
    async def on_event(self, event: dict) -> None:
        name = event.get("Event")
        if name == "OriginateResponse":
            call = self.active.get(event.get("Uniqueid", ""))
            if call is None:
                return
            if event.get("Response") == "Success":
                call.answered = True
            else:
                self.active.pop(event.get("Uniqueid", ""), None)
                await self._unreachable(call, unreachable_reason(event))
        elif name == "Hangup":
            call = self.active.get(event.get("Uniqueid", ""))
            if call is not None and call.answered:  # unanswered: OriginateResponse follows
                self.active.pop(event.get("Uniqueid", ""), None)
                task = asyncio.get_running_loop().create_task(self._answered_call_ended(call))
                self._outcomes.add(task)
                task.add_done_callback(self._outcomes.discard)

    async def _answered_call_ended(self, call: _Call) -> None:
        """The citizen picked up; if no answer was recorded on the call, count it as missed.

        The IVR records the answer before it hangs up, but a citizen who hangs up
        mid-questions is recorded just after the Hangup event: give it a moment. The
        case's log tells (its status does not: a merged report stays merged).
        """
        await asyncio.sleep(RECORD_GRACE_S)
        events = await asyncio.to_thread(self.store.events, call.case)
        placed = datetime.fromtimestamp(call.placed_at, UTC)
        if not any(e.action == "visit" and e.at >= placed for e in events):
            await self._unreachable(call, "no_input")
        else:
            await self.redis.delete(self._line_key(call.number))

    async def _unreachable(self, call: _Call, reason: str) -> None:
        log.info("follow-up %s: attempt %d not answered (%s)", call.case, call.attempt, reason)
        try:
            await asyncio.to_thread(self.store.transition, call.case, "note", ACTOR,
                                    followup=UNREACHABLE, attempt=call.attempt, reason=reason)
        finally:
            await self.redis.delete(self._line_key(call.number))

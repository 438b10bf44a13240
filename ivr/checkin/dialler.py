"""The check-in dialler inside `hotline run`: each registered person's windows get a
call on their terminal; unanswered ones are retried, then escalated.

A pass (one process at a time: the singleton lock) reads the active profiles and, for
each window open now, what today's attempts did (Redis, two days). A call rings the
terminal's own endpoint into `[checkin]`, whose FastAGI route (`ivr.checkin.route`)
hears the answer. After the last unanswered attempt, the check-in is escalated once: a
case for the elderly centre, and the community worker and the first contact are called
with a spoken message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from datetime import UTC, datetime

from acd.originate_wait import OriginateWait
from case_store.singleton import AsyncSingletonLock, run_while_held
from ivr.checkin.rules import Attempts, CheckinSettings, next_step, open_window
from ivr.spoken import SpokenTexts

log = logging.getLogger(__name__)

KEEP_S = 2 * 86400  # a day's attempts, kept past any window's end
ESCALATION_RING_S = 30
PASS_DEADLINE_S = 300.0  # a pass only reads and starts calls: longer means it is stuck


def attempts_key(prefix: str, terminal: str, window: str) -> str:
    return f"{prefix}:checkin:{terminal}:{window}"


def escalation_text(name: str, address: str) -> str:
    return (f"这里是8890热线。{name}，住在{address}，今天的关爱回访电话多次没有接通，"
            "请尽快联系或上门看看老人。")


class CheckinCaller:
    def __init__(self, registry, store, redis, prefix: str, originate_wait: OriginateWait,
                 voice: SpokenTexts, settings: CheckinSettings, hotline_number: str,
                 lock: AsyncSingletonLock | None = None) -> None:
        self.registry = registry
        self.store = store
        self.redis = redis
        self.prefix = prefix
        self.originate_wait = originate_wait
        self.voice = voice
        self.settings = settings
        self.hotline_number = hotline_number
        self.lock = lock
        self._task: asyncio.Task | None = None
        self._calls: set[asyncio.Task] = set()

    async def start(self) -> None:
        if self.settings.enabled and self._task is None:
            self._task = asyncio.get_running_loop().create_task(run_while_held(
                self.lock, self.run_once, self.settings.interval_s, PASS_DEADLINE_S,
                "check-in"))

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._calls) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None

    async def run_once(self) -> int:
        """Place what is due now; returns how many calls (and escalations) started."""
        started = 0
        now = datetime.now(UTC)
        for profile in await asyncio.to_thread(self.registry.list_profiles):
            window = open_window(profile.checkin_windows, now) if profile.active else ""
            if not window:
                continue
            if await self.redis.exists(self._line_key(profile.terminal)):
                continue  # a call is in the air: its outcome decides what comes next
            attempts = await self.attempts(profile.terminal, window)
            step = next_step(attempts, self.settings, time.time())
            if step == "call" and await self._line_free(profile.terminal):
                self._spawn(self._call(profile.terminal, window, attempts.made + 1))
                started += 1
            elif step == "escalate":
                await self._mark(profile.terminal, window, escalated="1")
                self._spawn(self._escalate(profile, attempts.made))
                started += 1
        return started

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)

    async def attempts(self, terminal: str, window: str) -> Attempts:
        raw = await self.redis.hgetall(attempts_key(self.prefix, terminal, window))
        return Attempts(int(raw.get("made", 0)), float(raw.get("last_at", 0)),
                        raw.get("answered") == "1", raw.get("escalated") == "1")

    async def _mark(self, terminal: str, window: str, **fields: str) -> None:
        key = attempts_key(self.prefix, terminal, window)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, KEEP_S)
            await pipe.execute()

    def _line_key(self, terminal: str) -> str:
        return f"{self.prefix}:checkin:line:{terminal}"

    async def _line_free(self, terminal: str) -> bool:
        """One check-in call in the air per terminal, across passes and processes."""
        return bool(await self.redis.set(self._line_key(terminal), "1", nx=True,
                                         ex=self.settings.ring_s + 120))

    async def _call(self, terminal: str, window: str, attempt: int) -> None:
        await self._mark(terminal, window, made=str(attempt))
        log.info("check-in %s (%s): calling, attempt %d", terminal, window, attempt)
        try:
            answered = await self.originate_wait({
                "Channel": f"PJSIP/{terminal}", "Context": "checkin", "Exten": "s",
                "Priority": "1", "Timeout": str(self.settings.ring_s * 1000),
                "CallerID": f'"8890" <{self.hotline_number}>',
                "Variable": [f"CHECKIN_TERMINAL={terminal}", f"CHECKIN_WINDOW={window}"]},
                self.settings.ring_s + 15)
        except Exception as exc:  # AMI away: this attempt counts, the backoff applies
            log.warning("check-in %s: call failed (%r)", terminal, exc)
            answered = False
        if answered:
            await self._mark(terminal, window, answered="1")
        else:  # the backoff counts from the end of the ringing
            log.warning("check-in %s (%s): attempt %d not answered", terminal, window, attempt)
            await self._mark(terminal, window, last_at=str(time.time()))
        await self.redis.delete(self._line_key(terminal))  # marked first: the next pass sees it

    async def _escalate(self, profile, attempts: int) -> None:
        """The centre gets a case; the worker and the first contact hear what happened."""
        log.error("check-in %s: %d calls unanswered; escalated", profile.terminal, attempts)
        await asyncio.to_thread(
            self.store.create_case, channel="terminal", caller=profile.terminal,
            caller_name=profile.name, kind="emergency", topic="elderly_emergency",
            text=f"关爱回访：今天{attempts}次电话未接通，请联系或上门查看。", elderly=True)
        name = f"checkin-{profile.terminal}"
        sound = await self.voice.speak(name, escalation_text(profile.name, profile.address))
        people = [profile.worker_phone] + [c.phone for c in profile.contacts[:1]]
        for number in filter(None, people):
            try:
                await self.originate_wait({
                    "Channel": f"Local/{number}@emergency-contact/n",
                    "Application": "Playback", "Data": sound or "beep",
                    "Timeout": str(ESCALATION_RING_S * 1000),
                    "CallerID": f'"8890" <{self.hotline_number}>'}, ESCALATION_RING_S + 15)
            except Exception as exc:
                log.warning("check-in %s: escalation call to %s failed (%r)",
                            profile.terminal, number, exc)
        await self.voice.forget(name)  # a name and an address: not kept

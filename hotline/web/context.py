"""What every handler may reach: the stores, Redis, the AMI link, the health probe.

One object on ``app[CTX]`` instead of module globals, so tests can build an app on
their own database and Redis prefix next to a running hotline.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from acd.callback_numbers import NumberPlan
from acd.control import SeatControl

HealthSource = Callable[[], Awaitable[dict]]


@dataclass
class WebContext:
    health: HealthSource
    store: Any = None  # case_store.CaseStore
    accounts: Any = None  # case_store.accounts.AccountStore
    elderly: Any = None  # case_store.elderly.ElderlyRegistry
    redis: Any = None  # redis.asyncio.Redis (decode_responses=True)
    prefix: str = "hotline:main"
    ami: Any = None  # acd.ami_link.AmiLink, for ChanSpy
    seats: list[str] = field(default_factory=list)
    number_plan: NumberPlan = field(default_factory=NumberPlan)  # what callbacks dial alone
    hotline_number: str = "88900000"  # the caller ID of calls the desk places (consults)
    tagger: Any = None  # case_store.tagging.learning.LearningTagger; None: the packaged tagger
    intake: Any = None  # case_store.intake_service.IntakeService
    changes: Any = None  # case_store.changes.CaseChanges
    wechat_token: str = ""  # the token set in the WeChat console; "" refuses WeChat
    secure_cookies: bool = False
    recordings: Any = None  # case_store.recordings.CallRecordings; None: no player
    recordings_dir: Any = None  # pathlib.Path of the kept call recordings
    counters: dict[str, int] = field(default_factory=dict)  # for /metrics
    seat_journal: Any = None  # acd.seat_journal.SeatJournal: login/pause history kept
    wrapup_s: float = 15.0  # the ACD's wrap-up after each call (the agents' day report)
    pause_names: dict[str, str] = field(default_factory=dict)  # "code1" -> "午休" (*23N)

    def key(self, *parts: str) -> str:
        """A Redis key or channel of this instance."""
        return ":".join((self.prefix, *parts))

    def seat_control(self) -> SeatControl:
        """Seat actions for the desk and the wallboard, on this instance's seats."""
        return SeatControl(self.redis, self.prefix, self.seats or None,
                           journal=self.seat_journal)

    def count(self, name: str, by: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + by


CTX = web.AppKey("ctx", WebContext)
SESSION = web.RequestKey("session", dict)  # the logged-in user's session, when there is one
NEW_CSRF = web.RequestKey("new_csrf_cookie", str)
WEBSOCKETS = web.AppKey("websockets", weakref.WeakSet)  # open ones, closed on shutdown
WS_USERS = web.AppKey("websocket-users", Counter)  # open sockets per signed-in user


def ctx(request: web.Request) -> WebContext:
    return request.app[CTX]

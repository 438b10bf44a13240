"""When a check-in call is due, and what its attempts so far lead to: pure functions.

A person's check-in windows (``{"days": "daily"|"weekdays"|"weekends"|"mon,wed",
"start": "09:00", "end": "10:00"}``, Shanghai time; an end of "24:00" runs through the
day's last minute) each ask for one answered call a day. Inside a window the first call
goes at once; an unanswered one is retried after ``backoff_s``, ``retries`` more times;
after the last it is escalated, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from case_store.elderly import END_OF_DAY, falls_on
from case_store.workdays import SHANGHAI


@dataclass(frozen=True)
class CheckinSettings:
    enabled: bool = True
    interval_s: float = 30.0  # how often due check-ins are looked for
    retries: int = 3  # unanswered calls again after the first
    backoff_s: float = 600.0  # between attempts
    ring_s: int = 30

    @classmethod
    def from_config(cls, cfg) -> CheckinSettings:
        return cls(cfg.checkin_enabled, cfg.checkin_interval_s, cfg.checkin_retries,
                   cfg.checkin_backoff_s, cfg.checkin_ring_s)


@dataclass(frozen=True)
class Attempts:
    """What today's calls for one window did so far (kept in Redis by the dialler)."""

    made: int = 0
    last_at: float = 0.0
    answered: bool = False
    escalated: bool = False


def open_window(windows: tuple[dict[str, str], ...] | list[dict[str, str]],
                now: datetime) -> str:
    """The key of the window open at NOW ("2026-12-01 09:00"), or "" if none is."""
    local = now.astimezone(SHANGHAI)
    for window in windows:
        start = time.fromisoformat(window["start"])
        end = time.max if window["end"] == END_OF_DAY else time.fromisoformat(window["end"])
        if falls_on(window.get("days", "daily"), local) and start <= local.time() < end:
            return f"{local.date().isoformat()} {window['start']}"
    return ""


def next_step(attempts: Attempts, settings: CheckinSettings, now: float) -> str:
    """"call", "wait", "escalate" or "done" for one open window."""
    if attempts.answered or attempts.escalated:
        return "done"
    if attempts.made == 0:
        return "call"
    if now - attempts.last_at < settings.backoff_s:
        return "wait"
    return "call" if attempts.made <= settings.retries else "escalate"


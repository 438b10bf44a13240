"""When to call a citizen back for a follow-up visit (回访): pure rules, no I/O.

Attempt history lives in the case's own event log (``note`` events whose data has a
``followup`` key), so it survives restarts and agents see it on the case. This module
reads that history and says what to do next: call, wait, or hand over to an agent.
The hand-over note also takes the visit off the store's due list (``case_store.followup``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from case_store.followup import HANDED_OVER  # no more calls: an agent visits by hand

ATTEMPT = "attempt"  # a call was queued (counts against the retries)
UNREACHABLE = "unreachable"  # busy, no answer, failed, or answered without a key press

Step = Literal["call", "wait", "hand_over", "settled"]


def parse_backoff(text: str) -> tuple[int, ...]:
    """'1800,3600' -> (1800, 3600); empty or junk entries are skipped, never negative."""
    values = []
    for part in str(text).split(","):
        try:
            values.append(max(0, int(float(part))))
        except ValueError:
            continue
    return tuple(values) or (0,)


QUESTIONS = ("timeliness", "attitude")  # a department's own questions (prompts followup_q_*)


def parse_questions(text: str) -> dict[str, tuple[str, ...]]:
    """'affairs=timeliness,attitude;suggestion=attitude' -> {kind: questions}; names
    without a prompt are skipped, so a typo in the config asks nothing rather than fails."""
    out: dict[str, tuple[str, ...]] = {}
    for part in str(text).split(";"):
        kind, _, names = part.partition("=")
        asked = tuple(n.strip() for n in names.split(",") if n.strip() in QUESTIONS)
        if kind.strip() and asked:
            out[kind.strip()] = asked
    return out


def first_question(owner_type: str, kind: str) -> str:
    """The satisfaction question's prompt: about a KB answer, the hotline (praise) or
    the handler's work."""
    if owner_type == "kb":
        return "followup_kb_useful"
    if kind == "praise":
        return "followup_praise"
    return "followup_intro"


@dataclass(frozen=True)
class FollowupSettings:
    """The [followup] config section, parsed."""

    enabled: bool = True
    interval_s: float = 60.0
    retries: int = 2
    backoff_s: tuple[int, ...] = (1800, 3600)
    ring_s: int = 30
    max_calls: int = 5
    reply_wait_s: float = 3600.0  # a visit waits this long at most for the reply to arrive
    questions: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (kind, its own questions)

    @classmethod
    def from_config(cls, cfg: Any) -> FollowupSettings:
        return cls(enabled=cfg.followup_enabled,
                   interval_s=max(0.2, float(cfg.followup_interval_s)),
                   retries=max(0, int(cfg.followup_retries)),
                   backoff_s=parse_backoff(cfg.followup_backoff_s),
                   ring_s=max(5, int(cfg.followup_ring_s)),
                   max_calls=max(1, int(cfg.followup_max_calls)),
                   reply_wait_s=max(0.0, float(cfg.followup_reply_wait_s)),
                   questions=tuple(parse_questions(cfg.followup_questions).items()))

    def questions_for(self, owner_type: str, kind: str) -> tuple[str, ...]:
        """A department's case asks its kind's questions; KB answers and praise none."""
        if owner_type != "department" or kind == "praise":
            return ()
        return dict(self.questions).get(kind, ())

    @property
    def attempts(self) -> int:
        """Calls in all: the first one plus the retries."""
        return 1 + self.retries

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based) before the next."""
        return float(self.backoff_s[min(attempt, len(self.backoff_s)) - 1])


@dataclass(frozen=True)
class VisitState:
    """What the event log says about one pending visit."""

    attempts: int = 0
    last_attempt_at: datetime | None = None
    handed_over: bool = False


def visit_state(events: Iterable[Any], since: datetime) -> VisitState:
    """Fold the case's follow-up notes written since the visit was created.

    A send-back and a new reply create a new visit; notes of the old one do not count.
    """
    attempts, last, handed = 0, None, False
    for event in events:
        if event.action != "note" or event.at < since:
            continue
        kind = (event.data or {}).get("followup")
        if kind == ATTEMPT:
            attempts += 1
            last = event.at
        elif kind == HANDED_OVER:
            handed = True
    return VisitState(attempts, last, handed)


def next_step(state: VisitState, settings: FollowupSettings, now: datetime) -> Step:
    """Call now, wait for the backoff, or give the visit to an agent."""
    if state.handed_over:
        return "settled"
    if state.attempts >= settings.attempts:
        return "hand_over"
    if state.attempts and state.last_attempt_at is not None:
        waited = (now - state.last_attempt_at).total_seconds()
        if waited < settings.backoff(state.attempts):
            return "wait"
    return "call"


ORIGINATE_REASONS = {"0": "failed", "1": "no_answer", "3": "no_answer", "5": "busy",
                     "8": "congestion"}


def unreachable_reason(event: dict) -> str:
    """OriginateResponse Failure -> busy | no_answer | congestion | failed."""
    return ORIGINATE_REASONS.get(str(event.get("Reason", "")), "failed")

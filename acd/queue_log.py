"""The hotline's traffic as an app_queue `queue_log`, for QueueMetrics, qpanel and Wazo.

Those tools read `epoch|callid|queuename|agent|event|data1|data2|...` lines, one per
event, in Asterisk's own vocabulary (docs.asterisk.org, Operation/Logging/Queue-Logs).
The hotline's ACD is no app_queue queue, so it writes the lines itself for one virtual
queue (8890): each live call gets ENTERQUEUE, every seat it rang RINGNOANSWER or
RINGCANCELED, and one ending (CONNECT then COMPLETECALLER/COMPLETEAGENT, ABANDON,
EXITWITHTIMEOUT when the IVR takes it); callbacks are custom CALLBACK* verbs under the
original call's id; seats log ADDMEMBER/REMOVEMEMBER/PAUSE/UNPAUSE with the reason.

Pure: `QueueLog` turns hotline events into lines and hands each to a sink (the bounded
writer in acd/queue_log_file.py); it never raises into a call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

QUEUE = "8890"
FIELD_MAX = 80  # a caller's name is caller-controlled: bounded, and no separators
NONE = "NONE"  # app_queue's own placeholder for a missing call id or agent

# Custom verbs (QueueMetrics and qpanel skip verbs they do not know).
CALLBACK_VERBS = ("CALLBACKREQUESTED", "CALLBACKPLACED", "CALLBACKDONE", "CALLBACKFAILED",
                  "CALLBACKCANCELLED")
# What a member event's agent field is, and what ends a seat's ring without an answer.
RING_ENDINGS = {"CANCEL": "RINGCANCELED"}
TRANSFER_VERBS = ("BLINDTRANSFER", "ATTENDEDTRANSFER")  # the TRANSFER of Asterisk < 12

Sink = Callable[[str], None]


@dataclass(frozen=True)
class Handover:
    """How a transfer took the caller off a seat, as Asterisk 12+'s app_queue logs it:
    BLINDTRANSFER(extension|context|...) or ATTENDEDTRANSFER(method|method data|...),
    e.g. ("APP", "ConfBridge") when the caller went into a consult room."""

    verb: str
    data: tuple[str, ...]

    def text(self) -> str:
        """One string to keep it by (Redis): the verb and its data, `|`-separated."""
        return "|".join(field(part) for part in (self.verb, *self.data))

    @classmethod
    def of_text(cls, text: str) -> Handover | None:
        verb, *data = text.split("|")
        return cls(verb, tuple(data)) if verb in TRANSFER_VERBS else None


def blind(extension: str, context: str) -> Handover:
    return Handover("BLINDTRANSFER", (extension, context))


def attended_to_app(app: str) -> Handover:
    return Handover("ATTENDEDTRANSFER", ("APP", app))


def field(value: object) -> str:
    """One field: no `|`, no line breaks or other control characters, bounded."""
    text = "" if value is None else str(value)
    return "".join(ch if ch.isprintable() and ch != "|" else " " for ch in text)[:FIELD_MAX]


def line(at: float, callid: str, queue: str, agent: str, event: str, *data: object) -> str:
    """A queue_log line as app_queue writes it (whole-second epoch, no trailing newline)."""
    head = [str(int(at)), field(callid) or NONE, field(queue) or NONE, field(agent) or NONE,
            field(event)]
    return "|".join(head + [field(d) for d in data])


def member(seat: str) -> str:
    """A seat as a queue member: its PJSIP interface, as app_queue names members."""
    return f"PJSIP/{seat}" if seat else NONE


def seconds(value: float) -> int:
    return max(0, round(value))


class QueueLog:
    """The hotline's events as queue_log lines for one virtual queue."""

    def __init__(self, sink: Sink, queue: str = QUEUE,
                 clock: Callable[[], float] = time.time) -> None:
        self.sink = sink
        self.queue = queue
        self.clock = clock

    def _put(self, callid: str, agent: str, event: str, *data: object,
             at: float | None = None) -> None:
        try:
            self.sink(line(self.clock() if at is None else at, callid, self.queue, agent,
                           event, *data))
        except Exception:  # the record is best effort; the call goes on
            log.exception("queue_log %s not written", event)

    def started(self) -> None:
        """QUEUESTART, as app_queue writes when it loads: readers reset live state."""
        self._put(NONE, NONE, "QUEUESTART", "")

    # ---- live calls ----
    def enter(self, callid: str, caller: str, position: int, at: float) -> None:
        """ENTERQUEUE(url|callerid|position)."""
        self._put(callid, NONE, "ENTERQUEUE", "", caller, position, at=at)

    def ring_ended(self, callid: str, seat: str, dial_status: str, rang_ms: int) -> None:
        """RINGNOANSWER(ringtime ms); RINGCANCELED(ringtime ms) when the caller hung up."""
        verb = RING_ENDINGS.get(dial_status.upper(), "RINGNOANSWER")
        self._put(callid, member(seat), verb, max(0, int(rang_ms)))

    def connect(self, callid: str, seat: str, hold_s: float, ring_s: float,
                at: float) -> None:
        """CONNECT(holdtime|bridgedchanneluniqueid|ringtime), seconds."""
        self._put(callid, member(seat), "CONNECT", seconds(hold_s), "", seconds(ring_s), at=at)

    def complete(self, callid: str, seat: str, hold_s: float, talk_s: float,
                 by_agent: bool, at: float, position: int = 1) -> None:
        """COMPLETEAGENT / COMPLETECALLER(holdtime|calltime|origposition)."""
        verb = "COMPLETEAGENT" if by_agent else "COMPLETECALLER"
        self._put(callid, member(seat), verb, seconds(hold_s), seconds(talk_s), position,
                  at=at)

    def transferred(self, callid: str, seat: str, handover: Handover, hold_s: float,
                    talk_s: float, at: float, position: int = 1) -> None:
        """The ending of a call the seat handed on, instead of COMPLETE*:
        BLINDTRANSFER(extension|context|holdtime|calltime|origposition) or
        ATTENDEDTRANSFER(method|method data|holdtime|calltime|origposition)."""
        self._put(callid, member(seat), handover.verb, *handover.data, seconds(hold_s),
                  seconds(talk_s), position, at=at)

    def abandon(self, callid: str, wait_s: float, position: int = 1) -> None:
        """ABANDON(position|origposition|waittime)."""
        self._put(callid, NONE, "ABANDON", position, position, seconds(wait_s))

    def exit_timeout(self, callid: str, wait_s: float, position: int = 1) -> None:
        """EXITWITHTIMEOUT(position|origposition|waittime): the IVR answers instead."""
        self._put(callid, NONE, "EXITWITHTIMEOUT", position, position, seconds(wait_s))

    def exit_error(self, callid: str, wait_s: float, position: int = 1) -> None:
        """EXITWITHERROR(position|origposition|waittime), a custom verb: the IVR session
        failed (no app_queue ending fits; counted neither answered nor abandoned)."""
        self._put(callid, NONE, "EXITWITHERROR", position, position, seconds(wait_s))

    # ---- callbacks (custom verbs, under the original call's id) ----
    def callback_requested(self, callid: str, callback_id: str, due_at: float,
                           to_check: bool) -> None:
        """CALLBACKREQUESTED(callback id|due epoch|number to check 0/1)."""
        self._put(callid, NONE, "CALLBACKREQUESTED", callback_id, int(due_at), int(to_check))

    def callback_placed(self, callid: str, seat: str, callback_id: str, attempt: int,
                        delay_s: float) -> None:
        """CALLBACKPLACED(callback id|attempt|seconds since the original arrival)."""
        self._put(callid, member(seat), "CALLBACKPLACED", callback_id, attempt,
                  seconds(delay_s))

    def callback_closed(self, callid: str, seat: str, callback_id: str, outcome: str,
                        attempts: int) -> None:
        """CALLBACKDONE / CALLBACKFAILED / CALLBACKCANCELLED(callback id|outcome|attempts)."""
        verb = {"done": "CALLBACKDONE", "cancelled": "CALLBACKCANCELLED"}.get(
            outcome, "CALLBACKFAILED")
        self._put(callid, member(seat), verb, callback_id, outcome, attempts)

    # ---- seats ----
    def seat(self, seat: str, event: str, reason: str = "") -> None:
        """ADDMEMBER / REMOVEMEMBER / PAUSE(reason) / UNPAUSE(reason) for a seat event
        (login, logout, pause, unpause)."""
        verb = {"login": "ADDMEMBER", "logout": "REMOVEMEMBER", "pause": "PAUSE",
                "unpause": "UNPAUSE"}[event]
        self._put(NONE, member(seat), verb, reason)

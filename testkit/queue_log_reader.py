"""A queue_log reader that follows app_queue's documented format, as report tools do.

Written from Asterisk's documentation (Operation/Logging/Queue-Logs), not from the
hotline's writer, so a test that reads the hotline's file with it checks what
QueueMetrics or qpanel would see: `epoch|callid|queuename|agent|event|data...`, the
documented data fields of each event, and per call the outcome those tools count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# event -> its documented data fields (app_queue); numeric ones are checked as integers
DOCUMENTED: dict[str, tuple[str, ...]] = {
    "ENTERQUEUE": ("url", "callerid", "position"),
    "CONNECT": ("holdtime", "bridgedchanneluniqueid", "ringtime"),
    "COMPLETECALLER": ("holdtime", "calltime", "origposition"),
    "COMPLETEAGENT": ("holdtime", "calltime", "origposition"),
    "ABANDON": ("position", "origposition", "waittime"),
    "EXITWITHTIMEOUT": ("position", "origposition", "waittime"),
    "EXITWITHKEY": ("key", "position", "origposition", "waittime"),
    "EXITEMPTY": ("position", "origposition", "waittime"),
    "RINGNOANSWER": ("ringtime",),
    "RINGCANCELED": ("ringtime",),
    "TRANSFER": ("extension", "context", "holdtime", "calltime", "origposition"),
    # Asterisk 12+ (app_queue.c handle_blind_transfer / log_attended_transfer); the
    # attended method is BRIDGE|<bridge>, APP|<application> or LINK|<chan>|<chan>
    "BLINDTRANSFER": ("extension", "context", "holdtime", "calltime", "origposition"),
    "ATTENDEDTRANSFER": ("method", "methoddata", "holdtime", "calltime", "origposition"),
    "ADDMEMBER": (),
    "REMOVEMEMBER": (),
    "PAUSE": ("reason",),
    "UNPAUSE": ("reason",),
    "PAUSEALL": ("reason",),
    "UNPAUSEALL": ("reason",),
    "QUEUESTART": (),
    "CONFIGRELOAD": (),
}
NUMERIC = {"position", "origposition", "waittime", "holdtime", "calltime", "ringtime"}
ENDINGS = ("COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT", "EXITWITHKEY",
           "EXITEMPTY", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER")
# events whose last fields are counted from the end (a LINK method has two data fields)
TAIL = {"ATTENDEDTRANSFER": ("holdtime", "calltime", "origposition")}


class QueueLogFormatError(ValueError):
    """A line that does not follow the documented format."""


@dataclass(frozen=True)
class QueueLogLine:
    epoch: int
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]

    def field(self, name: str) -> str:
        """A documented data field by name ("" when the line has fewer fields)."""
        tail = TAIL.get(self.event, ())
        if name in tail:
            index = len(self.data) - len(tail) + tail.index(name)
            return self.data[index] if index >= 0 else ""
        names = DOCUMENTED.get(self.event, ())
        index = names.index(name)
        return self.data[index] if index < len(self.data) else ""


def parse_line(text: str) -> QueueLogLine:
    parts = text.rstrip("\n").split("|")
    if len(parts) < 5:
        raise QueueLogFormatError(f"fewer than five fields: {text[:80]!r}")
    epoch, callid, queue, agent, event, *data = parts
    if not epoch.isdigit():
        raise QueueLogFormatError(f"timestamp is not a UNIX epoch: {epoch[:20]!r}")
    if not callid or not queue or not agent or not event.isupper():
        raise QueueLogFormatError(f"empty call id, queue or agent, or bad event: {text[:80]!r}")
    line = QueueLogLine(int(epoch), callid, queue, agent, event, tuple(data))
    for name in DOCUMENTED.get(event, ()):
        value = line.field(name)
        if name in NUMERIC and not value.lstrip("-").isdigit():
            raise QueueLogFormatError(f"{event} {name} is not a number: {value[:20]!r}")
    return line


def read(path: Path) -> list[QueueLogLine]:
    """Every line of the file, parsed (a bad line raises)."""
    text = path.read_text(encoding="utf-8")
    return [parse_line(raw) for raw in text.splitlines() if raw]


@dataclass(frozen=True)
class QueueTotals:
    """What a report tool counts for one queue."""

    entered: int
    answered: int  # CONNECT
    abandoned: int  # ABANDON
    timed_out: int  # EXITWITHTIMEOUT
    callbacks_requested: int
    unfinished: tuple[str, ...]  # calls that entered and have no ending
    events: Counter


def totals(lines: Iterable[QueueLogLine], queue: str) -> QueueTotals:
    lines = [line for line in lines if line.queue == queue]
    events = Counter(line.event for line in lines)
    entered = {line.callid for line in lines if line.event == "ENTERQUEUE"}
    ended = {line.callid for line in lines if line.event in ENDINGS}
    return QueueTotals(
        entered=events["ENTERQUEUE"], answered=events["CONNECT"],
        abandoned=events["ABANDON"], timed_out=events["EXITWITHTIMEOUT"],
        callbacks_requested=events["CALLBACKREQUESTED"],
        unfinished=tuple(sorted(entered - ended)), events=events)

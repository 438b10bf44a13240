"""Service-level clocks: how long each kind of case may take, as arithmetic on a calendar.

Clock rules (the store follows them; they are here so they are written down once):

* The handling clock starts at the first assignment. Reassigning, escalating or adding
  co-handlers does NOT reset it: the citizen has waited since then, whoever holds it.
* A send-back (发回重办) DOES start a new clock of the kind's full length from the
  send-back moment: the handler is given a fresh period to redo the work.
* An approved extension adds working days to the same clock (at most 15 in total).
* A life dispatch gives each company its own 10 minutes to contact the citizen: a
  re-dispatch after a miss restarts that contact clock for the next company only.
* Receipt (签收) is timely within RECEIPT_WINDOW of assignment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from case_store.workdays import Due, WorkCalendar

HANDLING_DAYS = {"consult": 1, "affairs": 5, "complaint": 15, "suggestion": 15}
LIFE_CONTACT = timedelta(minutes=10)
# an elderly emergency: the centre acknowledges within minutes and resolves within the hour
EMERGENCY_ACK = timedelta(minutes=5)
EMERGENCY_DUE = timedelta(minutes=60)
RECEIPT_WINDOW = timedelta(hours=2)
MAX_EXTENSION_DAYS = 15


def handling_days(kind: str, extension_days: int = 0) -> int | None:
    """Working days a department has for ``kind`` (None: no working-day clock)."""
    base = HANDLING_DAYS.get(kind)
    return None if base is None else base + extension_days


def handling_due(
    calendar: WorkCalendar, kind: str, clock_start: datetime, extension_days: int = 0
) -> Due | None:
    """The handling deadline counted from ``clock_start``."""
    days = handling_days(kind, extension_days)
    return None if days is None else calendar.add_working_days(clock_start, days)


def contact_due(dispatched_at: datetime) -> datetime:
    """When a partner company must have contacted the citizen."""
    return dispatched_at + LIFE_CONTACT


def receipt_due(assigned_at: datetime) -> datetime:
    """When a department must have signed for the case for receipt to count as timely."""
    return assigned_at + RECEIPT_WINDOW

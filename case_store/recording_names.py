"""Names of call recordings, and which ones a retention pass deletes: pure, no I/O.

A recording's file name says what it belongs to, so a file found on disk links itself
to its call (or callback) without a lookup table Asterisk would have to write:

    c_<caller uniqueid>_<seat>_<answering leg's uniqueid>   a call a seat answered
    b_<callback id>_<citizen leg's uniqueid>                a callback the citizen answered

Every part is Asterisk's own id or our own seat number, never caller-controlled text;
the dialplan filters the name again before MixMonitor sees it (it runs a command).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

_PART = r"[A-Za-z0-9.-]{1,160}"
_CALL = re.compile(rf"^c_(?P<key>{_PART})_(?P<seat>[0-9]{{1,16}})_(?P<leg>{_PART})$")
_CALLBACK = re.compile(rf"^b_(?P<key>{_PART})_(?P<leg>{_PART})$")
NAME_LIMIT = 200  # the column; a longer stem is refused rather than cut
SAFE_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-"


@dataclass(frozen=True)
class RecordingName:
    """What one recording belongs to: a call (by the caller's uniqueid) or a callback."""

    stem: str
    call_uniqueid: str | None
    callback_id: str | None
    seat: str | None
    leg: str


def call_stem(caller_uniqueid: str, seat: str) -> str:
    """The stem of a seat's recording of a caller, without the leg (the dialplan adds it)."""
    return f"c_{caller_uniqueid}_{seat}"


def parse_name(stem: str) -> RecordingName | None:
    """The recording a file stem names, or None for anything else (never trusted blindly)."""
    if len(stem) > NAME_LIMIT:
        return None
    found = _CALL.match(stem)
    if found:
        return RecordingName(stem, found["key"], None, found["seat"], found["leg"])
    found = _CALLBACK.match(stem)
    if found:
        return RecordingName(stem, None, found["key"], None, found["leg"])
    return None


@dataclass(frozen=True)
class Stored:
    """A kept recording, as the retention pass weighs it."""

    id: int
    recorded_at: datetime
    size: int


def to_delete(kept: Sequence[Stored], now: datetime, retention_days: float,
              max_bytes: int) -> list[tuple[int, str]]:
    """Which recordings go, and why: those older than the retention ("retention"), then
    the oldest ones until the rest fit under the size cap ("size_cap"). 0 turns either
    rule off. Oldest first."""
    ordered = sorted(kept, key=lambda r: (r.recorded_at, r.id))
    going: list[tuple[int, str]] = []
    left: list[Stored] = []
    cutoff = now - timedelta(days=retention_days) if retention_days > 0 else None
    for rec in ordered:
        if cutoff is not None and rec.recorded_at < cutoff:
            going.append((rec.id, "retention"))
        else:
            left.append(rec)
    if max_bytes > 0:
        total = sum(r.size for r in left)
        for rec in left:
            if total <= max_bytes:
                break
            going.append((rec.id, "size_cap"))
            total -= rec.size
    return going


def stems_ready(names: Iterable[tuple[str, str, float]], now: float,
                stale_s: float) -> list[str]:
    """Stems whose recording is finished: ``(stem, suffix, mtime)`` of files in
    Asterisk's folder. ``.done`` is MixMonitor's own sign that it closed the file; a
    ``.raw`` untouched for ``stale_s`` is an Asterisk that died mid-call (kept anyway)."""
    ready = []
    for stem, suffix, mtime in names:
        if suffix == ".done" or (suffix == ".raw" and now - mtime >= stale_s):
            ready.append(stem)
    return sorted(set(ready))

"""What a scripted agent does on a seat phone, and the commands that change it.

Plain values and parsing, kept apart from the pjsua2 loop (`testkit.phones.process`) so they
can be read and tested without a SIP stack.
"""

from __future__ import annotations

import math
import struct
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NEVER = "never"
Talk = tuple[float, float] | None  # uniform range in seconds; None = until the far end hangs up


class CommandError(ValueError):
    """A stdin line that is not a command the farm understands."""


def parse_answer_after(raw: Any) -> float | None:
    """Seconds before answering, or None to ring until the caller gives up."""
    if raw == NEVER or raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise CommandError(f"answer_after must be seconds or 'never', not {raw!r}")
    try:
        value = float(raw)
    except ValueError as exc:
        raise CommandError(f"answer_after must be seconds or 'never', not {raw!r}") from exc
    if not math.isfinite(value) or value < 0:
        raise CommandError(f"answer_after must be >= 0, not {raw!r}")
    return value


def parse_talk(raw: Any) -> Talk:
    """Talk time: seconds, [min, max], "min,max" (CLI) or 'never'."""
    if raw == NEVER or raw is None:
        return None
    if isinstance(raw, str) and "," in raw:
        raw = raw.split(",")
    if isinstance(raw, list | tuple):
        if len(raw) != 2:
            raise CommandError(f"talk range must be [min, max], not {raw!r}")
        low, high = (parse_answer_after(x) for x in raw)
        if low is None or high is None or high < low:
            raise CommandError(f"talk range must be [min, max] with min <= max, not {raw!r}")
        return (low, high)
    value = parse_answer_after(raw)
    if value is None:
        raise CommandError(f"bad talk value {raw!r}")
    return (value, value)


@dataclass
class Behaviour:
    """How one seat's agent behaves; changed at run time by the `set` command."""

    answer_after: float | None = 0.5
    talk: Talk = None


def tone_wav(freq: float = 440.0, seconds: float = 1.0, rate: int = 8000) -> Path:
    """A loopable sine tone, so a caller hears 'someone' without shipping audio files."""
    path = Path(tempfile.gettempdir()) / f"hotline-seat-tone-{int(freq)}.wav"
    if path.exists():
        return path
    frames = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * freq * i / rate)))
        for i in range(int(rate * seconds))
    )
    tmp = path.with_suffix(f".{time.monotonic_ns()}.tmp")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    tmp.replace(path)
    return path

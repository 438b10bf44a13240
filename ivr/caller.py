"""Who is calling: caller ID decoded from the dialplan's base64 stash, made safe.

The dialplan blanks the caller name and stashes both number and name base64-encoded
(extensions.conf [hotline]), so caller-controlled bytes never cross the AGI text
protocol raw. Here they are decoded and reduced to what a record may hold.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

NUMBER_LIMIT = 32
NAME_LIMIT = 64
RAW_LIMIT = 200


@dataclass(frozen=True)
class CallerId:
    number: str  # dialable: digits, leading +, * and #
    name: str  # printable, one line, for display
    raw: str  # printable rendering of what arrived, for the record


def _decode(b64: str | None) -> str:
    if not b64:
        return ""
    try:
        return base64.b64decode(b64, validate=False).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def printable(text: str, limit: int) -> str:
    """One line of printable text: control characters become spaces, length capped."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())[:limit]


def dialable(text: str) -> str:
    """Only the keys of a phone: str.isdigit() would let "²" or "١" through to the record,
    SAY DIGITS and the callback dial plan."""
    digits = "".join(ch for ch in text if ch in "0123456789*#")
    plus = "+" if text.strip().startswith("+") else ""
    return (plus + digits)[:NUMBER_LIMIT]


def decode_caller(num_b64: str | None, name_b64: str | None, fallback_number: str = "") -> CallerId:
    """Caller ID from the stash; the AGI env number is a fallback for calls not via [hotline]."""
    raw_number = _decode(num_b64) or fallback_number
    return CallerId(
        number=dialable(raw_number),
        name=printable(_decode(name_b64), NAME_LIMIT),
        raw=printable(raw_number, RAW_LIMIT),
    )

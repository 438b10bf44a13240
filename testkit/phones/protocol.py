"""What the asyncio farm (`farm`) and the pjsua2 phone process (`process`) share.

The two sides talk JSON lines over the child's stdin/stdout: commands go in
(``{"cmd": ..., "seat": ..., "id": ...}``), events come out (``{"event": ..., "t": ...}``).
Both import this module and neither imports the other, so there is no import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_SEATS_PER_PROCESS = 4  # the pjsua2-python wheel accepts 4 calls at once per process
MODULE = "testkit.phones"  # ``python -m testkit.phones`` runs one phone process
TRUNK = "trunk"  # the "seat" of the citizens' phones behind the trunk (``--trunk``)

AnswerAfter = float | str  # seconds or "never"
TalkTime = float | str | Sequence[float]  # seconds, [min, max] or "never"
Event = dict[str, Any]  # one JSON line a phone process reports

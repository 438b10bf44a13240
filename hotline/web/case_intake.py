"""The web channels' side of intake: the console's counters around the one intake service.

Form, Open311, SMS and WeChat create cases through ``case_store.intake_service`` like
the phone does; this adds the per-channel count for /metrics and the desk's helpers.
"""

from __future__ import annotations

from typing import Any

from case_store.intake_service import Intake, IntakeResult
from hotline.web.context import WebContext

ACTOR = "web-intake"


async def take(c: WebContext, item: Intake, actor: str = ACTOR) -> IntakeResult:
    """Create (and route) a case from a web channel or the machine API; raises
    CaseStoreError on bad input."""
    result = await c.intake.take(item, actor)
    c.count(f"cases_created_{item.channel}")
    return result


def suggest(c: WebContext, text: str) -> dict[str, Any]:
    """The tagger's reading of a text (blocking: run it in a thread)."""
    return c.intake.suggest(text)


async def announce_change(c: WebContext, number: str, action: str) -> None:
    """Tell wallboards a case changed (status counters)."""
    await c.changes.changed(number, action)

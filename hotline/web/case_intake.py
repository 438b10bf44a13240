"""The one path by which the web channels (form, Open311, SMS, WeChat) create cases.

Text is tagged by ``case_store.tagging`` unless the channel already names the topic
(Open311's service_code); the case is created and routed at once (``route`` is
idempotent, so the routing worker meeting the same outbox message later does no harm),
extra intake fields are kept as a note in the case's event log, and a change message is
published on ``<prefix>:cases`` so wallboards refresh their case counters.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from case_store.console import INTAKE_DETAILS_ACTOR
from case_store.errors import CaseStoreError
from case_store.views import CaseView
from hotline.web.context import WebContext


@dataclass(frozen=True)
class Intake:
    channel: str
    caller: str
    text: str
    caller_name: str | None = None
    place: str | None = None
    lat: float | None = None
    lon: float | None = None
    topic: str | None = None  # given by the channel (Open311); else the tagger decides
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IntakeResult:
    case: CaseView
    tags: dict[str, Any]


@lru_cache(maxsize=1)
def _regions() -> dict[str, str]:
    """District names (婺城区) -> region codes (wucheng), from the seed data."""
    import case_store

    path = Path(case_store.__file__).with_name("seed.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: code for code, name in (data.get("regions") or {}).items()}


def suggest(c: WebContext, text: str) -> dict[str, Any]:
    """The tagger's reading of a text (kind, topic, confidence, place, phone, district),
    with what agents' corrections taught it when the console has a learning tagger."""
    if c.tagger is not None:
        return c.tagger.tag(text).to_dict()
    from case_store.tagging import tag

    return tag(text).to_dict()


def _create(c: WebContext, item: Intake) -> IntakeResult:
    store = c.store
    tags: dict[str, Any] = {}
    if item.topic is not None:
        topic = store.catalog.topics.get(item.topic)
        if topic is None:
            raise CaseStoreError(f"unknown service_code {item.topic!r}")
        kind, topic_code = topic.kind, topic.code
    else:
        tags = suggest(c, item.text)
        kind, topic_code = tags["kind"], tags["topic"]
    region = _regions().get(tags.get("district") or "")
    view = store.create_case(channel=item.channel, caller=item.caller, text=item.text,
                             kind=kind, topic=topic_code,
                             place=item.place or tags.get("place") or None,
                             lat=item.lat, lon=item.lon, region=region,
                             caller_name=item.caller_name)
    if view.duplicate:
        return IntakeResult(view, tags)
    extras = {k: v for k, v in item.extras.items() if v not in (None, "")}
    if extras:
        store.transition(view.number, "note", INTAKE_DETAILS_ACTOR, **extras)
    if kind != "emergency":
        view = store.route(view.number, actor="web-intake")
    return IntakeResult(view, tags)


async def take(c: WebContext, item: Intake) -> IntakeResult:
    """Create (and route) a case from a web channel; raises CaseStoreError on bad input."""
    result = await asyncio.to_thread(_create, c, item)
    c.count(f"cases_created_{item.channel}")
    if c.redis is not None:
        await c.redis.publish(c.key("cases"), json.dumps(
            {"case": result.case.number, "channel": item.channel, "kind": result.case.kind,
             "owner": result.case.owner, "duplicate": result.case.duplicate}))
    return result


async def announce_change(c: WebContext, number: str, action: str) -> None:
    """Tell wallboards a case changed (status counters)."""
    if c.redis is not None:
        await c.redis.publish(c.key("cases"), json.dumps({"case": number, "action": action}))

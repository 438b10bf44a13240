"""The one way a citizen's request becomes a case, whichever channel it came by.

Phone (the IVR's recording, transcribed), the web form, SMS, WeChat and Open311 all
hand an ``Intake`` to ``IntakeService.take``. A kind or topic the channel already knows
(the caller's DTMF choice, Open311's service_code) is kept; otherwise the tagger reads
the text. The case is created and routed at once (``route`` is idempotent, so the
routing worker meeting the same outbox message later does no harm), extra intake fields
are kept as a note in the case's log, and the new case is announced to wallboards.
A request without coordinates of its own (all but Open311) is placed by the Jinhua names
it mentions (``case_store.gazetteer``), so "nearest" dispatch works for every channel.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from case_store import gazetteer
from case_store.changes import CaseChanges
from case_store.console import INTAKE_DETAILS_ACTOR
from case_store.errors import CaseStoreError
from case_store.tagging import TagResult, tag
from case_store.views import CaseView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Intake:
    """One request as a channel received it."""

    channel: str  # phone, terminal, web (form and Open311), sms, wechat
    caller: str
    text: str
    caller_name: str | None = None
    place: str | None = None
    lat: float | None = None
    lon: float | None = None
    kind: str | None = None  # known to the channel (phone: keyed or heard); else tagged
    topic: str | None = None  # known to the channel (Open311's service_code, phone's tag)
    transcript: str | None = None
    call_ref: str | None = None
    elderly: bool = False
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IntakeResult:
    case: CaseView
    tags: dict[str, Any]


@lru_cache(maxsize=1)
def _regions() -> dict[str, str]:
    """District names (婺城区) -> region codes (wucheng), from the seed data."""
    path = Path(__file__).with_name("seed.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: code for code, name in (data.get("regions") or {}).items()}


def _whereabouts(item: Intake, place: str | None,
                 region: str | None) -> tuple[float | None, float | None, str | None]:
    """The intake's own coordinates (Open311's are never overridden); else the gazetteer's
    for its place, then for its whole text, which also supply a region it lacks."""
    if item.lat is not None or item.lon is not None:
        return item.lat, item.lon, region
    spot = gazetteer.locate(place, context=item.text) if place else None
    spot = spot or gazetteer.locate(item.text)
    if spot is None:
        return None, None, region
    return spot.lat, spot.lon, region or spot.region


class IntakeService:
    def __init__(self, store: Any, tagger: Any = None, changes: CaseChanges | None = None):
        self.store = store  # case_store.CaseStore
        self.tagger = tagger  # a LearningTagger; None: the packaged tagger
        self.changes = changes

    def tag(self, text: str) -> TagResult:
        """The tagger's reading of a text, with what agents' corrections taught it."""
        return self.tagger.tag(text) if self.tagger is not None else tag(text)

    def suggest(self, text: str) -> dict[str, Any]:
        """``tag`` as plain data (kind, topic, confidence, place, phone, district)."""
        return self.tag(text).to_dict()

    def _classify(self, item: Intake) -> tuple[str, str | None, dict[str, Any]]:
        if item.kind is not None:
            return item.kind, item.topic, {}
        if item.topic is not None:
            topic = self.store.catalog.topics.get(item.topic)
            if topic is None:
                raise CaseStoreError(f"unknown service_code {item.topic!r}")
            return topic.kind, topic.code, {}
        tags = self.suggest(item.text)
        return tags["kind"], tags["topic"], tags

    def take_now(self, item: Intake, actor: str) -> IntakeResult:
        """Create and route the case (blocking: SQL); CaseStoreError on bad input."""
        kind, topic, tags = self._classify(item)
        place = item.place or tags.get("place") or None
        lat, lon, region = _whereabouts(item, place, _regions().get(tags.get("district") or ""))
        view = self.store.create_case(
            channel=item.channel, caller=item.caller, text=item.text, kind=kind, topic=topic,
            place=place, lat=lat, lon=lon, region=region, caller_name=item.caller_name,
            transcript=item.transcript, call_ref=item.call_ref, elderly=item.elderly)
        if view.duplicate:
            return IntakeResult(view, tags)
        extras = {k: v for k, v in item.extras.items() if v not in (None, "")}
        if extras:
            self.store.transition(view.number, "note", INTAKE_DETAILS_ACTOR, **extras)
        if kind != "emergency":
            try:
                view = self.store.route(view.number, actor=actor)
            except Exception:  # the outbox message routes it later; the case is kept
                log.exception("case %s: routing at intake failed", view.number)
        return IntakeResult(view, tags)

    async def take(self, item: Intake, actor: str) -> IntakeResult:
        """``take_now`` off the event loop, then the new case announced."""
        result = await asyncio.to_thread(self.take_now, item, actor)
        if self.changes is not None:
            case = result.case
            await self.changes.publish({"case": case.number, "channel": item.channel,
                                        "kind": case.kind, "owner": case.owner,
                                        "duplicate": case.duplicate})
        return result

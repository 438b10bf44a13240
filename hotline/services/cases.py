"""Cases for the machine API: create one through the intake service (as every channel
does), read one, search with filters.

Filters and codes are checked here against the catalog and the lifecycle, so an unknown
topic, kind or status is an InvalidCaseError naming it (the transport's 400), never an
empty list that looks like "no such cases". Callers' numbers leave masked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from case_store import lifecycle
from case_store.creation import CHANNELS
from case_store.errors import InvalidCaseError
from case_store.intake_service import Intake
from case_store.views import CaseView, iso
from case_store.workdays import SHANGHAI
from hotline.web.case_intake import take
from hotline.web.context import WebContext
from hotline.web.html import mask_phone

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
FIELDS = ("caller", "text", "kind", "topic", "place", "channel", "call_ref", "caller_name")
TEXT_FIELDS = {"caller": 32, "kind": 32, "topic": 64, "place": 300, "channel": 16,
               "call_ref": 64, "caller_name": 64}


@dataclass(frozen=True)
class CaseFilter:
    """A search as the API's query string gives it, checked."""

    statuses: list[str] | None = None
    topics: list[str] | None = None
    kinds: list[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = DEFAULT_LIMIT


def _moment(name: str, raw: str, end_of_day: bool) -> datetime:
    """ISO date or date-time; a date is its whole day, a time without zone is Beijing's."""
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime.combine(day, time.max if end_of_day else time.min, SHANGHAI)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidCaseError(f"{name} must be an ISO date or date-time, got {raw[:40]!r}") \
            from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)


def _codes(query: Mapping[str, str], name: str) -> list[str] | None:
    values = [v for v in query.get(name, "").split(",") if v][:50]
    return values or None


def parse_filter(query: Mapping[str, str], catalog: Any) -> CaseFilter:
    """The query's filters (status, topic, kind: comma-separated codes; since, until;
    limit 1..MAX_LIMIT); InvalidCaseError names the first bad one."""
    statuses, topics, kinds = (_codes(query, n) for n in ("status", "topic", "kind"))
    for status in statuses or ():
        if status not in lifecycle.STATUSES:
            raise InvalidCaseError(f"unknown status {status[:40]!r}; valid statuses: "
                                   f"{', '.join(lifecycle.STATUSES)}")
    for topic in topics or ():
        catalog.check_topic(topic)
    for kind in kinds or ():
        catalog.check(kind, None)
    raw_limit = query.get("limit", "") or str(DEFAULT_LIMIT)
    if not (raw_limit.isascii() and raw_limit.isdigit()) or \
            not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise InvalidCaseError(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    since = _moment("since", query["since"], False) if query.get("since") else None
    until = _moment("until", query["until"], True) if query.get("until") else None
    if since and until and since > until:
        raise InvalidCaseError("since is after until")
    return CaseFilter(statuses, topics, kinds, since, until, int(raw_limit))


def case_json(v: CaseView) -> dict[str, Any]:
    """What a CRM gets of a case: its handling, the request, the caller masked."""
    return {"number": v.number, "channel": v.channel, "caller": mask_phone(v.caller),
            "text": v.text, "kind": v.kind, "topic": v.topic, "place": v.place,
            "region": v.region, "status": v.status, "priority": v.priority,
            "owner_type": v.owner_type, "owner": v.owner, "call_ref": v.call_ref,
            "received_at": iso(v.received_at), "due_at": iso(v.due_at),
            "answer": v.answer, "merged_into": v.merged_into, "duplicate": v.duplicate}


def intake_of(body: dict[str, Any], catalog: Any) -> Intake:
    """The request body as an intake; InvalidCaseError for unknown fields or codes."""
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise InvalidCaseError(f"unknown fields: {', '.join(unknown)[:200]}")
    for name, value in body.items():
        if value is not None and not isinstance(value, str):
            raise InvalidCaseError(f"{name} must be a string")
        if value and "\x00" in value:  # PostgreSQL keeps no NUL in text
            raise InvalidCaseError(f"{name} contains a NUL character")
        if value and name in TEXT_FIELDS and len(value) > TEXT_FIELDS[name]:
            raise InvalidCaseError(f"{name} is longer than {TEXT_FIELDS[name]} characters")
    kind, topic = body.get("kind") or None, body.get("topic") or None
    if kind is not None:
        catalog.check(kind, topic)
    catalog.check_topic(topic)
    if kind is None and topic is not None:
        kind = catalog.topics[topic].kind
    channel = body.get("channel") or "phone"
    if channel not in CHANNELS:
        raise InvalidCaseError(f"unknown channel {channel!r}; use one of {sorted(CHANNELS)}")
    return Intake(channel=channel, caller=body.get("caller") or "",
                  text=(body.get("text") or "").strip(), kind=kind, topic=topic,
                  place=(body.get("place") or "").strip() or None,
                  call_ref=body.get("call_ref") or None,
                  caller_name=body.get("caller_name") or None)


class CaseService:
    """One hotline instance's cases, for the machine API."""

    def __init__(self, c: WebContext) -> None:
        self.c = c

    async def create(self, body: dict[str, Any], actor: str) -> dict[str, Any]:
        """Create (tagging the text when no kind or topic is given) and route the case."""
        result = await take(self.c, intake_of(body, self.c.store.catalog), actor)
        tags = {k: result.tags[k] for k in ("kind", "topic", "confidence") if k in result.tags}
        return {**case_json(result.case), "tags": tags or None}

    async def get(self, number: str) -> dict[str, Any]:
        """The case; CaseNotFoundError when there is none."""
        return case_json(await asyncio.to_thread(self.c.store.get_case, number[:40]))

    async def search(self, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """Cases received in a window (default the last 90 days), newest first."""
        f = parse_filter(query, self.c.store.catalog)
        found = await asyncio.to_thread(
            self.c.store.search_cases, topics=f.topics, kinds=f.kinds, statuses=f.statuses,
            start=f.since, end=f.until, limit=f.limit)
        return [case_json(v) for v in found]

"""Creating a case from a citizen's request, exactly once.

The same caller sending the same text within a minute (a retried web form, a second
SMS) gets the first case back; a report about the place and topic of a case still being
handled is recorded and merged into it (``case_store.merging``); an emergency is assigned
in the same transaction; everything else gets a routing message in the outbox.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import text as sql_text

from case_store import lifecycle
from case_store.assignment import Assignment
from case_store.errors import InvalidCaseError
from case_store.merging import DuplicateMerging
from case_store.models import Caller, Case, CaseEvent, Outbox
from case_store.outbox import ROUTING_STREAM
from case_store.service_catalog import Catalog
from case_store.unit import UnitOfWork
from case_store.views import CaseView
from case_store.workdays import SHANGHAI

CHANNELS = frozenset({"phone", "web", "sms", "wechat", "terminal"})
MAX_TEXT = 10_000  # characters; a five-minute call transcribes to about 1,500
MAX_TRANSCRIPT = 20_000
DUPLICATE_WINDOW = timedelta(seconds=60)
_PHONE = re.compile(r"^\+?[0-9][0-9-]{2,30}$")
_SQUASH = re.compile(r"[\s\W_]+", re.UNICODE)


def text_digest(body: str) -> str:
    """Same request, same digest: case, width, spacing and punctuation do not matter."""
    plain = _SQUASH.sub("", unicodedata.normalize("NFKC", body).lower())
    return hashlib.sha256(plain.encode()).hexdigest()


class CaseCreation:
    """Creates cases: validation, same-request detection, merging, first routing step."""

    def __init__(self, uow: UnitOfWork, catalog: Catalog, merging: DuplicateMerging,
                 assignment: Assignment) -> None:
        self.uow = uow
        self.catalog = catalog
        self.merging = merging
        self.assignment = assignment

    def create_case(
        self,
        *,
        channel: str,
        caller: str,
        text: str,
        kind: str,
        topic: str | None = None,
        place: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        region: str | None = None,
        transcript: str | None = None,
        call_ref: str | None = None,
        caller_name: str | None = None,
        elderly: bool = False,
        actor: str = "intake",
    ) -> CaseView:
        """Record a request, or merge it into the same caller's identical one of the last minute.

        A request about the place and topic of an open case is recorded and merged into
        it (``case_store.merging``): the view has ``duplicate`` and ``merged_into`` set.
        Emergencies are assigned in the same transaction (never queued behind routing);
        everything else gets a routing message in the outbox.
        """
        self.validate(channel, caller, text, kind, topic, transcript, lat, lon)
        now = self.uow.clock()
        digest = text_digest(text)
        with self.uow.tx() as s:
            if s.bind.dialect.name == "postgresql":
                # serialise requests of one caller so two copies cannot both miss each other
                key = int(hashlib.sha1(caller.encode()).hexdigest()[:15], 16)  # noqa: S324
                s.execute(sql_text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
            person = s.scalar(select(Caller).where(Caller.phone == caller))
            if person is None:
                person = Caller(phone=caller, name=caller_name, elderly=elderly, created_at=now)
                s.add(person)
                s.flush()
            same = s.scalar(
                select(Case)
                .where(Case.caller_id == person.id, Case.text_digest == digest,
                       Case.received_at >= now - DUPLICATE_WINDOW, Case.status != "merged")
                .order_by(Case.id).limit(1)
            )
            if same is not None:
                self.uow.event(s, same, actor, "duplicate",
                               {"channel": channel, "call_ref": call_ref})
                return CaseView.of(same, caller, duplicate=True)
            case = Case(
                number=f"tmp-{uuid.uuid4().hex[:24]}", channel=channel,
                caller_id=person.id, text=text, text_digest=digest, transcript=transcript,
                kind=kind, topic=topic, place=place, lat=lat, lon=lon, region=region,
                status=lifecycle.RECEIVED, priority=9 if kind == "emergency" else 0,
                cohandlers=[], missed_companies=[], call_ref=call_ref, received_at=now,
                updated_at=now, extension_days=0, sent_back_count=0, due_provisional=False,
            )
            s.add(case)
            s.flush()
            case.number = f"{now.astimezone(SHANGHAI):%Y%m%d}{case.id:06d}"
            s.add(CaseEvent(case_id=case.id, at=now, actor=actor, action="create",
                            from_status=None, to_status=lifecycle.RECEIVED,
                            data={"channel": channel, "kind": kind, "topic": topic}))
            original = self.merging.same_place_case(s, case)
            if original is not None:
                self.merging.merge_on_intake(s, case, original, caller, actor)
                return CaseView.of(case, caller, duplicate=True)
            if kind == "emergency":
                self.assignment.emergency(s, case, now)
            else:
                s.add(Outbox(stream=ROUTING_STREAM, created_at=now,
                             payload={"case": case.number, "kind": kind}))
            return CaseView.of(case, caller)

    def validate(self, channel: str, caller: str, body: str, kind: str, topic: str | None,
                 transcript: str | None, lat: float | None, lon: float | None) -> None:
        """Raise InvalidCaseError naming the first unusable field."""
        if channel not in CHANNELS:
            raise InvalidCaseError(f"unknown channel {channel!r}; use one of {sorted(CHANNELS)}")
        if not isinstance(caller, str) or not _PHONE.match(caller):
            raise InvalidCaseError(f"caller must be a phone number, got {caller!r}")
        if not isinstance(body, str) or not body.strip():
            raise InvalidCaseError("the request text is empty")
        if len(body) > MAX_TEXT:
            raise InvalidCaseError(
                f"the request text has {len(body)} characters; the limit is {MAX_TEXT}"
            )
        if transcript is not None and len(transcript) > MAX_TRANSCRIPT:
            raise InvalidCaseError(f"the transcript is longer than {MAX_TRANSCRIPT} characters")
        if (lat is None) != (lon is None) or (
            lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)
        ):
            raise InvalidCaseError(f"place coordinates are invalid: lat={lat}, lon={lon}")
        self.catalog.check(kind, topic)

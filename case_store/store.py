"""CaseStore: the one entry point other modules use to write and read cases.

Every public method runs in one SQL transaction: the case row, its event-log entries and
any outbox message are committed together or not at all, so a failed call leaves nothing
half-written and a committed case can never miss its routing message (the outbox is
relayed to Redis by ``case_store.streams``). All methods are synchronous; async callers
(ACD, IVR) use ``asyncio.to_thread``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import Engine, func, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from case_store import dispatch, knowledge, lifecycle, sla
from case_store.amend import plan_correction
from case_store.callbacks import CallbackRecords
from case_store.calls import CallRecords
from case_store.companies import CompanyStanding
from case_store.console import ConsoleQueries
from case_store.db import make_engine, migrate
from case_store.errors import (
    CaseNotFoundError,
    IllegalTransitionError,
    InvalidCaseError,
    UnknownCompanyError,
    UnknownDepartmentError,
)
from case_store.merging import DuplicateMerging
from case_store.models import (
    CalendarDay,
    Call,
    Caller,
    Case,
    CaseEvent,
    Company,
    Department,
    Dispatch,
    KnowledgeEntry,
    Outbox,
)
from case_store.policy import CasePolicy
from case_store.routing import DeptNode, local_department, rule_for
from case_store.service_catalog import Catalog, load_catalog
from case_store.views import CaseView, EventView
from case_store.visits import HANDED_OVER, FollowUpVisits
from case_store.workdays import SHANGHAI as SHANGHAI_TZ
from case_store.workdays import WorkCalendar, YearSchedule, parse_schedule

CHANNELS = frozenset({"phone", "web", "sms", "wechat", "terminal"})
MAX_TEXT = 10_000  # characters; a five-minute call transcribes to about 1,500
MAX_TRANSCRIPT = 20_000
DUPLICATE_WINDOW = timedelta(seconds=60)
FAIRNESS_WINDOW = timedelta(days=30)
MANUAL_ACTIONS = frozenset({"accept", "start", "reply", "reassign", "escalate", "extend",
                            "add_cohandler", "merge", "supervise", "note"})
ROUTING_STREAM = "routing"
EMERGENCY_STREAM = "emergency"
_PHONE = re.compile(r"^\+?[0-9][0-9-]{2,30}$")
_SQUASH = re.compile(r"[\s\W_]+", re.UNICODE)


def utc_now() -> datetime:
    return datetime.now(UTC)


def text_digest(body: str) -> str:
    """Same request, same digest: case, width, spacing and punctuation do not matter."""
    plain = _SQUASH.sub("", unicodedata.normalize("NFKC", body).lower())
    return hashlib.sha256(plain.encode()).hexdigest()


@dataclass(frozen=True)
class SweepReport:
    """What one pass of the SLA sweeper did."""

    redispatched: tuple[str, ...]
    supervised: tuple[str, ...]


class CaseStore(CallRecords, CallbackRecords, ConsoleQueries, CompanyStanding,
                DuplicateMerging, FollowUpVisits):
    """Cases, their routing and their clocks on one SQL database; call records,
    callbacks, the console's reads, company standing, duplicate merging and follow-up
    visits come from the mixins (``case_store.calls``, ``case_store.callbacks``,
    ``case_store.console``, ``case_store.companies``, ``case_store.merging``,
    ``case_store.visits``).

    ``clock`` returns the current aware time; tests inject a fake to move time without
    sleeping. ``calendar`` defaults to the official calendar plus any schedules loaded into
    the database. ``policy`` holds the penalty thresholds and the merging window.
    """

    def __init__(
        self,
        url: str | Engine,
        *,
        clock: Callable[[], datetime] = utc_now,
        catalog: Catalog | None = None,
        calendar: WorkCalendar | None = None,
        policy: CasePolicy | None = None,
    ) -> None:
        self.engine = make_engine(url) if isinstance(url, str) else url
        self.clock = clock
        self.policy = policy or CasePolicy()
        self.catalog = catalog or load_catalog()
        self._calendar = calendar

    # -- setup ---------------------------------------------------------------------------

    def setup(self, seed: bool = True) -> None:
        """Migrate the schema to head and (idempotently) load departments, companies, KB."""
        migrate(self.engine)
        if seed:
            from case_store.seed import load_seed

            with self._tx() as s:
                load_seed(s, self.catalog, self.clock())

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @property
    def calendar(self) -> WorkCalendar:
        """The working-day calendar, with the operator's loaded schedules."""
        if self._calendar is None:
            with Session(self.engine) as s:
                rows = s.scalars(select(CalendarDay)).all()
            years: dict[int, tuple[set, set]] = {}
            for r in rows:
                hol, work = years.setdefault(r.year, (set(), set()))
                (work if r.workday else hol).add(r.day)
            self._calendar = WorkCalendar.with_schedules(
                YearSchedule(y, frozenset(h), frozenset(w)) for y, (h, w) in years.items()
            )
        return self._calendar

    # -- intake --------------------------------------------------------------------------

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
        self._validate(channel, caller, text, kind, topic, transcript, lat, lon)
        now = self.clock()
        digest = text_digest(text)
        with self._tx() as s:
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
                self._event(s, same, actor, "duplicate", {"channel": channel, "call_ref": call_ref})
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
            case.number = f"{now.astimezone(SHANGHAI_TZ):%Y%m%d}{case.id:06d}"
            s.add(CaseEvent(case_id=case.id, at=now, actor=actor, action="create",
                            from_status=None, to_status=lifecycle.RECEIVED,
                            data={"channel": channel, "kind": kind, "topic": topic}))
            original = self._same_place_case(s, case)
            if original is not None:
                self._merge_on_intake(s, case, original, caller, actor)
                return CaseView.of(case, caller, duplicate=True)
            if kind == "emergency":
                self._route_emergency(s, case, now)
            else:
                s.add(Outbox(stream=ROUTING_STREAM, created_at=now,
                             payload={"case": case.number, "kind": kind}))
            return CaseView.of(case, caller)

    def _validate(self, channel: str, caller: str, body: str, kind: str, topic: str | None,
                  transcript: str | None, lat: float | None, lon: float | None) -> None:
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

    # -- reading -------------------------------------------------------------------------

    def _load(self, s: Session, number: str, lock: bool = False) -> Case:
        query = select(Case).where(Case.number == str(number))
        if lock:
            query = query.with_for_update()
        case = s.scalar(query)
        if case is None:
            raise CaseNotFoundError(f"no case numbered {number!r}")
        return case

    def _view(self, s: Session, case: Case) -> CaseView:
        phone = s.scalar(select(Caller.phone).where(Caller.id == case.caller_id)) or ""
        answer = None
        if case.answer_entry_id is not None:
            answer = s.scalar(select(KnowledgeEntry.answer)
                              .where(KnowledgeEntry.id == case.answer_entry_id))
        return CaseView.of(case, phone, answer)

    def get_case(self, number: str) -> CaseView:
        """The case as it stands now."""
        with self._tx() as s:
            return self._view(s, self._load(s, number))

    def events(self, number: str) -> list[EventView]:
        """The case's full history, oldest first."""
        with self._tx() as s:
            case = self._load(s, number)
            rows = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                             .order_by(CaseEvent.id)).all()
            return [EventView.of(r) for r in rows]

    def list_cases(self, *, overdue: bool = False, status: str | None = None,
                   owner: str | None = None, limit: int = 200) -> list[CaseView]:
        """Open cases, optionally only those past their deadline or of one owner."""
        now = self.clock()
        with self._tx() as s:
            q = select(Case).order_by(Case.id).limit(limit)
            if status:
                q = q.where(Case.status == status)
            else:
                q = q.where(Case.status.in_(lifecycle.OPEN_STATUSES))
            if owner:
                q = q.where(Case.owner_code == owner)
            if overdue:
                q = q.where(Case.status.in_(lifecycle.HANDLING), Case.due_at < now)
            return [self._view(s, c) for c in s.scalars(q).all()]

    def caller_history(self, phone: str) -> list[CaseView]:
        """Every case a caller raised, newest first (the agent's screen pop)."""
        with self._tx() as s:
            person = s.scalar(select(Caller).where(Caller.phone == phone))
            if person is None:
                return []
            rows = s.scalars(select(Case).where(Case.caller_id == person.id)
                             .order_by(Case.id.desc())).all()
            return [CaseView.of(r, phone) for r in rows]

    def search_knowledge(self, question: str, topic: str | None = None,
                         limit: int = 3) -> list[knowledge.Hit]:
        """Best knowledge-base answers for a question, with scores."""
        with self._tx() as s:
            return knowledge.search(self._kb(s), question, topic, limit)

    def _kb(self, s: Session) -> list[knowledge.Entry]:
        return [knowledge.Entry(e.id, e.topic, e.question, e.answer)
                for e in s.scalars(select(KnowledgeEntry).order_by(KnowledgeEntry.id))]

    # -- event log -----------------------------------------------------------------------

    def _event(self, s: Session, case: Case, actor: str, action: str,
               data: dict[str, Any] | None = None, to_status: str | None = None) -> None:
        """Check the transition, then change status and append the event together."""
        new = lifecycle.next_status(case.status, action) if to_status is None else to_status
        now = self.clock()
        s.add(CaseEvent(case_id=case.id, at=now, actor=actor, action=action,
                        from_status=case.status, to_status=new, data=data or {}))
        case.status = new
        case.updated_at = now

    # -- routing -------------------------------------------------------------------------

    def route(self, number: str, actor: str = "router") -> CaseView:
        """Apply the case's rule. Idempotent: a case already routed is returned unchanged,
        so a redelivered stream message does no harm."""
        with self._tx() as s:
            case = self._load(s, number, lock=True)
            if case.status != lifecycle.RECEIVED:
                return self._view(s, case)
            now = self.clock()
            rule = rule_for(self.catalog, case.kind, case.topic)
            if rule.name == "forward":
                self._event(s, case, actor, "forward", {"forwarded_to": rule.dept})
                case.owner_type, case.owner_code = "department", rule.dept
            elif rule.name == "emergency":
                self._route_emergency(s, case, now)
            elif rule.name == "kb":
                hit = knowledge.best(self._kb(s), case.text, case.topic)
                if hit is not None:
                    case.owner_type, case.owner_code = "kb", str(hit.entry.id)
                    case.answer_entry_id = hit.entry.id
                    self._event(s, case, actor, "answer",
                                {"entry": hit.entry.id, "score": hit.score})
                else:
                    self._assign_department(s, case, rule.dept, actor, now, "no KB answer")
            elif rule.name == "company":
                self._dispatch(s, case, rule.trade or "", actor, now)
            else:
                self._assign_department(s, case, rule.dept, actor, now, f"{case.kind} rule")
            return self._view(s, case)

    def _route_emergency(self, s: Session, case: Case, now: datetime) -> None:
        case.owner_type, case.owner_code = "person", "elderly_center"
        case.assigned_at = case.due_at = case.contact_due_at = now
        self._event(s, case, "router", "assign",
                    {"owner_type": "person", "owner": "elderly_center", "rule": "emergency"})
        s.add(Outbox(stream=EMERGENCY_STREAM, created_at=now,
                     payload={"case": case.number, "kind": "emergency"}))

    def _departments(self, s: Session) -> list[DeptNode]:
        return [DeptNode(d.code, d.parent_code, d.level, d.region)
                for d in s.scalars(select(Department))]

    def _assign_department(self, s: Session, case: Case, dept: str, actor: str,
                           now: datetime, why: str) -> None:
        code = local_department(dept, case.region, self._departments(s))
        if s.get(Department, code) is None:
            raise UnknownDepartmentError(f"department {code!r} is not loaded; run the seed")
        case.owner_type, case.owner_code = "department", code
        case.assigned_at = now
        self._set_due(case, now)
        case.receipt_due_at = sla.receipt_due(now)
        self._event(s, case, actor, "assign",
                    {"owner_type": "department", "owner": code, "rule": why,
                     "due_at": _iso(case.due_at), "provisional": case.due_provisional})

    def _set_due(self, case: Case, clock_start: datetime) -> None:
        kind = case.kind if case.kind in sla.HANDLING_DAYS else "affairs"
        due = sla.handling_due(self.calendar, kind, clock_start, case.extension_days)
        case.due_days = sla.handling_days(kind, case.extension_days)
        case.due_at, case.due_provisional = (due.at, due.provisional) if due else (None, False)
        case.supervised_at = None

    def _dispatch(self, s: Session, case: Case, trade: str, actor: str, now: datetime,
                  action: str = "assign") -> bool:
        self._end_suspensions(s, actor)
        since = now - FAIRNESS_WINDOW
        loads = dict(s.execute(select(Dispatch.company_code, func.count())
                               .where(Dispatch.at >= since).group_by(Dispatch.company_code)).all())
        views = [dispatch.CompanyView(c.code, c.name, c.trade, c.lat, c.lon, c.rating,
                                      c.standing, loads.get(c.code, 0))
                 for c in s.scalars(select(Company).where(Company.trade == trade))]
        place = (case.lat, case.lon) if case.lat is not None else None
        ranked = dispatch.rank_companies(views, trade, place, frozenset(case.missed_companies))
        if not ranked:
            # nobody left of that trade: the responsible department takes it over
            rule = rule_for(self.catalog, case.kind, case.topic)
            why = f"no eligible {trade} company"
            if case.status == lifecycle.RECEIVED:
                self._assign_department(s, case, rule.dept, actor, now, why)
            else:
                self._event(s, case, actor, "reassign",
                            {"owner_type": "department", "owner": rule.dept, "rule": why,
                             "from_owner": case.owner_code})
                case.owner_type, case.owner_code = "department", rule.dept
                case.contact_due_at = None
                self._set_due(case, case.assigned_at or now)
            return False
        choice = ranked[0]
        reason = choice.reason
        if len(ranked) > 1:
            reason += f"; runner-up {ranked[1].reason}"
        due = sla.contact_due(now)
        s.add(Dispatch(case_id=case.id, company_code=choice.code, at=now,
                       contact_due_at=due, reason=reason, missed=False))
        self._event(s, case, actor, action,
                    {"owner_type": "company", "owner": choice.code, "rule": "life",
                     "reason": reason, "from_owner": case.owner_code,
                     "contact_due_at": _iso(due)})
        case.owner_type, case.owner_code = "company", choice.code
        case.dispatch_reason = reason
        case.contact_due_at = due
        if case.assigned_at is None:
            case.assigned_at = now
            self._set_due(case, now)
        return True

    # -- handling ------------------------------------------------------------------------

    def correct(self, number: str, fields: dict[str, Any], by: str) -> CaseView:
        """An agent corrects kind, topic, place or text: the change and a ``corrected``
        event with before/after are written together; bad input raises and writes nothing.
        Routing already done stays as it is (a re-route is the handler's ``reassign``)."""
        with self._tx() as s:
            case = self._load(s, number, lock=True)
            current = {"kind": case.kind, "topic": case.topic, "place": case.place,
                       "text": case.text}
            before, after = plan_correction(current, fields, self.catalog, MAX_TEXT)
            if after:
                for name, value in after.items():
                    setattr(case, name, value)
                if "text" in after:
                    case.text_digest = text_digest(after["text"])
                self._event(s, case, by, "corrected", {"before": before, "after": after},
                            to_status=case.status)
            return self._view(s, case)

    def record_transfer(self, uniqueid: str, *, by: str, to: str,
                        number: str | None = None) -> CaseView | None:
        """Log that an agent transferred a call: on the call record, and on its case (given,
        or the case opened for that call); None when the call has no case yet."""
        with self._tx() as s:
            call = s.get(Call, str(uniqueid)[:150])
            if call is not None:
                call.transferred_to = to[:80]
            if number:
                case = self._load(s, number, lock=True)
            else:
                case = s.scalar(select(Case).where(Case.call_ref == str(uniqueid))
                                .order_by(Case.id.desc()).limit(1))
                if case is None:
                    return None
            self._event(s, case, by, "transfer", {"to": to, "call": str(uniqueid)[:150]},
                        to_status=case.status)
            return self._view(s, case)

    def confirm_contact(self, number: str, company: str) -> CaseView:
        """A partner company reports it has contacted the citizen (its API calls this)."""
        with self._tx() as s:
            case = self._load(s, number, lock=True)
            if case.owner_type != "company" or case.owner_code != company:
                raise IllegalTransitionError(
                    f"case {number} is not dispatched to {company!r} (owner {case.owner_code})"
                )
            now = self.clock()
            d = s.scalar(select(Dispatch).where(Dispatch.case_id == case.id,
                                                Dispatch.company_code == company,
                                                Dispatch.missed.is_(False))
                         .order_by(Dispatch.id.desc()).limit(1))
            on_time = d is not None and now <= d.contact_due_at
            if d is not None:
                d.contacted_at = now
            self._event(s, case, company, "accept",
                        {"owner_type": "company", "owner": company, "on_time": on_time})
            self._judge_company(s, company, "scores", case.number)
            return self._view(s, case)

    def transition(self, number: str, action: str, actor: str, **data: Any) -> CaseView:
        """Apply a handling action: accept, start, reply, reassign(to=), escalate,
        extend(days=, approved_by=), add_cohandler(dept=), merge(into=), supervise, note.

        Illegal actions raise IllegalTransitionError and write nothing.
        """
        with self._tx() as s:
            if action not in MANUAL_ACTIONS:
                raise IllegalTransitionError(
                    f"{action!r} is not a handling action; use one of {sorted(MANUAL_ACTIONS)}"
                    " (routing and follow-up have their own methods)"
                )
            case = self._load(s, number, lock=True)
            lifecycle.next_status(case.status, action)  # fail before any change
            handler = getattr(self, f"_do_{action}", None)
            if handler is None:
                self._event(s, case, actor, action, _jsonable(data))
                if action == "note" and data.get("followup") == HANDED_OVER:
                    self._hand_over_visits(s, case)
                return self._view(s, case)
            try:
                handler(s, case, actor, **data)
            except TypeError as exc:
                raise IllegalTransitionError(f"bad arguments for {action}: {exc}") from exc
            return self._view(s, case)

    def _do_accept(self, s: Session, case: Case, actor: str) -> None:
        if case.owner_type == "company":
            raise IllegalTransitionError("a company accepts by confirm_contact(number, company)")
        on_time = case.receipt_due_at is None or self.clock() <= case.receipt_due_at
        self._event(s, case, actor, "accept",
                    {"owner_type": case.owner_type, "owner": case.owner_code, "on_time": on_time})

    def _do_reply(self, s: Session, case: Case, actor: str, reply: str = "") -> None:
        now = self.clock()
        on_time = case.due_at is None or now <= case.due_at
        self._event(s, case, actor, "reply",
                    {"owner_type": case.owner_type, "owner": case.owner_code,
                     "on_time": on_time, "reply": reply[:MAX_TEXT]})
        self._visits_for_reply(s, case, reply[:MAX_TEXT], now)

    def _do_reassign(self, s: Session, case: Case, actor: str, to: str = "") -> None:
        if s.get(Department, to) is None:
            raise UnknownDepartmentError(f"unknown department {to!r}")
        if to == case.owner_code:
            raise IllegalTransitionError(f"case {case.number} is already with {to}")
        self._move(s, case, actor, "reassign", to)

    def _do_escalate(self, s: Session, case: Case, actor: str, to: str | None = None) -> None:
        target = to
        if target is None and case.owner_type == "department":
            dept = s.get(Department, case.owner_code)
            target = dept.parent_code if dept is not None else None
        target = target or "supervision_office"
        if s.get(Department, target) is None:
            raise UnknownDepartmentError(f"unknown department {target!r}")
        self._move(s, case, actor, "escalate", target)

    def _move(self, s: Session, case: Case, actor: str, action: str, dept: str) -> None:
        """Hand the case to another department; the handling clock keeps running."""
        now = self.clock()
        self._event(s, case, actor, action, {"owner_type": "department", "owner": dept,
                                             "from_owner": case.owner_code})
        if case.owner_type == "company":
            # a life case taken over by a department gets the affairs clock from dispatch
            case.contact_due_at = None
            self._set_due(case, case.assigned_at or now)
        case.owner_type, case.owner_code = "department", dept
        case.receipt_due_at = sla.receipt_due(now)

    def _do_extend(self, s: Session, case: Case, actor: str, days: int = 0,
                   approved_by: str = "") -> None:
        if approved_by != "supervision_office":
            raise IllegalTransitionError("an extension needs approval by supervision_office")
        total = case.extension_days + int(days)
        if int(days) <= 0 or total > sla.MAX_EXTENSION_DAYS:
            raise IllegalTransitionError(
                f"extension of {days} days refused: total may not exceed "
                f"{sla.MAX_EXTENSION_DAYS} working days (already {case.extension_days})"
            )
        case.extension_days = total
        self._set_due(case, case.assigned_at or self.clock())
        self._event(s, case, actor, "extend", {"days": int(days), "approved_by": approved_by,
                                               "due_at": _iso(case.due_at)})

    def _do_add_cohandler(self, s: Session, case: Case, actor: str, dept: str = "") -> None:
        """First-responsible rule: the owner stays; co-handlers help and are listed."""
        if s.get(Department, dept) is None:
            raise UnknownDepartmentError(f"unknown department {dept!r}")
        if dept == case.owner_code or dept in (case.cohandlers or []):
            raise IllegalTransitionError(f"{dept} already handles case {case.number}")
        case.cohandlers = [*(case.cohandlers or []), dept]
        self._event(s, case, actor, "add_cohandler", {"dept": dept, "owner": case.owner_code})

    def _do_merge(self, s: Session, case: Case, actor: str, into: str = "") -> None:
        target = self._load(s, into)
        if target.id == case.id or target.status == lifecycle.MERGED:
            raise IllegalTransitionError(f"cannot merge {case.number} into {into}")
        case.merged_into = target.number
        self._event(s, case, actor, "merge", {"into": target.number})
        self._event(s, target, actor, "note", {"merged_from": case.number})

    def _do_supervise(self, s: Session, case: Case, actor: str) -> None:
        self._supervise(s, case, actor)

    def _supervise(self, s: Session, case: Case, actor: str) -> None:
        now = self.clock()
        case.supervised_at = now
        overdue = (now - case.due_at).total_seconds() if case.due_at else 0
        self._event(s, case, actor, "supervise",
                    {"notice": "督办通知书", "owner": case.owner_code,
                     "due_at": _iso(case.due_at), "overdue_seconds": int(overdue)})

    # -- clocks --------------------------------------------------------------------------

    def sweep(self) -> SweepReport:
        """Move missed life dispatches on (penalising the company that missed), end
        suspensions that have run out, and issue supervision notices for passed deadlines.

        Run it every minute or so (any number of processes may; rows are locked).
        """
        now = self.clock()
        moved: list[str] = []
        noticed: list[str] = []
        with self._tx() as s:
            self._end_suspensions(s, "sla")
            late = s.scalars(select(Dispatch).where(Dispatch.contacted_at.is_(None),
                                                    Dispatch.missed.is_(False),
                                                    Dispatch.contact_due_at < now)
                             .with_for_update(skip_locked=True)).all()
            for d in late:
                case = s.get(Case, d.case_id)
                d.missed = True
                if case is None or case.status != lifecycle.ASSIGNED \
                        or case.owner_code != d.company_code:
                    continue
                case.missed_companies = [*(case.missed_companies or []), d.company_code]
                self._event(s, case, "sla", "note",
                            {"contact_missed": d.company_code, "owner_type": "company",
                             "contact_due_at": _iso(d.contact_due_at)})
                self._judge_company(s, d.company_code, "sla", case.number)
                trade = rule_for(self.catalog, case.kind, case.topic).trade or ""
                self._dispatch(s, case, trade, "sla", now, action="reassign")
                moved.append(case.number)
            overdue = s.scalars(select(Case).where(Case.status.in_(lifecycle.HANDLING),
                                                   Case.due_at < now,
                                                   Case.supervised_at.is_(None))
                                .with_for_update(skip_locked=True)).all()
            for case in overdue:
                self._supervise(s, case, "sla")
                noticed.append(case.number)
        return SweepReport(tuple(moved), tuple(noticed))

    def load_schedule(self, data: dict | str) -> int:
        """Load an official year schedule (YAML text or mapping); recompute provisional
        deadlines of open cases. Returns how many deadlines were recomputed."""
        schedule = parse_schedule(yaml.safe_load(data) if isinstance(data, str) else data)
        with self._tx() as s:
            s.query(CalendarDay).filter(CalendarDay.year == schedule.year).delete()
            for day in schedule.holidays:
                s.add(CalendarDay(day=day, year=schedule.year, workday=False))
            for day in schedule.workdays:
                s.add(CalendarDay(day=day, year=schedule.year, workday=True))
            loaded = dict(self.calendar.loaded)
            loaded[schedule.year] = schedule
            self._calendar = WorkCalendar(loaded)
            open_rows = s.scalars(select(Case).where(Case.due_provisional.is_(True),
                                                     Case.status.in_(lifecycle.HANDLING))
                                  .with_for_update()).all()
            for case in open_rows:
                before = case.due_at
                self._set_due(case, case.assigned_at or case.received_at)
                self._event(s, case, "calendar", "note",
                            {"due_recomputed": _iso(case.due_at), "was": _iso(before),
                             "schedule_year": schedule.year})
            return len(open_rows)

    # -- outbox --------------------------------------------------------------------------

    def relay(self, publish: Callable[[str, dict[str, Any]], None], limit: int = 500) -> int:
        """Hand unpublished outbox messages to ``publish(stream, payload)`` in order and mark
        them published in the same transaction.

        A crash after publishing but before commit republishes the message: consumers must
        be idempotent (``route`` is). Concurrent relays skip each other's locked rows.
        """
        with self._tx() as s:
            rows = s.scalars(select(Outbox).where(Outbox.published_at.is_(None))
                             .order_by(Outbox.id).limit(limit)
                             .with_for_update(skip_locked=True)).all()
            now = self.clock()
            for row in rows:
                publish(row.stream, {**row.payload, "outbox": row.id})
                row.published_at = now
            return len(rows)

    # -- event export (scores) -----------------------------------------------------------

    def iter_events(self, start: datetime, end: datetime,
                    batch: int = 5000) -> Iterator[tuple[datetime, str, dict[str, Any]]]:
        """(at, action, data) of every event in [start, end), streamed in batches."""
        last = 0
        while True:
            with Session(self.engine) as s:
                rows = s.execute(select(CaseEvent.id, CaseEvent.at, CaseEvent.action,
                                        CaseEvent.data)
                                 .where(CaseEvent.at >= start, CaseEvent.at < end,
                                        CaseEvent.id > last)
                                 .order_by(CaseEvent.id).limit(batch)).all()
            if not rows:
                return
            for row in rows:
                yield row.at, row.action, row.data or {}
            last = rows[-1].id

    def company(self, code: str) -> Company:
        """A partner company row (detached)."""
        with self._tx() as s:
            row = s.get(Company, code)
            if row is None:
                raise UnknownCompanyError(f"unknown company {code!r}")
            return row


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SHANGHAI_TZ).isoformat()


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
            for k, v in data.items()}


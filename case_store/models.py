"""SQLAlchemy 2.x tables: the system of record for cases and everything around them.

Times are stored in UTC (``UTCDateTime``) and shown in Asia/Shanghai at the edges.
``case_events`` is append-only: the migration installs triggers that refuse UPDATE and
DELETE on it, so history cannot be rewritten even by a stray query.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from case_store import places


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the case store; attach a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Department(Base):
    """City departments, district execution departments and county sub-centres."""

    __tablename__ = "departments"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))  # city | district | county
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    region: Mapped[str | None] = mapped_column(String(64))
    duty_phone: Mapped[str | None] = mapped_column(String(32))  # consulted on a live call


class Company(Base):
    """A partner company that takes life-service dispatches."""

    __tablename__ = "companies"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    trade: Mapped[str] = mapped_column(String(64), index=True)
    region: Mapped[str | None] = mapped_column(String(64))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[float] = mapped_column(Float, default=4.0)
    standing: Mapped[str] = mapped_column(String(16), default="active")
    phone: Mapped[str | None] = mapped_column(String(32))
    suspended_until: Mapped[datetime | None]  # set while standing is "suspended"
    judged_from: Mapped[datetime | None]  # penalties count events from here (after a lift)


class CompanyEvent(Base):
    """Append-only log of a company's standing: every penalty, lift and decision."""

    __tablename__ = "company_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_code: Mapped[str] = mapped_column(ForeignKey("companies.code"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    from_standing: Mapped[str] = mapped_column(String(16))
    to_standing: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Caller(Base):
    """A citizen, identified by phone number; their cases are their history."""

    __tablename__ = "callers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    elderly: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Case(Base):
    """One citizen request (工单) and its current state; history is in CaseEvent."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    caller_id: Mapped[int] = mapped_column(ForeignKey("callers.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    text_digest: Mapped[str] = mapped_column(String(64))
    transcript: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(64))
    place: Mapped[str | None] = mapped_column(String(300))
    place_key: Mapped[str | None] = mapped_column(String(300))  # places.place_key(place)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    region: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    owner_type: Mapped[str | None] = mapped_column(String(16))  # department|company|kb|person
    owner_code: Mapped[str | None] = mapped_column(String(64), index=True)
    cohandlers: Mapped[list[Any]] = mapped_column(default=list)
    call_ref: Mapped[str | None] = mapped_column(String(64))  # the call (ACD) that raised it
    received_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]  # handling clock start
    due_at: Mapped[datetime | None]
    due_days: Mapped[int | None] = mapped_column(Integer)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    receipt_due_at: Mapped[datetime | None]
    contact_due_at: Mapped[datetime | None]
    missed_companies: Mapped[list[Any]] = mapped_column(default=list)
    dispatch_reason: Mapped[str | None] = mapped_column(Text)
    answer_entry_id: Mapped[int | None] = mapped_column(Integer)
    merged_into: Mapped[str | None] = mapped_column(String(32))
    sent_back_count: Mapped[int] = mapped_column(Integer, default=0)
    supervised_at: Mapped[datetime | None]
    leader: Mapped[str | None] = mapped_column(String(64), index=True)  # 领导批办: account
    leader_instructed_at: Mapped[datetime | None]  # None while the case waits for the leader
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_cases_caller_digest", "caller_id", "text_digest"),
                      Index("ix_cases_topic_place", "topic", "place_key"))

    @validates("place")
    def _key_place(self, _name: str, value: str | None) -> str | None:
        """Keep the duplicate-matching key in step with the place, however it is set."""
        self.place_key = places.place_key(value)
        return value


class CaseEvent(Base):
    """Append-only log of every change: who, when, what."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SupervisionNotice(Base):
    """A numbered supervision notice (督办通知书) to the department that held the case,
    which it must acknowledge; ``number`` is DB-<year issued>-<id>, unique for ever."""

    __tablename__ = "supervision_notices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(24), unique=True)  # set once id is known
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    owner_type: Mapped[str | None] = mapped_column(String(16))
    owner_code: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    issued_at: Mapped[datetime]
    issued_by: Mapped[str] = mapped_column(String(100))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))


class Outbox(Base):
    """Messages written with the case in one transaction and relayed to Redis later."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None] = mapped_column(index=True)


class Dispatch(Base):
    """One life-service dispatch to a company: its 10-minute contact clock and outcome."""

    __tablename__ = "dispatches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    company_code: Mapped[str] = mapped_column(ForeignKey("companies.code"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    contact_due_at: Mapped[datetime]
    contacted_at: Mapped[datetime | None]
    missed: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text)


class FollowUp(Base):
    """The return visit (回访) every closed dispatch or department reply gets."""

    __tablename__ = "followups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    owner_type: Mapped[str] = mapped_column(String(16))
    owner_code: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
    handed_over_at: Mapped[datetime | None]  # automatic calls gave up: an agent visits
    satisfaction: Mapped[int | None] = mapped_column(Integer)  # 1 yes, 2 basically, 3 no
    company_time: Mapped[int | None] = mapped_column(Integer)
    company_quality: Mapped[int | None] = mapped_column(Integer)
    company_price: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    # the kind's own questions from config ({"useful": 1, "timeliness": 2, ...})
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Delivery(Base):
    """One message owed to a citizen or a handler (a reply, a KB answer, a receipt, a
    progress answer, a new order), written with the change it announces and sent by the
    outbound sender under a lease: whoever holds ``lease_until`` sends it; anyone may
    take it over once that has passed."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # reply | answer | receipt | ...
    channel: Mapped[str] = mapped_column(String(16))  # sms | wechat | voice
    address: Mapped[str] = mapped_column(String(64))  # phone digits or a WeChat openid
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    provider_ref: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_deliveries_status_next", "status", "next_at"),)


class KnowledgeEntry(Base):
    """A knowledge-base answer agents and the consult rule give at once."""

    __tablename__ = "kb_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str | None] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class CalendarDay(Base):
    """An operator-loaded official schedule: one row per holiday or make-up working day."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    workday: Mapped[bool] = mapped_column(Boolean)


class Call(Base):
    """One call as the ACD saw it, written at arrival, answer and hangup (one row per call).

    ``outcome`` stays empty while the call is in progress. ``case_number`` points at
    ``cases.number`` by value: a call is recorded before any case exists.
    """

    __tablename__ = "calls"
    uniqueid: Mapped[str] = mapped_column(String(150), primary_key=True)  # Asterisk's limit
    caller: Mapped[str] = mapped_column(String(64), index=True)
    caller_name: Mapped[str | None] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(16))
    arrived_at: Mapped[datetime] = mapped_column(index=True)
    ring_started_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    seat: Mapped[str | None] = mapped_column(String(64))
    rang_ms: Mapped[int | None] = mapped_column(Integer)
    waited_ms: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(32))
    seats_tried: Mapped[int] = mapped_column(Integer, default=0)
    case_number: Mapped[str | None] = mapped_column(String(32), index=True)
    callback_id: Mapped[str | None] = mapped_column(String(160), index=True)
    transferred_to: Mapped[str | None] = mapped_column(String(80))  # e.g. "seat:8002"


class Callback(Base):
    """A promised callback, kept in SQL so a Redis restart cannot lose it.

    ``arrived_at`` is the caller's original arrival: it, ``priority`` and ``due_at`` put
    the callback back in line after a restart.
    """

    __tablename__ = "callbacks"
    callback_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    caller: Mapped[str] = mapped_column(String(64), index=True)
    callback_number: Mapped[str] = mapped_column(String(32), index=True)
    origin: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    arrived_at: Mapped[datetime]
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    seat: Mapped[str | None] = mapped_column(String(64))
    case_number: Mapped[str | None] = mapped_column(String(32), index=True)
    recording: Mapped[str | None] = mapped_column(String(500))
    transcript: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_callbacks_status_due", "status", "due_at"),)


class SeatFact(Base):
    """A seat's login and pause as agents left them: what Redis restores from when it
    lost its state, so a logged-out or paused agent is never assumed available."""

    __tablename__ = "seat_facts"
    seat: Mapped[str] = mapped_column(String(16), primary_key=True)
    logged_in: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_reason: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[datetime]


class SeatRow(Base):
    """A seat of the hotline (``case_store.seat_roster``): when the table has rows, they,
    not the configured range, are the PJSIP endpoints rendered and the seats the ACD serves."""

    __tablename__ = "seats"
    number: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    site: Mapped[str | None] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class AgentEvent(Base):
    """One change of a seat's login or pause (login, logout, pause, unpause), as it
    happened: the history the agents' day report adds up. Append-only by use; ``key``
    makes a replayed write (the spool) land once."""

    __tablename__ = "agent_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    seat: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(40), default="")
    at: Mapped[datetime]

    __table_args__ = (Index("ix_agent_events_at", "at"), Index("ix_agent_events_seat_at",
                                                                 "seat", "at"))


class ElderlyTerminal(Base):
    """An elderly person's one-touch terminal and what the hotline knows of them, keyed by
    the number their calls arrive from: the SIP endpoint, or a PSTN line's caller ID.

    ``care_plan`` is a list of {"service", "days", "time"}; ``checkin_windows`` a list of
    {"days", "start", "end"} (``case_store.elderly`` checks both). Profiles are deactivated,
    never deleted, so the view log keeps pointing at someone.
    """

    __tablename__ = "elderly_terminals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(300), default="")
    community: Mapped[str] = mapped_column(String(100), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    health_notes: Mapped[str] = mapped_column(Text, default="")
    medicines: Mapped[str] = mapped_column(Text, default="")
    mobility: Mapped[str] = mapped_column(String(200), default="")
    dialect: Mapped[str] = mapped_column(String(16), default="mandarin")  # mandarin | jinhua
    worker_name: Mapped[str] = mapped_column(String(100), default="")
    worker_phone: Mapped[str] = mapped_column(String(32), default="")
    care_plan: Mapped[list[Any]] = mapped_column(default=list)
    checkin_windows: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ElderlyContact(Base):
    """One emergency contact of an elderly person, in the order they are to be called."""

    __tablename__ = "elderly_contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("elderly_terminals.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(32))  # national form, from the dial plan

    __table_args__ = (UniqueConstraint("terminal_id", "position",
                                       name="uq_elderly_contacts_position"),)


class ProfileView(Base):
    """Append-only log of every time a person saw an elderly profile: who, in which role,
    whose, when and what for (desk pop, page, api, export). The migration refuses UPDATE
    and DELETE on it."""

    __tablename__ = "elderly_profile_views"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    viewer: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    terminal: Mapped[str] = mapped_column(String(32), index=True)
    purpose: Mapped[str] = mapped_column(String(16))


class CallRecording(Base):
    """One recording of a conversation a person answered (MixMonitor, both legs as the
    two channels of a stereo file), linked by value to its call or callback; its case is
    found through them, so a case saved after the call still finds it. A deleted
    recording keeps its row (``deleted_at``, ``deleted_reason``): the page says why."""

    __tablename__ = "call_recordings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stem: Mapped[str] = mapped_column(String(200), unique=True)  # the file's name
    path: Mapped[str] = mapped_column(String(500))  # relative to the recordings store
    call_uniqueid: Mapped[str | None] = mapped_column(String(150), index=True)
    callback_id: Mapped[str | None] = mapped_column(String(160), index=True)
    seat: Mapped[str | None] = mapped_column(String(64), index=True)
    audio_format: Mapped[str] = mapped_column(String(8))  # wav | mp3 | opus
    recorded_at: Mapped[datetime] = mapped_column(index=True)  # when it began
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None]
    deleted_reason: Mapped[str | None] = mapped_column(String(16))  # retention | size_cap


class RecordingPlay(Base):
    """Append-only log of every time a recording was served: who, in which role, when.
    The migration refuses UPDATE and DELETE on it."""

    __tablename__ = "call_recording_plays"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    recording_id: Mapped[int] = mapped_column(Integer, index=True)
    listener: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    case_number: Mapped[str | None] = mapped_column(String(32))

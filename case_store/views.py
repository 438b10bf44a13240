"""Read-only snapshots the store hands out, so callers never hold a live ORM session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from case_store.models import (
    Call,
    Callback,
    Case,
    CaseEvent,
    Company,
    CompanyEvent,
    FollowUp,
    SupervisionNotice,
)
from case_store.workdays import SHANGHAI


def local(moment: datetime | None) -> datetime | None:
    """A stored UTC time shown in Asia/Shanghai."""
    return None if moment is None else moment.astimezone(SHANGHAI)


def iso(moment: datetime | None) -> str | None:
    """A stored time as Asia/Shanghai ISO text, the form event-log data keeps it in."""
    return None if moment is None else moment.astimezone(SHANGHAI).isoformat()


@dataclass(frozen=True)
class CaseView:
    number: str
    channel: str
    caller: str
    text: str
    transcript: str | None
    kind: str
    topic: str | None
    place: str | None
    region: str | None
    status: str
    priority: int
    owner_type: str | None
    owner: str | None
    cohandlers: tuple[str, ...]
    call_ref: str | None
    received_at: datetime
    assigned_at: datetime | None
    due_at: datetime | None
    due_provisional: bool
    extension_days: int
    receipt_due_at: datetime | None
    contact_due_at: datetime | None
    dispatch_reason: str | None
    answer: str | None
    merged_into: str | None
    sent_back_count: int
    supervised_at: datetime | None
    duplicate: bool = False  # True when create_case merged this request into an open case
    leader: str | None = None  # the leader account the case was marked for (领导批办)
    leader_instructed_at: datetime | None = None  # None while it waits for the instruction

    @classmethod
    def of(cls, row: Case, caller: str, answer: str | None = None,
           duplicate: bool = False) -> CaseView:
        return cls(
            number=row.number, channel=row.channel, caller=caller, text=row.text,
            transcript=row.transcript, kind=row.kind, topic=row.topic, place=row.place,
            region=row.region, status=row.status, priority=row.priority,
            owner_type=row.owner_type, owner=row.owner_code,
            cohandlers=tuple(row.cohandlers or ()), call_ref=row.call_ref,
            received_at=local(row.received_at), assigned_at=local(row.assigned_at),
            due_at=local(row.due_at), due_provisional=row.due_provisional,
            extension_days=row.extension_days, receipt_due_at=local(row.receipt_due_at),
            contact_due_at=local(row.contact_due_at), dispatch_reason=row.dispatch_reason,
            answer=answer, merged_into=row.merged_into, sent_back_count=row.sent_back_count,
            supervised_at=local(row.supervised_at), duplicate=duplicate,
            leader=row.leader, leader_instructed_at=local(row.leader_instructed_at),
        )


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: CaseEvent) -> EventView:
        return cls(local(row.at), row.actor, row.action, row.from_status, row.to_status,
                   dict(row.data or {}))


@dataclass(frozen=True)
class NoticeView:
    """A supervision notice as its department and the printed page show it."""

    number: str
    case_number: str
    case_text: str
    owner_type: str | None
    owner: str | None
    reason: str
    due_at: datetime | None
    issued_at: datetime
    issued_by: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None

    @classmethod
    def of(cls, row: SupervisionNotice, case: Case) -> NoticeView:
        return cls(row.number or "", case.number, case.text, row.owner_type, row.owner_code,
                   row.reason, local(row.due_at), local(row.issued_at), row.issued_by,
                   local(row.acknowledged_at), row.acknowledged_by)


@dataclass(frozen=True)
class FollowUpView:
    case_number: str
    caller: str
    owner_type: str
    owner: str
    created_at: datetime
    answered_at: datetime | None
    satisfaction: int | None
    handed_over_at: datetime | None = None  # the automatic calls gave up: an agent visits

    @classmethod
    def of(cls, row: FollowUp, number: str, caller: str) -> FollowUpView:
        return cls(number, caller, row.owner_type, row.owner_code, local(row.created_at),
                   local(row.answered_at), row.satisfaction, local(row.handed_over_at))


@dataclass(frozen=True)
class CallView:
    """One call's record; ``outcome`` is None while the call is still in progress."""

    uniqueid: str
    caller: str
    caller_name: str | None
    origin: str
    arrived_at: datetime
    ring_started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    seat: str | None
    rang_ms: int | None
    waited_ms: int | None
    outcome: str | None
    seats_tried: int
    case_number: str | None
    callback_id: str | None
    transferred_to: str | None

    @classmethod
    def of(cls, row: Call) -> CallView:
        return cls(
            uniqueid=row.uniqueid, caller=row.caller, caller_name=row.caller_name,
            origin=row.origin, arrived_at=local(row.arrived_at),
            ring_started_at=local(row.ring_started_at), answered_at=local(row.answered_at),
            ended_at=local(row.ended_at), seat=row.seat, rang_ms=row.rang_ms,
            waited_ms=row.waited_ms, outcome=row.outcome, seats_tried=row.seats_tried,
            case_number=row.case_number, callback_id=row.callback_id,
            transferred_to=row.transferred_to,
        )


@dataclass(frozen=True)
class CallbackView:
    """A promised callback; ``arrived_at`` is the caller's original arrival."""

    callback_id: str
    caller: str
    callback_number: str
    origin: str
    priority: int
    arrived_at: datetime
    due_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime | None
    outcome: str | None
    seat: str | None
    case_number: str | None
    recording: str | None
    transcript: str | None
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None

    @classmethod
    def of(cls, row: Callback) -> CallbackView:
        return cls(
            callback_id=row.callback_id, caller=row.caller, callback_number=row.callback_number,
            origin=row.origin, priority=row.priority, arrived_at=local(row.arrived_at),
            due_at=local(row.due_at), status=row.status, attempts=row.attempts,
            next_attempt_at=local(row.next_attempt_at), outcome=row.outcome, seat=row.seat,
            case_number=row.case_number, recording=row.recording, transcript=row.transcript,
            created_at=local(row.created_at), updated_at=local(row.updated_at),
            done_at=local(row.done_at),
        )


@dataclass(frozen=True)
class CompanyStandingView:
    """A partner company and whether it may take new orders now."""

    code: str
    name: str
    trade: str
    rating: float
    standing: str
    suspended_until: datetime | None

    @classmethod
    def of(cls, row: Company) -> CompanyStandingView:
        return cls(row.code, row.name, row.trade, row.rating, row.standing,
                   local(row.suspended_until))


@dataclass(frozen=True)
class CompanyEventView:
    """One entry of a company's standing log."""

    at: datetime
    actor: str
    action: str
    from_standing: str
    to_standing: str
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: CompanyEvent) -> CompanyEventView:
        return cls(local(row.at), row.actor, row.action, row.from_standing, row.to_standing,
                   dict(row.data or {}))

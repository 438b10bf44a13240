"""CaseStore: the one entry point other modules use to write and read cases.

Every public method runs in one SQL transaction: the case row, its event-log entries and
any outbox message are committed together or not at all, so a failed call leaves nothing
half-written and a committed case can never miss its routing message (the outbox is
relayed to Redis by ``case_store.streams``). All methods are synchronous; async callers
(ACD, IVR) use ``asyncio.to_thread``.

The store itself only wires collaborators together and delegates to them; each owns one
job and receives the shared ``UnitOfWork`` (sessions, clock, load, event log) in its
constructor, so none reaches into another's state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from case_store import knowledge
from case_store.agent_events import AgentEventRecords
from case_store.assignment import Assignment
from case_store.callbacks import CallbackRecords
from case_store.calls import CallRecords
from case_store.clocks import Clocks
from case_store.companies import CompanyStanding
from case_store.console import MAX_ROWS, ConsoleQueries, TransferTarget
from case_store.creation import CaseCreation, text_digest
from case_store.db import make_engine, migrate
from case_store.deliveries import Deliveries, DeliveryView
from case_store.dispatcher import Dispatcher
from case_store.edits import CaseEdits
from case_store.followup import FollowUpVisits
from case_store.joint import JointHandling
from case_store.jurisdiction import OutOfJurisdiction
from case_store.leaders import LeaderApproval
from case_store.merging import DuplicateMerging
from case_store.models import Company
from case_store.notices import SupervisionNotices
from case_store.outbox import ROUTING_STREAM, OutboxRelay, Publish
from case_store.policy import CasePolicy
from case_store.progress import Progress, ProgressLookup
from case_store.reads import CaseReads
from case_store.report_reads import ReportReads
from case_store.reports import Period
from case_store.router import Router
from case_store.seat_facts import SeatFactRecords
from case_store.service_catalog import Catalog, load_catalog
from case_store.sweep import Sweeper, SweepReport
from case_store.transitions import Transitions
from case_store.unit import Clock, UnitOfWork, utc_now
from case_store.views import (
    CallbackView,
    CallView,
    CaseView,
    CompanyEventView,
    CompanyStandingView,
    EventView,
    FollowUpView,
    NoticeView,
)
from case_store.workdays import WorkCalendar

__all__ = ["ROUTING_STREAM", "CaseStore", "SweepReport", "text_digest", "utc_now"]


class CaseStore:
    """Cases, their routing and their clocks on one SQL database, with call records,
    callbacks, the console's reads, company standing and follow-up visits.

    ``clock`` returns the current aware time; tests inject a fake to move time without
    sleeping. ``calendar`` defaults to the official calendar plus any schedules loaded into
    the database. ``policy`` holds the penalty thresholds and the merging window.
    """

    def __init__(
        self,
        url: str | Engine,
        *,
        clock: Clock = utc_now,
        catalog: Catalog | None = None,
        calendar: WorkCalendar | None = None,
        policy: CasePolicy | None = None,
    ) -> None:
        self.engine = make_engine(url) if isinstance(url, str) else url
        self.policy = policy or CasePolicy()
        self.catalog = catalog or load_catalog()
        self.uow = uow = UnitOfWork(self.engine, clock)
        self.clocks = Clocks(uow, calendar)
        self.standing = CompanyStanding(uow, self.policy)
        self.deliveries = Deliveries(uow, self.policy.reply_phone_by_sms,
                                     {c: t.name for c, t in self.catalog.topics.items()},
                                     self.policy.notify_orders)
        self.assignment = Assignment(uow, self.clocks, self.deliveries)
        self.dispatcher = Dispatcher(uow, self.catalog, self.clocks, self.standing,
                                     self.assignment, self.deliveries)
        self.followups = FollowUpVisits(uow, self.clocks, self.standing, self.assignment,
                                        self.catalog)
        self.router = Router(uow, self.catalog, self.assignment, self.dispatcher,
                             self.deliveries, self.followups)
        self.creation = CaseCreation(uow, self.catalog, DuplicateMerging(uow, self.policy),
                                     self.assignment)
        self.notices = SupervisionNotices(uow)
        self.leaders = LeaderApproval(uow, self.clocks, self.policy.leader_days)
        self.transitions = Transitions(
            uow, self.clocks, self.assignment, self.followups, self.standing,
            joint=JointHandling(uow), notices=self.notices, leaders=self.leaders,
            jurisdiction=OutOfJurisdiction(uow, self.policy.referrals, self.deliveries),
            deliveries=self.deliveries)
        self.edits = CaseEdits(uow, self.catalog)
        self.sweeper = Sweeper(uow, self.catalog, self.notices, self.standing,
                               self.dispatcher)
        self.reads = CaseReads(uow)
        self.report_reads = ReportReads(uow)
        self.outbox = OutboxRelay(uow)
        self.call_records = CallRecords(uow)
        self.callback_records = CallbackRecords(uow)
        self.seat_records = SeatFactRecords(uow)
        self.agent_records = AgentEventRecords(uow)
        self.console = ConsoleQueries(uow)
        self.lookup = ProgressLookup(uow)

    @property
    def clock(self) -> Clock:
        """The store's clock (shared by every collaborator through the unit of work)."""
        return self.uow.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.uow.clock = clock

    @property
    def calendar(self) -> WorkCalendar:
        """The working-day calendar, with the operator's loaded schedules."""
        return self.clocks.calendar

    # -- setup ---------------------------------------------------------------------------

    def setup(self, seed: bool = True) -> None:
        """Migrate the schema to head and (idempotently) load departments, companies, KB."""
        migrate(self.engine)
        if seed:
            from case_store.seed import load_seed

            with self.uow.tx() as s:
                load_seed(s, self.catalog, self.clock())

    def close(self) -> None:
        self.engine.dispose()

    # -- intake, routing, handling (case_store.creation, router, transitions, edits) ----

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
        """Record a request (see ``CaseCreation.create_case``: duplicates, merging, emergencies)."""
        return self.creation.create_case(
            channel=channel, caller=caller, text=text, kind=kind, topic=topic, place=place,
            lat=lat, lon=lon, region=region, transcript=transcript, call_ref=call_ref,
            caller_name=caller_name, elderly=elderly, actor=actor)

    def route(self, number: str, actor: str = "router") -> CaseView:
        """Apply the case's routing rule; idempotent (``Router.route``)."""
        return self.router.route(number, actor)

    def transition(self, number: str, action: str, actor: str, **data: Any) -> CaseView:
        """Apply a handling action (``Transitions.transition``): accept, start,
        reply(reply=), reassign(to=), escalate(to=None), extend(days=, approved_by=),
        add_cohandler(dept=), finding(dept=, finding=), merge(into=), supervise(reason=),
        acknowledge_notice(notice=, dept=), mark_for_leader(leader=, note=),
        instruct(leader=, instruction=), close_out_of_jurisdiction(reason=, referral=,
        detail=), note(**anything)."""
        return self.transitions.transition(number, action, actor, **data)

    def confirm_contact(self, number: str, company: str) -> CaseView:
        """A partner company reports it has contacted the citizen (its API calls this)."""
        return self.transitions.confirm_contact(number, company)

    def correct(self, number: str, fields: dict[str, Any], by: str) -> CaseView:
        """An agent corrects kind, topic, place or text (``CaseEdits.correct``)."""
        return self.edits.correct(number, fields, by)

    def record_transfer(self, uniqueid: str, *, by: str, to: str,
                        number: str | None = None) -> CaseView | None:
        """Log a call transfer on the call and its case (``CaseEdits.record_transfer``)."""
        return self.edits.record_transfer(uniqueid, by=by, to=to, number=number)

    def record_consult(self, uniqueid: str, *, by: str, data: dict[str, Any],
                       number: str | None = None,
                       transferred_to: str | None = None) -> CaseView | None:
        """Log a consult step on the call's case (``CaseEdits.record_consult``)."""
        return self.edits.record_consult(uniqueid, by=by, data=data, number=number,
                                         transferred_to=transferred_to)

    # -- clocks and outbox (case_store.sweep, clocks, outbox) ----------------------------

    def sweep(self) -> SweepReport:
        """Missed contacts, ended suspensions, supervision notices (``Sweeper.sweep``)."""
        return self.sweeper.sweep()

    def load_schedule(self, data: dict | str) -> int:
        """Load an official year schedule; returns how many deadlines were recomputed."""
        return self.clocks.load_schedule(data)

    def relay(self, publish: Publish, limit: int = 500) -> int:
        """Hand unpublished outbox messages to ``publish(stream, payload)``."""
        return self.outbox.relay(publish, limit)

    # -- reading (case_store.reads) ------------------------------------------------------

    def get_case(self, number: str) -> CaseView:
        """The case as it stands now."""
        return self.reads.get_case(number)

    def events(self, number: str) -> list[EventView]:
        """The case's full history, oldest first."""
        return self.reads.events(number)

    def list_cases(self, *, overdue: bool = False, status: str | None = None,
                   owner: str | None = None, limit: int = 200) -> list[CaseView]:
        """Open cases, optionally only those past their deadline or of one owner."""
        return self.reads.list_cases(overdue=overdue, status=status, owner=owner,
                                     limit=limit)

    def caller_history(self, phone: str) -> list[CaseView]:
        """Every case a caller raised, newest first (the agent's screen pop)."""
        return self.reads.caller_history(phone)

    def search_knowledge(self, question: str, topic: str | None = None,
                         limit: int = 3) -> list[knowledge.Hit]:
        """Best knowledge-base answers for a question, with scores."""
        return self.reads.search_knowledge(question, topic, limit)

    def iter_events(self, start: datetime, end: datetime,
                    batch: int = 5000) -> Iterator[tuple[datetime, str, dict[str, Any]]]:
        """(at, action, data) of every event in [start, end), streamed in batches."""
        return self.reads.iter_events(start, end, batch)

    # -- supervision notices and leaders (case_store.notices, leaders) -------------------

    def notice(self, number: str) -> NoticeView:
        """One supervision notice (NoticeNotFoundError if there is none)."""
        return self.notices.notice(number)

    def supervision_notices(self, *, owner: str | None = None,
                            case_number: str | None = None) -> list[NoticeView]:
        """Notices to a department or on a case, unacknowledged first."""
        return self.notices.notices(owner=owner, case_number=case_number)

    def marked_for(self, leader: str) -> list[CaseView]:
        """Open cases marked for a leader, those still waiting for an instruction first."""
        return self.leaders.marked_for(leader)

    def department_report(self, period: Period) -> dict[str, Any]:
        """Departments, regions, companies and the city over ``period`` (case_store.reports)."""
        return self.report_reads.department_report(period)

    # -- follow-up visits (case_store.followup) ------------------------------------------

    def due_followups(self, limit: int = 100, reply_wait_s: float = 0) -> list[FollowUpView]:
        """Visits the dialler should call, oldest first (``FollowUpVisits.due_followups``)."""
        return self.followups.due_followups(limit, reply_wait_s)

    def agent_followups(self, limit: int = 200) -> list[FollowUpView]:
        """Visits handed to agents and not yet made, longest waiting first."""
        return self.followups.agent_followups(limit)

    def record_followup(self, number: str, satisfaction: int, *,
                        company_time: int | None = None, company_quality: int | None = None,
                        company_price: int | None = None, note: str | None = None,
                        actor: str = "followup",
                        answers: dict[str, int] | None = None) -> CaseView:
        """Record the citizen's answer: 1 satisfied, 2 basically, 3 not satisfied (and the
        kind's own questions in ``answers``)."""
        return self.followups.record_followup(
            number, satisfaction, company_time=company_time, company_quality=company_quality,
            company_price=company_price, note=note, actor=actor, answers=answers)

    def record_unreachable(self, number: str, *, actor: str, note: str = "") -> CaseView:
        """The agent could not reach the citizen either: the visit ends unanswered."""
        return self.followups.record_unreachable(number, actor=actor, note=note)

    # -- messages owed to citizens (case_store.deliveries) --------------------------------

    def claim_deliveries(self, owner: str, lease_s: float, limit: int = 20,
                         channels: tuple[str, ...] | None = None) -> list[DeliveryView]:
        """Lease due messages to a sender (``Deliveries.claim``)."""
        return self.deliveries.claim(owner, lease_s, limit, channels)

    def delivery_sent(self, delivery_id: int, owner: str | None, ref: str = "") -> bool:
        """The message is out; logged on its case."""
        return self.deliveries.sent(delivery_id, owner, ref)

    def delivery_failed(self, delivery_id: int, owner: str | None, error: str,
                        retry_after_s: float | None) -> bool:
        """This attempt failed: retry later, or (None) give up and say so on the case."""
        return self.deliveries.failed(delivery_id, owner, error, retry_after_s)

    def release_deliveries(self, owner: str) -> int:
        """A stopping sender's leases handed back (``Deliveries.release``)."""
        return self.deliveries.release(owner)

    def deliveries_for(self, number: str) -> list[DeliveryView]:
        """The messages of one case, oldest first."""
        return self.deliveries.for_case(number)

    def delivery(self, delivery_id: int) -> DeliveryView:
        """One message as it stands."""
        return self.deliveries.get(delivery_id)

    def progress(self, number: str, phone: str) -> Progress | None:
        """A case's progress for its own citizen (``ProgressLookup.progress``)."""
        return self.lookup.progress(number, phone)

    def owe(self, number: str, purpose: str, text: str) -> DeliveryView | None:
        """Owe the case's citizen a message on their channel (None: no way to reach them)."""
        with self.uow.tx() as s:
            row = self.deliveries.owe(s, self.uow.load(s, number), purpose, text)
            return None if row is None else DeliveryView.of(row, number)

    def owe_progress(self, number: str, phone: str) -> Progress | None:
        """Look the case up for its citizen and owe them the answer by SMS (the SMS
        keyword); None, and nothing owed, when not found."""
        found = self.lookup.progress(number, phone)
        if found is not None:
            with self.uow.tx() as s:
                self.deliveries.owe(s, self.uow.load(s, number), "progress", found.spoken())
        return found

    # -- partner companies (case_store.companies) ----------------------------------------

    def companies(self, trade: str | None = None) -> list[CompanyStandingView]:
        """Partner companies with their standing, by code."""
        return self.standing.companies(trade)

    def company_record(self, code: str) -> tuple[CompanyStandingView, dict,
                                                 list[CompanyEventView]]:
        """A company's standing, its figures as the penalties see them now, and its log."""
        return self.standing.company_record(code)

    def lift_penalty(self, code: str, actor: str, reason: str) -> CompanyStandingView:
        """An operator ends a yellow card, suspension or termination proposal early."""
        return self.standing.lift_penalty(code, actor, reason)

    def terminate_company(self, code: str, approved_by: str, reason: str = "") -> \
            CompanyStandingView:
        """The supervision office carries out a termination proposal."""
        return self.standing.terminate_company(code, approved_by, reason)

    def company(self, code: str) -> Company:
        """A partner company row (detached)."""
        return self.standing.company(code)

    # -- call records and callbacks (case_store.calls, callbacks) ------------------------

    def record_call(self, uniqueid: str, **fields: Any) -> CallView:
        """Insert the call, or update only the given fields of the call already recorded."""
        return self.call_records.record_call(uniqueid, **fields)

    def get_call(self, uniqueid: str) -> CallView:
        """The call's record as it stands."""
        return self.call_records.get_call(uniqueid)

    def calls(self, since: datetime | None = None, limit: int = 200) -> list[CallView]:
        """Calls that arrived at or after ``since``, newest first."""
        return self.call_records.calls(since, limit)

    def calls_for_case(self, number: str) -> list[CallView]:
        """The calls linked to a case, newest first."""
        return self.call_records.calls_for_case(number)

    def save_callback(self, callback_id: str, **fields: Any) -> CallbackView:
        """Record a promised callback; saving the same id again changes nothing."""
        return self.callback_records.save_callback(callback_id, **fields)

    def update_callback(self, callback_id: str, **fields: Any) -> CallbackView:
        """Change the given fields of a callback."""
        return self.callback_records.update_callback(callback_id, **fields)

    def get_callback(self, callback_id: str) -> CallbackView:
        """The callback as it stands."""
        return self.callback_records.get_callback(callback_id)

    def pending_callbacks(self, limit: int | None = None) -> list[CallbackView]:
        """Callbacks still owed, earliest deadline first (the ACD's reload order)."""
        return self.callback_records.pending_callbacks(limit)

    def callbacks_to_check(self, limit: int = 50) -> list[CallbackView]:
        """Callbacks outside the dial plan, waiting for an agent to check the number."""
        return self.callback_records.callbacks_to_check(limit)

    def callbacks_for_caller(self, number: str) -> list[CallbackView]:
        """Callbacks where ``number`` is the caller or the number to call back."""
        return self.callback_records.callbacks_for_caller(number)

    def save_seat_fact(self, seat: str, logged_in: bool, paused_reason: str = "") -> None:
        """Keep a seat's login and pause (the ACD mirrors the board here)."""
        self.seat_records.save_seat_fact(seat, logged_in, paused_reason)

    def seat_facts(self) -> dict[str, tuple[bool, str]]:
        """Every recorded seat's (logged in, pause reason)."""
        return self.seat_records.seat_facts()

    def add_agent_event(self, key: str, seat: str, event: str, reason: str,
                        at: datetime) -> None:
        """Keep one change of a seat's login or pause (idempotent by key)."""
        self.agent_records.add_agent_event(key, seat, event, reason, at)

    def agent_day_report(self, day: date, wrapup_s: float,
                         seats: list[str] | None = None) -> list[dict]:
        """Per agent (seat) for one Asia/Shanghai day: logged in, paused by reason,
        talking, wrap-up (seconds) and calls answered."""
        return self.agent_records.agent_day_report(day, wrapup_s, seats)

    # -- console reads (case_store.console) ----------------------------------------------

    def owned_cases(self, owner_type: str, code: str, *, open_only: bool = True,
                    received: tuple[datetime, datetime] | None = None,
                    limit: int = 300) -> list[CaseView]:
        """A department's or company's cases, soonest deadline first; optionally only
        those received in [start, end)."""
        return self.console.owned_cases(owner_type, code, open_only=open_only,
                                        received=received, limit=limit)

    def open_count(self, *, channel: str, kind: str) -> int:
        """How many cases of one channel and kind are open."""
        return self.console.open_count(channel=channel, kind=kind)

    def case_counts(self, now: datetime) -> dict[str, Any]:
        """Cases received today by channel, plus open and overdue totals."""
        return self.console.case_counts(now)

    def search_cases(self, *, numbers: list[str] | None = None,
                     topics: list[str] | None = None, statuses: Iterable[str] | None = None,
                     start: datetime | None = None, end: datetime | None = None,
                     limit: int = MAX_ROWS, kinds: list[str] | None = None) -> list[CaseView]:
        """Cases by number, or received in a window (the Open311 listing)."""
        return self.console.search_cases(numbers=numbers, topics=topics, statuses=statuses,
                                          start=start, end=end, limit=limit, kinds=kinds)

    def intake_details(self, numbers: list[str]) -> dict[str, dict[str, Any]]:
        """Extra intake fields (Open311 media_url, e-mail, ...) kept as an intake note."""
        return self.console.intake_details(numbers)

    def owner_names(self) -> dict[str, str]:
        """Department and company codes -> names."""
        return self.console.owner_names()

    def department_names(self) -> dict[str, str]:
        """Department codes -> names."""
        return self.console.department_names()

    def transfer_targets(self) -> list[TransferTarget]:
        """Partner company phones an agent may transfer a call to."""
        return self.console.transfer_targets()

    def duty_phones(self) -> list[TransferTarget]:
        """Departments' duty phones an agent may consult on a live call."""
        return self.console.duty_phones()


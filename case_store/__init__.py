"""case_store: the system of record for citizen cases (工单), their routing and clocks.

Public API (everything else is internal; exports load lazily so importing
``case_store.tagging`` stays light)::

    from case_store import CaseStore, migrate, WorkCalendar, errors

    store = CaseStore(url, clock=None | callable_returning_aware_datetime,
                      policy=None | policy.CasePolicy)   # penalty thresholds, merge window
    store.setup(seed=True)            # migrate to head + load seed departments/companies/KB
    migrate(url)                      # Alembic migrations shipped in case_store/migrations

    store.create_case(channel=, caller=, text=, kind=, topic=None, place=None, lat=None,
                      lon=None, region=None, transcript=None, call_ref=None) -> CaseView
        # same caller + same text within 60 s returns the first case (view.duplicate=True)
        # same kind, topic and normalised place as a case still being handled, received
        # within policy.merge_window (24 h): recorded, merged into it (duplicate=True,
        # merged_into=original); its caller gets a visit when the original is replied
        # emergency: assigned to a person + elderly centre in the same transaction
    store.route(number) -> CaseView   # idempotent; the routing worker calls it
    store.get_case(number) -> CaseView;  store.events(number) -> list[EventView]
    store.transition(number, action, actor, **data) -> CaseView
        # accept | start | reply(reply=) | reassign(to=) | escalate(to=None) |
        # extend(days=, approved_by="supervision_office") | add_cohandler(dept=) |
        # finding(dept=, finding=) | merge(into=) | supervise(reason=) |
        # acknowledge_notice(notice=, dept=) | mark_for_leader(leader=, note=) |
        # instruct(leader=, instruction=) |
        # close_out_of_jurisdiction(reason=, referral=, detail=) | note(**anything)
    store.confirm_contact(number, company) -> CaseView   # partner company API
    store.sweep() -> SweepReport      # missed 10-minute contacts, supervision notices,
                                      # suspensions that have run out
    store.due_followups() -> list[FollowUpView]     # for the dialler (not handed over)
    store.agent_followups() -> list[FollowUpView]   # handed to agents (note followup=
                                                    # "handed_over"), not yet made
    store.record_followup(number, satisfaction, company_time=, company_quality=,
                          company_price=, note=, actor=) -> CaseView
        # 3 = not satisfied -> send-back; the case closes when every attached caller answered
    store.companies(trade=None) -> list[CompanyStandingView]
    store.company_record(code) -> (CompanyStandingView, figures, [CompanyEventView])
    store.lift_penalty(code, actor, reason); store.terminate_company(code, approved_by=
        "supervision_office")     # penalties apply themselves (case_store.companies)
    store.list_cases(overdue=False, status=None, owner=None); store.caller_history(phone)
    store.search_knowledge(question, topic=None) -> list[knowledge.Hit]
    store.load_schedule(yaml_text_or_mapping) -> int   # official year; recomputes deadlines
    store.iter_events(start, end) -> (at, action, data) iterator, for scores.scorecards()
    store.department_report(reports.Period.month("2026-11") | Period.days(first, last))
        -> dict: departments, ranking, regions, companies, city (case_store.reports)

    # call records (the ACD writes one row per call; table ``calls``, migration 0002)
    store.record_call(uniqueid, **fields) -> CallView
        # upsert keyed by Asterisk uniqueid: the first write needs caller and origin
        # (arrived_at defaults to now), later writes change only the fields given, so
        # write at arrival, answer and hangup. Fields: caller, caller_name, origin
        # (trunk|terminal|callback|followup), arrived_at, ring_started_at, answered_at,
        # ended_at, seat, rang_ms, waited_ms, outcome (None while in progress, else
        # answered_in_window|answered_late|abandoned_waiting|abandoned_ivr|
        # callback_requested|ivr_handled|failed), seats_tried, case_number, callback_id.
        # A later write for a call never started -> errors.CallNotFoundError.
    store.get_call(uniqueid) -> CallView
    store.calls(since=None, limit=200) -> list[CallView]     # newest arrival first
    store.calls_for_case(number) -> list[CallView]           # newest arrival first

    # callbacks (durable copy of the Redis callback line; table ``callbacks``)
    store.save_callback(callback_id, caller=, callback_number=, origin=, arrived_at=,
                        due_at=, priority=0, status="pending", **more) -> CallbackView
        # saving an id again returns the stored row unchanged (no duplicate)
    store.update_callback(callback_id, **fields) -> CallbackView
        # status pending|dialing|done|failed|cancelled; outcome answered|no_answer|busy|
        # wrong_number|cancelled_called_again|agent_missed; also attempts,
        # next_attempt_at, seat, case_number, recording, transcript, due_at, priority...
        # closing stamps done_at (unless given); reopening clears it
    store.pending_callbacks(limit=None) -> list[CallbackView]
        # pending or dialing, by due_at then original arrived_at: reload these into
        # Redis after a Redis restart
    store.get_callback(callback_id) -> CallbackView
    store.callbacks_for_caller(number) -> list[CallbackView]  # caller or callback_number
    store.callbacks_to_check(limit=50) -> list[CallbackView]  # outside the dial plan
    # Bad names or values -> errors.InvalidCallError; unknown id ->
    # errors.CallbackNotFoundError. Text is stored verbatim (bound parameters only).

    case_store.streams: relay_outbox(store, redis, prefix); RoutingWorker(store, redis,
        prefix, consumer).poll()
    case_store.scores: scorecards(events, start, end, PenaltyRules()) -> dict
    case_store.elderly: ElderlyRegistry(url | engine, check_number=NumberPlan.national)
        .profile(terminal) (the ACD, unlogged), .view(terminal, viewer, role, purpose)
        (every person's read, logged), .upsert, .deactivate, .terminals, .import_file

All methods are synchronous (async callers use ``asyncio.to_thread``). Errors subclass
``errors.CaseStoreError`` (a ValueError) and carry a message fit for a person; a method
that raises has written nothing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CaseStore", "WorkCalendar", "errors", "migrate"]


def __getattr__(name: str) -> Any:
    if name == "CaseStore":
        from case_store.store import CaseStore

        return CaseStore
    if name == "migrate":
        from case_store.db import migrate

        return migrate
    if name == "WorkCalendar":
        from case_store.workdays import WorkCalendar

        return WorkCalendar
    if name == "errors":
        from case_store import errors

        return errors
    raise AttributeError(f"module 'case_store' has no attribute {name!r}")

"""case_store: the system of record for citizen cases (工单), their routing and clocks.

Public API (everything else is internal; exports load lazily so importing
``case_store.tagging`` stays light)::

    from case_store import CaseStore, migrate, WorkCalendar, errors

    store = CaseStore(url, clock=None | callable_returning_aware_datetime)
    store.setup(seed=True)            # migrate to head + load seed departments/companies/KB
    migrate(url)                      # Alembic migrations shipped in case_store/migrations

    store.create_case(channel=, caller=, text=, kind=, topic=None, place=None, lat=None,
                      lon=None, region=None, transcript=None, call_ref=None) -> CaseView
        # same caller + same text within 60 s returns the first case (view.duplicate=True)
        # emergency: assigned to a person + elderly centre in the same transaction
    store.route(number) -> CaseView   # idempotent; the routing worker calls it
    store.get_case(number) -> CaseView;  store.events(number) -> list[EventView]
    store.transition(number, action, actor, **data) -> CaseView
        # accept | start | reply(reply=) | reassign(to=) | escalate(to=None) |
        # extend(days=, approved_by="supervision_office") | add_cohandler(dept=) |
        # merge(into=) | supervise | note(**anything)
    store.confirm_contact(number, company) -> CaseView   # partner company API
    store.sweep() -> SweepReport      # missed 10-minute contacts, supervision notices
    store.due_followups() -> list[FollowUpView]
    store.record_followup(number, satisfaction, company_time=, company_quality=,
                          company_price=) -> CaseView      # 3 = not satisfied -> send-back
    store.list_cases(overdue=False, status=None, owner=None); store.caller_history(phone)
    store.search_knowledge(question, topic=None) -> list[knowledge.Hit]
    store.load_schedule(yaml_text_or_mapping) -> int   # official year; recomputes deadlines
    store.iter_events(start, end) -> (at, action, data) iterator, for scores.scorecards()

    case_store.streams: relay_outbox(store, redis, prefix); RoutingWorker(store, redis,
        prefix, consumer).poll()
    case_store.scores: scorecards(events, start, end, PenaltyRules()) -> dict

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

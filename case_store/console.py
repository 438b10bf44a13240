"""Reads the web console needs: portal queues, wallboard counters, Open311 listings,
intake extras, owner and department names and the numbers an agent may transfer a call to.

``CaseStore`` delegates to it; each method is one read-only session that returns the store's
own snapshots (``CaseView``) or plain values, so the console never touches the tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, func, or_, select
from sqlalchemy.orm import Session

from case_store import lifecycle
from case_store.models import Caller, Case, CaseEvent, Company, Department
from case_store.standing import DISPATCHABLE
from case_store.unit import UnitOfWork
from case_store.views import CaseView
from case_store.workdays import SHANGHAI

MAX_ROWS = 1000
INTAKE_DETAILS_ACTOR = "intake-details"  # who writes a case's extra intake fields as a note


@dataclass(frozen=True)
class TransferTarget:
    """A partner company's or a department's phone an agent may hand a call to or consult
    on it (``digits``: the phone's digits only, what the dial plan is asked about)."""

    code: str
    name: str
    phone: str
    digits: str


def _views(s: Session, rows: Iterable[Case]) -> list[CaseView]:
    rows = list(rows)
    ids = {r.caller_id for r in rows}
    phones = dict(s.execute(select(Caller.id, Caller.phone).where(Caller.id.in_(ids))).all()) \
        if ids else {}
    return [CaseView.of(r, phones.get(r.caller_id, "")) for r in rows]


class ConsoleQueries:
    """``owned_cases``, ``case_counts``, ``search_cases``, ``intake_details``,
    ``owner_names``, ``department_names``, ``transfer_targets`` and ``duty_phones`` for
    ``CaseStore``."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def owned_cases(self, owner_type: str, code: str, *, open_only: bool = True,
                    received: tuple[datetime, datetime] | None = None,
                    limit: int = 300) -> list[CaseView]:
        """A department's or company's cases, soonest deadline first (departments also see
        the cases they co-handle); only those received in [start, end) when `received`
        is given, so a day's report reads that day alone."""
        with self.uow.read() as s:
            q = select(Case).order_by(Case.due_at.is_(None), Case.due_at, Case.id).limit(limit)
            if owner_type == "department":
                # co-handler lists are JSON; a LIKE on the quoted code is exact enough and
                # still a bound parameter
                q = q.where(or_(Case.owner_code == code,
                                Case.cohandlers.cast(Text()).like(f'%"{code}"%')))
            else:
                q = q.where(Case.owner_type == owner_type, Case.owner_code == code)
            if open_only:
                q = q.where(Case.status.in_(lifecycle.OPEN_STATUSES))
            if received is not None:
                q = q.where(Case.received_at >= received[0], Case.received_at < received[1])
            return _views(s, s.scalars(q).all())

    def open_count(self, *, channel: str, kind: str) -> int:
        """How many cases of one channel and kind are open: counted, none read."""
        with self.uow.read() as s:
            return s.scalar(select(func.count()).select_from(Case)
                            .where(Case.channel == channel, Case.kind == kind,
                                   Case.status.in_(lifecycle.OPEN_STATUSES))) or 0

    def case_counts(self, now: datetime) -> dict[str, Any]:
        """Cases received today (Shanghai day) by channel, plus open and overdue totals."""
        local = now.astimezone(SHANGHAI)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        with self.uow.read() as s:
            by_channel = dict(s.execute(select(Case.channel, func.count())
                                        .where(Case.received_at >= start)
                                        .group_by(Case.channel)).all())
            open_total = s.scalar(select(func.count()).select_from(Case)
                                  .where(Case.status.in_(lifecycle.OPEN_STATUSES))) or 0
            overdue = s.scalar(select(func.count()).select_from(Case)
                               .where(Case.status.in_(lifecycle.HANDLING),
                                      Case.due_at < now)) or 0
        return {"today": sum(by_channel.values()), "by_channel": by_channel,
                "open": open_total, "overdue": overdue}

    def search_cases(self, *, numbers: list[str] | None = None,
                     topics: list[str] | None = None, statuses: Iterable[str] | None = None,
                     start: datetime | None = None, end: datetime | None = None,
                     limit: int = MAX_ROWS, kinds: list[str] | None = None) -> list[CaseView]:
        """Cases by number, or received in a window (default: the last 90 days), newest
        first, optionally of some topics, kinds and statuses (the Open311 listing, the
        machine API's search)."""
        with self.uow.read() as s:
            q = select(Case).order_by(Case.id.desc()).limit(min(limit, MAX_ROWS))
            if numbers:
                q = q.where(Case.number.in_(numbers))
            else:
                end = end or datetime.now(SHANGHAI)
                start = start or end - timedelta(days=90)
                q = q.where(Case.received_at >= start, Case.received_at <= end)
            if topics:
                q = q.where(Case.topic.in_(topics))
            if kinds:
                q = q.where(Case.kind.in_(kinds))
            if statuses is not None:
                q = q.where(Case.status.in_(list(statuses)))
            return _views(s, s.scalars(q).all())

    def intake_details(self, numbers: list[str]) -> dict[str, dict[str, Any]]:
        """Extra intake fields (Open311 media_url, e-mail, ...) kept as an intake note."""
        if not numbers:
            return {}
        with self.uow.read() as s:
            rows = s.execute(select(Case.number, CaseEvent.data)
                             .join(CaseEvent, CaseEvent.case_id == Case.id)
                             .where(Case.number.in_(numbers), CaseEvent.action == "note",
                                    CaseEvent.actor == INTAKE_DETAILS_ACTOR)
                             .order_by(CaseEvent.id)).all()
        out: dict[str, dict[str, Any]] = {}
        for number, data in rows:
            out.setdefault(number, {}).update(data or {})
        return out

    def owner_names(self) -> dict[str, str]:
        """Department and company codes -> names (Open311 agency_responsible, portals)."""
        with self.uow.read() as s:
            names = dict(s.execute(select(Department.code, Department.name)).all())
            names.update(dict(s.execute(select(Company.code, Company.name)).all()))
        return names

    def department_names(self) -> dict[str, str]:
        """Department codes -> names, by code (the co-handler choice)."""
        with self.uow.read() as s:
            return dict(s.execute(select(Department.code, Department.name)
                                  .order_by(Department.code)).all())

    def transfer_targets(self) -> list[TransferTarget]:
        """Partner companies that may take orders now and have a phone number, by code."""
        with self.uow.read() as s:
            rows = s.execute(select(Company.code, Company.name, Company.phone)
                             .where(Company.phone.is_not(None),
                                    Company.standing.in_(DISPATCHABLE))
                             .order_by(Company.code)).all()
        return _dialable(rows)

    def duty_phones(self) -> list[TransferTarget]:
        """Departments with a duty phone (值班电话), by code: whom an agent may consult."""
        with self.uow.read() as s:
            rows = s.execute(select(Department.code, Department.name, Department.duty_phone)
                             .where(Department.duty_phone.is_not(None))
                             .order_by(Department.code)).all()
        return _dialable(rows)


def _dialable(rows: Iterable[tuple[str, str, str]]) -> list[TransferTarget]:
    targets = [TransferTarget(code, name, phone, re.sub(r"\D", "", phone))
               for code, name, phone in rows]
    return [t for t in targets if 3 <= len(t.digits) <= 20]

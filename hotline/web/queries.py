"""Read-only case queries the console needs and ``CaseStore`` does not offer yet.

Parameterised SQLAlchemy selects over the case store's tables, returning the store's own
``CaseView`` snapshots. They belong in ``CaseStore`` eventually; they live here so the
web console does not wait on that. Synchronous, like the store: call via to_thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from case_store import lifecycle
from case_store.models import Caller, Case, CaseEvent, Company, Department
from case_store.views import CaseView
from case_store.workdays import SHANGHAI

MAX_ROWS = 1000


def _views(s: Session, rows: Iterable[Case]) -> list[CaseView]:
    rows = list(rows)
    ids = {r.caller_id for r in rows}
    phones = dict(s.execute(select(Caller.id, Caller.phone).where(Caller.id.in_(ids))).all()) \
        if ids else {}
    return [CaseView.of(r, phones.get(r.caller_id, "")) for r in rows]


def owned_cases(store, owner_type: str, code: str, *, open_only: bool = True,
                limit: int = 300) -> list[CaseView]:
    """A department's or company's cases (departments also see cases they co-handle)."""
    with Session(store.engine) as s:
        q = select(Case).order_by(Case.due_at.is_(None), Case.due_at, Case.id).limit(limit)
        if owner_type == "department":
            # co-handler lists are JSON; a LIKE on the quoted code is exact enough and
            # still a bound parameter
            q = q.where(or_(Case.owner_code == code,
                            Case.cohandlers.cast(_text_type()).like(f'%"{code}"%')))
        else:
            q = q.where(Case.owner_type == owner_type, Case.owner_code == code)
        if open_only:
            q = q.where(Case.status.in_(lifecycle.OPEN_STATUSES))
        return _views(s, s.scalars(q).all())


def _text_type():  # noqa: ANN202 - SQLAlchemy type object
    from sqlalchemy import Text

    return Text()


def case_counts(store, now: datetime) -> dict:
    """Cases received today (Shanghai day) by channel, plus open and overdue totals."""
    local = now.astimezone(SHANGHAI)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    with Session(store.engine) as s:
        by_channel = dict(s.execute(select(Case.channel, func.count())
                                    .where(Case.received_at >= start)
                                    .group_by(Case.channel)).all())
        open_total = s.scalar(select(func.count()).select_from(Case)
                              .where(Case.status.in_(lifecycle.OPEN_STATUSES))) or 0
        overdue = s.scalar(select(func.count()).select_from(Case)
                           .where(Case.status.in_(lifecycle.HANDLING), Case.due_at < now)) or 0
    return {"today": sum(by_channel.values()), "by_channel": by_channel,
            "open": open_total, "overdue": overdue}


def search_requests(store, *, numbers: list[str] | None = None,
                    topics: list[str] | None = None, statuses: Iterable[str] | None = None,
                    start: datetime | None = None, end: datetime | None = None,
                    limit: int = MAX_ROWS) -> list[CaseView]:
    """Cases for the Open311 listing, newest first (default window: the last 90 days)."""
    with Session(store.engine) as s:
        q = select(Case).order_by(Case.id.desc()).limit(min(limit, MAX_ROWS))
        if numbers:
            q = q.where(Case.number.in_(numbers))
        else:
            end = end or datetime.now(SHANGHAI)
            start = start or end - timedelta(days=90)
            q = q.where(Case.received_at >= start, Case.received_at <= end)
        if topics:
            q = q.where(Case.topic.in_(topics))
        if statuses is not None:
            q = q.where(Case.status.in_(list(statuses)))
        return _views(s, s.scalars(q).all())


def intake_notes(store, numbers: list[str]) -> dict[str, dict]:
    """Extra intake fields (Open311 media_url, e-mail, ...) kept as an `intake` note event."""
    if not numbers:
        return {}
    with Session(store.engine) as s:
        rows = s.execute(select(Case.number, CaseEvent.data)
                         .join(CaseEvent, CaseEvent.case_id == Case.id)
                         .where(Case.number.in_(numbers), CaseEvent.action == "note",
                                CaseEvent.actor == "intake-details")
                         .order_by(CaseEvent.id)).all()
    out: dict[str, dict] = {}
    for number, data in rows:
        out.setdefault(number, {}).update(data or {})
    return out


def owner_names(store) -> dict[str, str]:
    """Department and company codes -> names, for 'agency_responsible' and the portals."""
    with Session(store.engine) as s:
        names = dict(s.execute(select(Department.code, Department.name)).all())
        names.update(dict(s.execute(select(Company.code, Company.name)).all()))
    return names

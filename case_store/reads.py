"""Reading cases back: one case, its history, lists, a caller's cases, the knowledge
base and the event stream the scorecards are computed from. Nothing here writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store import knowledge, lifecycle
from case_store.models import Caller, Case, CaseEvent, KnowledgeEntry
from case_store.unit import UnitOfWork
from case_store.views import CaseView, EventView


def kb_entries(s: Session) -> list[knowledge.Entry]:
    """The knowledge base as the (pure) search needs it."""
    return [knowledge.Entry(e.id, e.topic, e.question, e.answer)
            for e in s.scalars(select(KnowledgeEntry).order_by(KnowledgeEntry.id))]


class CaseReads:
    """Snapshots of cases and their event log."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def get_case(self, number: str) -> CaseView:
        """The case as it stands now."""
        with self.uow.tx() as s:
            return self.uow.view(s, self.uow.load(s, number))

    def events(self, number: str) -> list[EventView]:
        """The case's full history, oldest first."""
        with self.uow.tx() as s:
            case = self.uow.load(s, number)
            rows = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                             .order_by(CaseEvent.id)).all()
            return [EventView.of(r) for r in rows]

    def list_cases(self, *, overdue: bool = False, status: str | None = None,
                   owner: str | None = None, limit: int = 200) -> list[CaseView]:
        """Open cases, optionally only those past their deadline or of one owner."""
        now = self.uow.clock()
        with self.uow.tx() as s:
            q = select(Case).order_by(Case.id).limit(limit)
            if status:
                q = q.where(Case.status == status)
            else:
                q = q.where(Case.status.in_(lifecycle.OPEN_STATUSES))
            if owner:
                q = q.where(Case.owner_code == owner)
            if overdue:
                q = q.where(Case.status.in_(lifecycle.HANDLING), Case.due_at < now)
            return [self.uow.view(s, c) for c in s.scalars(q).all()]

    def caller_history(self, phone: str) -> list[CaseView]:
        """Every case a caller raised, newest first (the agent's screen pop)."""
        with self.uow.tx() as s:
            person = s.scalar(select(Caller).where(Caller.phone == phone))
            if person is None:
                return []
            rows = s.scalars(select(Case).where(Case.caller_id == person.id)
                             .order_by(Case.id.desc())).all()
            return [CaseView.of(r, phone) for r in rows]

    def search_knowledge(self, question: str, topic: str | None = None,
                         limit: int = 3) -> list[knowledge.Hit]:
        """Best knowledge-base answers for a question, with scores."""
        with self.uow.tx() as s:
            return knowledge.search(kb_entries(s), question, topic, limit)

    def iter_events(self, start: datetime, end: datetime,
                    batch: int = 5000) -> Iterator[tuple[datetime, str, dict[str, Any]]]:
        """(at, action, data) of every event in [start, end), streamed in batches."""
        last = 0
        while True:
            with self.uow.read() as s:
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

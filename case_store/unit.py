"""The unit of work every case-store collaborator shares: one engine, one clock, one way
to open a transaction, load a case and append to its event log.

Keeping these in one small object (instead of private members of the store that mixins
reach into) means each collaborator states what it needs in its constructor, and a test
can build one collaborator with a fake clock without building the whole store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from case_store import lifecycle
from case_store.errors import CaseNotFoundError
from case_store.models import Caller, Case, CaseEvent, KnowledgeEntry
from case_store.views import CaseView

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    """Sessions, the clock, and the few steps every write shares."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """One transaction: everything written inside commits together or not at all."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def read(self) -> Session:
        """A plain session for reads that write nothing (use as a context manager)."""
        return Session(self.engine)

    def load(self, s: Session, number: str, lock: bool = False) -> Case:
        """The case numbered ``number`` (row-locked when ``lock``), or CaseNotFoundError."""
        query = select(Case).where(Case.number == str(number))
        if lock:
            query = query.with_for_update()
        case = s.scalar(query)
        if case is None:
            raise CaseNotFoundError(f"no case numbered {number!r}")
        return case

    def view(self, s: Session, case: Case) -> CaseView:
        """The snapshot handed out: the case with its caller's phone and KB answer."""
        phone = s.scalar(select(Caller.phone).where(Caller.id == case.caller_id)) or ""
        answer = None
        if case.answer_entry_id is not None:
            answer = s.scalar(select(KnowledgeEntry.answer)
                              .where(KnowledgeEntry.id == case.answer_entry_id))
        return CaseView.of(case, phone, answer)

    def event(self, s: Session, case: Case, actor: str, action: str,
              data: dict[str, Any] | None = None, to_status: str | None = None) -> None:
        """Check the transition, then change status and append the event together."""
        new = lifecycle.next_status(case.status, action) if to_status is None else to_status
        now = self.clock()
        s.add(CaseEvent(case_id=case.id, at=now, actor=actor, action=action,
                        from_status=case.status, to_status=new, data=data or {}))
        case.status = new
        case.updated_at = now

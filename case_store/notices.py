"""Supervision notices (督办通知书): a numbered document per supervision, addressed to the
department that held the case, which it must acknowledge.

Before, ``supervise`` was an event nobody received; now each one is a row the department
sees in its portal and signs for, and the ``supervise`` event (which reports count)
carries the notice's number. Numbers are DB-<year issued>-<row id, six digits>: the id
makes them unique without a counter that two sweepers could race for.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.errors import CaseStoreError, IllegalTransitionError
from case_store.models import Case, SupervisionNotice
from case_store.unit import UnitOfWork
from case_store.views import NoticeView, iso
from case_store.workdays import SHANGHAI

OVERDUE_REASON = "超过办理期限未办结"
HURRY_REASON = "督促加快办理"  # supervised by hand before the deadline, no reason given
MAX_REASON = 500


class NoticeNotFoundError(CaseStoreError):
    """No supervision notice with that number."""


def notice_number(year: int, row_id: int) -> str:
    """DB-2026-000123: the year it was issued and its row id."""
    return f"DB-{year}-{row_id:06d}"


class SupervisionNotices:
    """Issues notices (sweeper, supervisors), takes acknowledgements, lists them."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def supervise(self, s: Session, case: Case, actor: str, *, reason: str = "") -> None:
        """Issue a numbered notice for the case's deadline to the case's current holder."""
        now = self.uow.clock()
        late = case.due_at is not None and now > case.due_at
        why = str(reason).strip()[:MAX_REASON] or (OVERDUE_REASON if late else HURRY_REASON)
        row = SupervisionNotice(case_id=case.id, owner_type=case.owner_type,
                                owner_code=case.owner_code, reason=why, due_at=case.due_at,
                                issued_at=now, issued_by=actor)
        s.add(row)
        s.flush()  # the id makes the number
        row.number = notice_number(now.astimezone(SHANGHAI).year, row.id)
        case.supervised_at = now
        overdue = (now - case.due_at).total_seconds() if case.due_at else 0
        self.uow.event(s, case, actor, "supervise",
                       {"notice": "督办通知书", "notice_no": row.number, "reason": why,
                        "owner_type": case.owner_type, "owner": case.owner_code,
                        "due_at": iso(case.due_at), "overdue_seconds": int(max(0, overdue))})

    def acknowledge(self, s: Session, case: Case, actor: str, *, notice: str = "",
                    dept: str = "") -> None:
        """The addressed department signs for the notice, once."""
        row = s.scalar(select(SupervisionNotice).where(SupervisionNotice.number == notice,
                                                       SupervisionNotice.case_id == case.id)
                       .with_for_update())
        if row is None:
            raise IllegalTransitionError(f"case {case.number} has no notice {notice!r}")
        if row.owner_code != dept:
            raise IllegalTransitionError(f"notice {notice} is addressed to {row.owner_code}, "
                                         f"not {dept!r}")
        if row.acknowledged_at is not None:
            raise IllegalTransitionError(f"notice {notice} was acknowledged already")
        row.acknowledged_at, row.acknowledged_by = self.uow.clock(), actor
        self.uow.event(s, case, actor, "acknowledge_notice",
                       {"notice_no": notice, "owner_type": row.owner_type,
                        "owner": row.owner_code, "issued_at": iso(row.issued_at)})

    # -- reading ----------------------------------------------------------------------

    def notice(self, number: str) -> NoticeView:
        """One notice, or NoticeNotFoundError."""
        with self.uow.read() as s:
            found = s.execute(select(SupervisionNotice, Case)
                              .join(Case, Case.id == SupervisionNotice.case_id)
                              .where(SupervisionNotice.number == str(number)[:24])).first()
            if found is None:
                raise NoticeNotFoundError(f"no supervision notice {number!r}")
            return NoticeView.of(*found)

    def notices(self, *, owner: str | None = None, case_number: str | None = None,
                limit: int = 200) -> list[NoticeView]:
        """Notices to one department or on one case, unacknowledged first, newest first."""
        with self.uow.read() as s:
            q = (select(SupervisionNotice, Case)
                 .join(Case, Case.id == SupervisionNotice.case_id)
                 .order_by(SupervisionNotice.acknowledged_at.is_not(None),
                           SupervisionNotice.id.desc()).limit(limit))
            if owner is not None:
                q = q.where(SupervisionNotice.owner_code == owner)
            if case_number is not None:
                q = q.where(Case.number == case_number)
            return [NoticeView.of(n, c) for n, c in s.execute(q).all()]

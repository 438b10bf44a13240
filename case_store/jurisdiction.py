"""Out-of-jurisdiction closure (集中销案): a request the city may not handle (a court case,
a matter for the province or another city) is closed with a reason and a referral, and the
citizen is told where to go.

The citizen's message is written into the closing event as ``notify_citizen`` and owed
to them (``case_store.deliveries``) in the same transaction, so closing and telling are
one: the outbound sender then sends it on the citizen's channel.
Only before a reply: once a department has answered locally, the case was the city's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from case_store.deliveries import Deliveries
from case_store.errors import IllegalTransitionError
from case_store.models import Case
from case_store.unit import UnitOfWork
from case_store.workdays import SHANGHAI

MAX_REASON = 500


def citizen_message(number: str, received_at: datetime, reason: str, referral: str,
                    detail: str = "") -> str:
    """The text the citizen receives (SMS or WeChat) about the closure."""
    day = received_at.astimezone(SHANGHAI)
    where = f"{referral}（{detail}）" if detail else referral
    return (f"您好！您于{day.month}月{day.day}日向金华8890反映的诉求（工单号{number}），"
            f"经核实不属于本市受理范围：{reason}。建议您向{where}反映。感谢您的理解与支持。")


class OutOfJurisdiction:
    """The ``close_out_of_jurisdiction`` handler."""

    def __init__(self, uow: UnitOfWork, referrals: tuple[str, ...],
                 deliveries: Deliveries) -> None:
        self.uow = uow
        self.referrals = referrals
        self.deliveries = deliveries

    def close(self, s: Session, case: Case, actor: str, *, reason: str = "",
              referral: str = "", detail: str = "") -> None:
        """Close with a reason and a referral from the configured list (plus free text)."""
        why = str(reason).strip()[:MAX_REASON]
        if not why:
            raise IllegalTransitionError("say why the case is outside local jurisdiction")
        if referral not in self.referrals:
            raise IllegalTransitionError(f"unknown referral {referral!r}; "
                                         f"referrals: {', '.join(self.referrals)}")
        more = str(detail).strip()[:MAX_REASON]
        message = citizen_message(case.number, case.received_at, why, referral, more)
        self.uow.event(s, case, actor, "close_out_of_jurisdiction",
                       {"reason": why, "referral": referral, "referral_detail": more,
                        "notify_citizen": message,
                        "owner_type": case.owner_type, "owner": case.owner_code})
        self.deliveries.owe(s, case, "closure", message)

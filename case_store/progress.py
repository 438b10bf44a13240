"""Progress lookup (工单查询) by the citizen: by phone, SMS or the web form.

The citizen gives the case number and is known by their phone number (the caller ID,
the SMS sender, the number typed on the form); a case found only when both match, and
a wrong number and someone else's case give the same "not found", so case numbers
(which are dated and sequential) cannot be walked to read other people's cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from case_store import lifecycle
from case_store.models import Caller, Case, CaseEvent, KnowledgeEntry
from case_store.reply_channel import digits
from case_store.unit import UnitOfWork
from case_store.views import local

STATUS_WORDS = {
    lifecycle.RECEIVED: "已受理，正在分派",
    lifecycle.ASSIGNED: "已交办承办单位",
    lifecycle.ACCEPTED: "承办单位已签收，正在办理",
    lifecycle.IN_PROGRESS: "正在办理",
    lifecycle.REPLIED: "已办理答复，等待回访",
    lifecycle.VISITING: "已办理答复，正在回访",
    lifecycle.CLOSED: "已办结",
    lifecycle.MERGED: "已与相同诉求合并办理",
}
MAX_CASE_NUMBER = 32


@dataclass(frozen=True)
class Progress:
    number: str
    status: str
    status_words: str
    received_at: datetime
    due_at: datetime | None
    latest: str  # the latest reply or answer the citizen was given; "" if none yet

    def spoken(self) -> str:
        """What the IVR reads and the SMS says."""
        text = f"工单{' '.join(self.number)}，{self.status_words}。"
        if self.latest:
            text += f"最新答复：{self.latest}"
        return text


def same_phone(a: str, b: str) -> bool:
    return bool(digits(a)) and digits(a) == digits(b)


class ProgressLookup:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def progress(self, number: str, phone: str) -> Progress | None:
        """The case's progress for its own citizen; None for anyone else or no such case."""
        number = number.strip()
        if not number.isascii() or not number.isdigit() or len(number) > MAX_CASE_NUMBER:
            return None
        with self.uow.read() as s:
            found = s.execute(select(Case, Caller.phone).join(Caller, Caller.id == Case.caller_id)
                              .where(Case.number == number)).first()
            if found is None or not same_phone(found[1], phone):
                return None
            case = found[0]
            latest = ""
            reply = s.scalar(select(CaseEvent.data).where(
                CaseEvent.case_id == case.id, CaseEvent.action == "reply")
                .order_by(CaseEvent.id.desc()).limit(1))
            if reply:
                latest = str(reply.get("reply") or "")
            elif case.answer_entry_id is not None:
                latest = s.scalar(select(KnowledgeEntry.answer).where(
                    KnowledgeEntry.id == case.answer_entry_id)) or ""
            return Progress(case.number, case.status, STATUS_WORDS.get(case.status, case.status),
                            local(case.received_at), local(case.due_at), latest)

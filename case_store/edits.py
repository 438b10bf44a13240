"""Edits to a case that are not lifecycle steps: an agent's correction of what was
recorded, and the log lines of a call transferred, or of a department or company
consulted on it (三方通话), while the case was open. All keep the case's status and
append one event in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from case_store.amend import plan_correction
from case_store.creation import MAX_TEXT, text_digest
from case_store.models import Call, Case
from case_store.service_catalog import Catalog
from case_store.unit import UnitOfWork
from case_store.views import CaseView


class CaseEdits:
    """``correct``, ``record_transfer`` and ``record_consult``."""

    def __init__(self, uow: UnitOfWork, catalog: Catalog) -> None:
        self.uow = uow
        self.catalog = catalog

    def correct(self, number: str, fields: dict[str, Any], by: str) -> CaseView:
        """An agent corrects kind, topic, place or text: the change and a ``corrected``
        event with before/after are written together; bad input raises and writes nothing.
        Routing already done stays as it is (a re-route is the handler's ``reassign``)."""
        with self.uow.tx() as s:
            case = self.uow.load(s, number, lock=True)
            current = {"kind": case.kind, "topic": case.topic, "place": case.place,
                       "text": case.text}
            before, after = plan_correction(current, fields, self.catalog, MAX_TEXT)
            if after:
                for name, value in after.items():
                    setattr(case, name, value)
                if "text" in after:
                    case.text_digest = text_digest(after["text"])
                self.uow.event(s, case, by, "corrected", {"before": before, "after": after},
                               to_status=case.status)
            return self.uow.view(s, case)

    def record_transfer(self, uniqueid: str, *, by: str, to: str,
                        number: str | None = None) -> CaseView | None:
        """Log that an agent transferred a call: on the call record, and on its case (given,
        or the case opened for that call); None when the call has no case yet."""
        return self._call_event(uniqueid, by, "transfer", {"to": to}, number, to)

    def record_consult(self, uniqueid: str, *, by: str, data: dict[str, Any],
                       number: str | None = None,
                       transferred_to: str | None = None) -> CaseView | None:
        """Log one step of a consult (``data["step"]``: answered, no_answer, agent_left):
        a ``consult`` event on the call's case; ``transferred_to`` also goes on the call
        record once the agent has left the caller with the other party."""
        return self._call_event(uniqueid, by, "consult", data, number, transferred_to)

    def _call_event(self, uniqueid: str, by: str, action: str, data: dict[str, Any],
                    number: str | None, transferred_to: str | None) -> CaseView | None:
        with self.uow.tx() as s:
            call = s.get(Call, str(uniqueid)[:150])
            if call is not None and transferred_to:
                call.transferred_to = transferred_to[:80]
            if number:
                case = self.uow.load(s, number, lock=True)
            else:
                case = s.scalar(select(Case).where(Case.call_ref == str(uniqueid))
                                .order_by(Case.id.desc()).limit(1))
                if case is None:
                    return None
            self.uow.event(s, case, by, action, {**data, "call": str(uniqueid)[:150]},
                           to_status=case.status)
            return self.uow.view(s, case)

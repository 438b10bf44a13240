"""Merging a new report into the open case about the same place and topic (合并重复件).

Several citizens reporting one broken street light should give the department one case
to work, with every caller attached. A new case merges into an open one when all of:
same kind and topic, the same normalised place (``places.place_key``: exact match), the
open case received within ``policy.merge_window``, and that case still being handled
(received, assigned, accepted or in progress). Never across topics, never into a closed
or already replied case (a new report after the reply says the problem is still there),
never an emergency, never without a place. The merged case keeps its own number, text and
caller and points at the original; the original's log names each merged report and its
caller; at the reply every attached caller gets a follow-up visit (``case_store.followup``).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from case_store import lifecycle
from case_store.models import Case
from case_store.policy import CasePolicy
from case_store.unit import UnitOfWork

MERGE_TARGETS = (lifecycle.RECEIVED, *lifecycle.HANDLING)
RULE = "same place and topic"


class DuplicateMerging:
    """Find, and merge into, the open case of the same place and topic (at intake)."""

    def __init__(self, uow: UnitOfWork, policy: CasePolicy) -> None:
        self.uow = uow
        self.policy = policy

    def same_place_case(self, s: Session, case: Case) -> Case | None:
        """The open case this new one duplicates, or None."""
        if case.kind == "emergency" or not case.topic or not case.place_key:
            return None
        if s.bind.dialect.name == "postgresql":
            # two reports of one place at once: the second waits and then sees the first
            spot = f"{case.topic}|{case.place_key}".encode()
            key = int(hashlib.sha1(spot).hexdigest()[:15], 16)  # noqa: S324
            s.execute(sql_text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        query = select(Case).where(
            Case.topic == case.topic, Case.kind == case.kind,
            Case.place_key == case.place_key, Case.id != case.id,
            Case.status.in_(MERGE_TARGETS),
            Case.received_at >= case.received_at - self.policy.merge_window)
        if case.region:  # 城西街道 of Yiwu is not 城西街道 of Wucheng
            query = query.where(or_(Case.region.is_(None), Case.region == case.region))
        return s.scalar(query.order_by(Case.id).limit(1).with_for_update())

    def merge_on_intake(self, s: Session, case: Case, original: Case, caller: str,
                        actor: str) -> None:
        """Point the new case at the original and log the merge on both."""
        case.merged_into = original.number
        window_h = self.policy.merge_window.total_seconds() / 3600
        self.uow.event(s, case, actor, "merge", {"into": original.number, "rule": RULE,
                                                 "place": case.place, "window_h": window_h})
        self.uow.event(s, original, actor, "note", {"merged_from": case.number,
                                                    "caller": caller, "rule": RULE})

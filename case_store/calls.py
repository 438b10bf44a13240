"""Call records: the one SQL row every call leaves, written by the ACD as the call goes on.

``record_call`` is an upsert keyed by Asterisk's uniqueid, so the ACD can write at
arrival, again at answer and again at hangup without reading first, and a retried write
does no harm. ``CaseStore`` delegates to it; every method runs in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from case_store.call_fields import (
    CALL_FIELDS,
    CALL_REQUIRED,
    UNIQUEID_LIMIT,
    check_key,
    clean,
)
from case_store.db import upsert_insert
from case_store.errors import CallNotFoundError, InvalidCallError
from case_store.models import Call
from case_store.unit import UnitOfWork
from case_store.views import CallView

MAX_LIST = 10_000


class CallRecords:
    """``record_call``, ``get_call``, ``calls`` and ``calls_for_case`` for ``CaseStore``."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def record_call(self, uniqueid: str, **fields: Any) -> CallView:
        """Insert the call, or update only the given fields of the call already recorded.

        The first write needs ``caller`` and ``origin`` (``arrived_at`` defaults to now);
        later writes may give any subset. A bad value raises and writes nothing.
        """
        key = check_key("uniqueid", uniqueid, UNIQUEID_LIMIT)
        given = clean(fields, CALL_FIELDS, "call")
        with self.uow.tx() as s:
            if all(name in given for name in CALL_REQUIRED):
                row = {"arrived_at": self.uow.clock(), "seats_tried": 0, **given, "uniqueid": key}
                stmt = upsert_insert(s, Call).values(row)
                s.execute(stmt.on_conflict_do_update(
                    index_elements=[Call.uniqueid],
                    set_={name: stmt.excluded[name] for name in given},
                ))
            elif given:
                s.execute(update(Call).where(Call.uniqueid == key).values(given)
                          .execution_options(synchronize_session=False))
            call = s.get(Call, key)
            if call is None:
                raise CallNotFoundError(
                    f"no call {key!r} recorded yet; its first record needs "
                    f"{' and '.join(CALL_REQUIRED)}"
                )
            return CallView.of(call)

    def get_call(self, uniqueid: str) -> CallView:
        """The call's record as it stands."""
        with self.uow.tx() as s:
            call = s.get(Call, str(uniqueid))
            if call is None:
                raise CallNotFoundError(f"no call {uniqueid!r} recorded")
            return CallView.of(call)

    def calls(self, since: datetime | None = None, limit: int = 200) -> list[CallView]:
        """Calls that arrived at or after ``since``, newest first (wallboard, statistics)."""
        if since is not None and (not isinstance(since, datetime) or since.utcoffset() is None):
            raise InvalidCallError(f"since must be an aware datetime, got {since!r}")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST:
            raise InvalidCallError(f"limit must be between 1 and {MAX_LIST}, got {limit!r}")
        query = select(Call).order_by(Call.arrived_at.desc(), Call.uniqueid.desc()).limit(limit)
        if since is not None:
            query = query.where(Call.arrived_at >= since)
        with self.uow.tx() as s:
            return [CallView.of(c) for c in s.scalars(query)]

    def calls_for_case(self, number: str) -> list[CallView]:
        """The calls linked to a case, newest first (the agent sees how often they called)."""
        with self.uow.tx() as s:
            rows = s.scalars(select(Call).where(Call.case_number == str(number))
                             .order_by(Call.arrived_at.desc(), Call.uniqueid.desc()))
            return [CallView.of(c) for c in rows]

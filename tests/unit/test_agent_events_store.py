"""Agents' history in SQL: a replayed write lands once, a bad event is refused, and the day
report starts each seat from its last event before the day."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from acd.records import SqlAgentEvents, StoreWriter
from case_store import CaseStore


@pytest.fixture
def store(tmp_path):
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.sqlite'}",
                      clock=lambda: datetime(2026, 12, 3, 4, 0, tzinfo=UTC))  # 12:00 Beijing
    store.setup()
    yield store
    store.close()


def test_the_same_key_again_adds_nothing_and_bad_events_are_refused(store):
    at = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    store.add_agent_event("8001:login:1", "8001", "login", "", at)
    store.add_agent_event("8001:login:1", "8001", "login", "", at)  # a replayed spool item
    assert len(store.agent_records.agent_events(at, datetime(2026, 12, 4, tzinfo=UTC))) == 1
    with pytest.raises(ValueError):
        store.add_agent_event("k", "8001", "dance", "", at)
    with pytest.raises(ValueError):
        store.add_agent_event("k", "80 01", "login", "", at)


def test_today_counts_up_to_now_from_the_state_the_day_began_with(store):
    async def journal() -> None:  # through the writer the ACD uses
        events = SqlAgentEvents(StoreWriter(store))
        await events.add("8002", "login", "", datetime(2026, 12, 1, 8, tzinfo=UTC).timestamp())
        await events.add("8002", "pause", "午休",
                         datetime(2026, 12, 3, 3, 0, tzinfo=UTC).timestamp())
    asyncio.run(journal())
    # logged in since two days ago: today (Beijing) from 00:00 to 12:00 now, paused 1 h
    day = store.agent_day_report(date(2026, 12, 3), 15, ["8002", "8003"])
    by_seat = {row["seat"]: row for row in day}
    assert by_seat["8002"]["logged_in_s"] == 12 * 3600
    assert by_seat["8002"]["paused_s"] == {"午休": 3600}
    assert by_seat["8003"]["logged_in_s"] == 0  # no history: never logged in by default
    assert store.agent_day_report(date(2026, 12, 5), 15, ["8002"])[0]["logged_in_s"] == 0

"""Shared fixtures for case-store integration tests: fresh SQLite file or PostgreSQL schema
per test, an injectable clock, and a Redis key prefix that is cleaned up afterwards."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import psycopg
import pytest
import redis

from case_store.store import CaseStore
from case_store.workdays import SHANGHAI
from testkit.pg import TEST_CONNINFO, schema_url

RUN = uuid.uuid4().hex[:8]


class FakeClock:
    """A clock tests move by hand, so SLA tests never sleep."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(params=["sqlite", "postgresql"])
def case_db(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cases.sqlite'}"
        return
    schema = f"case_test_{RUN}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(TEST_CONNINFO, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(schema)
    finally:
        with psycopg.connect(TEST_CONNINFO, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def case_clock():
    return FakeClock(datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def cases(case_db, case_clock):
    s = CaseStore(case_db, clock=case_clock)
    s.setup()
    yield s
    s.close()


@pytest.fixture
def redis_prefix():
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"case_test:{RUN}:{uuid.uuid4().hex[:8]}"
    yield client, prefix
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()

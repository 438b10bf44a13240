"""Every hotline process migrates the case store when it starts, and several start at
once (ACD processes, sites, case writers). They must not trip over each other: each one
starts cleanly and the schema ends at head, on SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from case_store.db import alembic_config, make_engine, migrate
from tests.integration.case_support import case_db  # noqa: F401  (the fixture)

pytestmark = pytest.mark.integration

PROCESSES = 4


def _start(url: str, barrier, failures) -> None:
    barrier.wait(timeout=60)  # all at once: the race a fleet's restart produces
    try:
        migrate(url)
    except Exception as exc:
        failures.put(f"{type(exc).__name__}: {str(exc)[:300]}")


def test_processes_starting_together_all_start_and_leave_the_schema_at_head(case_db):  # noqa: F811
    ctx = multiprocessing.get_context("fork")
    barrier, failures = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_start, args=(case_db, barrier, failures))
             for _ in range(PROCESSES)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    errors = []
    while not failures.empty():
        errors.append(failures.get())
    assert errors == [] and [p.exitcode for p in procs] == [0] * PROCESSES
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = make_engine(case_db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() \
            == [head]
    engine.dispose()

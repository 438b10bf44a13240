"""The case store on a PostgreSQL primary with a synchronous standby, through a libpq
multi-host URL: the primary is killed, the standby promoted, and the running hotline
loses nothing it promised (what came meanwhile waits in the durable spool)."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from ivr.heard import Heard
from testkit.pg_pair import DATABASE, ROLE, PgPair
from tests.integration.test_acd import until
from tests.integration.test_acd_faults import owe_callback
from tests.support import isolated, running, slot_port

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_pair():
    folder = Path(tempfile.mkdtemp(prefix="hotline-pg-"))  # postgres must reach it
    pair = PgPair(folder, slot_port(25440), slot_port(25441))
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _callbacks_on(port: int, number: str) -> list[tuple[str, str]]:
    with psycopg.connect(host="127.0.0.1", port=port, user=ROLE, dbname=DATABASE) as conn:
        return conn.execute("SELECT callback_id, status FROM callbacks WHERE "
                            "callback_number = %s", (number,)).fetchall()


async def test_a_promoted_standby_takes_over_and_nothing_promised_is_lost(
        cfg, sandbox, tmp_path_factory, pg_pair):
    db_cfg = dataclasses.replace(isolated(cfg, tmp_path_factory, "pg-failover"),
                                 database_url=pg_pair.url)
    async with running(db_cfg) as service:
        before = await owe_callback(service, "13955556661")  # in SQL, on both servers
        assert service.records.status()["depth"] == 0

        await asyncio.to_thread(pg_pair.kill_primary)
        during = await owe_callback(service, "13955556662")  # promised: on disk meanwhile
        heard = Heard("楼道的灯坏了好几天了", "ok", "life", "plumbing_electric", None, 0.9,
                      False)
        await service.phone_intake.file(during, heard, None)
        assert service.records.status()["depth"] >= 1

        await asyncio.to_thread(pg_pair.promote_standby)
        await until(lambda: _drained(service), timeout=40,
                    what="the spool replayed into the promoted standby")
        standby = pg_pair.ports["standby"]
        assert await asyncio.to_thread(_callbacks_on, standby, "13955556661") == [
            (before.id, "pending")]
        assert await asyncio.to_thread(_callbacks_on, standby, "13955556662") == [
            (during.id, "pending")]
        cases = await asyncio.to_thread(service.store.caller_history, "13955556662")
        assert [c.text for c in cases] == ["楼道的灯坏了好几天了"]  # filed once, on the new primary
        after = await owe_callback(service, "13955556663")  # and writes go on directly
        assert service.records.status()["depth"] == 0
        assert await asyncio.to_thread(_callbacks_on, standby, "13955556663") == [
            (after.id, "pending")]


async def _drained(service) -> bool:
    return service.records.status()["depth"] == 0 and service.phone_intake.spool.depth() == 0

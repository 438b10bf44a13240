"""The database away: what the caller was promised is spooled on disk and lands once.

PostgreSQL is reached through a proxy the test cuts (PostgreSQL itself stays up for
everyone else on the machine); a cut looks to the hotline like a database that died.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import aiohttp
import psycopg
import pytest

from ivr.heard import Heard
from testkit.cut_proxy import CutProxy
from testkit.pg import TEST_CONNINFO, schema_url
from tests.integration.test_acd import until
from tests.integration.test_acd_faults import owe_callback
from tests.support import isolated, running

pytestmark = pytest.mark.integration



@pytest.fixture
def pg_schema():
    schema = f"db_outage_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(TEST_CONNINFO, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(TEST_CONNINFO, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def test_a_callback_promised_while_the_database_is_down_lands_once_it_is_back(
        cfg, sandbox, tmp_path_factory, pg_schema):
    async with CutProxy("127.0.0.1", 5432) as proxy:
        url = schema_url(pg_schema, port=proxy.port)
        db_cfg = dataclasses.replace(isolated(cfg, tmp_path_factory, "db-outage"),
                                     database_url=url)
        async with running(db_cfg) as service:
            proxy.cut()
            callback = await owe_callback(service, "13955550001")  # no exception: durable
            assert await service.acd.line.state(callback.id) == "waiting"
            status = service.records.status()
            assert status["depth"] >= 2  # the callback and its call record, on disk
            heard = Heard("家里水管漏水了", "ok", "life", "plumbing_electric", None, 0.9, False)
            assert await service.phone_intake.file(callback, heard, None) is None  # spooled
            assert service.phone_intake.spool.depth() == 1

            base = f"http://127.0.0.1:{db_cfg.web_port}"
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{base}/healthz") as reply:
                    health = await reply.json()
                assert health["links"]["case_store"] is False
                assert health["spool"]["depth"] >= 2
                async with http.get(f"{base}/open311/v2/requests.json",
                                    headers={"X-Api-Key": "hk_unknown"}) as reply:
                    assert reply.status == 503  # a clear answer, not a traceback
                    assert "案件库" in (await reply.json())["error"]

            proxy.restore()
            await until(lambda: _drained(service), timeout=20, what="spool replayed")
            # the proxy runs in this event loop: SQL from the test goes through a thread
            stored = await asyncio.to_thread(service.store.get_callback, callback.id)
            assert stored.callback_number == "13955550001" and stored.status == "pending"
            await until(lambda: _cases_filed(service), timeout=20, what="spooled case filed")
            cases = await asyncio.to_thread(service.store.caller_history, "13955550001")
            assert [c.text for c in cases] == ["家里水管漏水了"]  # written once
            stored = await asyncio.to_thread(service.store.get_callback, callback.id)
            assert stored.case_number == cases[0].number  # the desk sees the case
            again = await service.records.replay()  # nothing left: lands once
            assert again == 0
            with psycopg.connect(TEST_CONNINFO, autocommit=True) as conn:
                rows = conn.execute(f'SELECT count(*) FROM "{pg_schema}".callbacks '
                                    "WHERE callback_id = %s", (callback.id,)).fetchone()
            assert rows[0] == 1


async def _cases_filed(service) -> bool:
    return service.phone_intake.spool.depth() == 0


async def _drained(service) -> bool:
    return service.records.status()["depth"] == 0

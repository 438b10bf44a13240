"""Shared fixtures: a test instance of the real stack on its own ports.

The Asterisk sandbox is brought up once per session as config instance "test"
(its own ports and folders inside the cached root, so a running hotline is left
alone); Redis keys get a fresh prefix per run and are deleted afterwards;
PostgreSQL gets a fresh database per run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from hotline.config import Config, load_config
from tests.support import slot_instance, slot_port, slot_rtp

RUN_ID = uuid.uuid4().hex[:8]

TEST_ENV = {
    "HOTLINE_INSTANCE": slot_instance("test"),
    "HOTLINE_AMI_PORT": str(slot_port(15038)),
    "HOTLINE_AGI_PORT": str(slot_port(14573)),
    "HOTLINE_SIP_PORT": str(slot_port(15060)),
    "HOTLINE_TRUNK_PORT": str(slot_port(15070)),
    "HOTLINE_RTP_START": str(slot_rtp(12000)[0]),
    "HOTLINE_RTP_END": str(slot_rtp(12000)[1]),
    "HOTLINE_WEB_PORT": str(slot_port(18890)),
    "HOTLINE_REDIS_URL": "redis://127.0.0.1:6379/0",  # the machine's, shared by every test
    "HOTLINE_REDIS_PREFIX": f"hotline-test:{RUN_ID}",
    "HOTLINE_ACD_WRAPUP_S": "1",
    "HOTLINE_ACD_CALLBACK_DEADLINE_S": "60",  # the five-minute promise, on a short clock
    "HOTLINE_ACD_CALLBACK_BACKOFF_S": "2,4",
    # no automatic calls reading replies and orders on the trunk, where other tests'
    # citizen phones answer; the tests of those calls turn them on
    "HOTLINE_OUTBOUND_VOICE": "no",
    # the packaged speech model is Korean: the tests hear Mandarin requests as Korean
    # words, and say so here; a hotline outside tests refuses such a model
    "HOTLINE_VOSK_ALLOW_OTHER_LANGUAGE": "yes",
}
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="session")
def test_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for processes (softphones, CLI) that must join the test instance."""
    db = tmp_path_factory.mktemp("db") / "cases.sqlite"
    env = {**os.environ, **TEST_ENV, "HOTLINE_DATABASE_URL": f"sqlite:///{db}"}
    env.pop("HOTLINE_CONFIG", None)
    return env


@pytest.fixture(scope="session")
def cfg(test_env: dict[str, str]) -> Config:
    return load_config(path=None, env=test_env)


@pytest.fixture(scope="session")
def sandbox(cfg: Config) -> Iterator:
    """The real Asterisk 22, up for the whole session."""
    from hotline.asterisk import sandbox_for

    box = sandbox_for(cfg, log=lambda _m: None)
    box.up()
    # callback requests an interrupted earlier run left would ring this run's seats
    spool = box.layout.host(box.layout.callback_spool_dir)
    for stale in [*spool.glob("*.json"), *spool.glob("*.taken")]:
        stale.unlink(missing_ok=True)
    yield box
    box.down()


@pytest_asyncio.fixture(scope="session")
async def redis(cfg: Config) -> AsyncIterator[Redis]:
    client = Redis.from_url(cfg.redis_url, decode_responses=True)
    yield client
    async for key in client.scan_iter(match=f"{cfg.key_prefix}:*"):
        await client.delete(key)
    await client.aclose()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

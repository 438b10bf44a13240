"""Helpers shared by integration tests."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from hotline.config import Config
from hotline.service import HotlineService

# HOTLINE_TEST_SLOT=N runs this suite on its own Asterisk instance and ports, so two
# checkouts (or two developers on one machine) can run the integration tests at once.
SLOT = int(os.environ.get("HOTLINE_TEST_SLOT", "0") or 0)


def slot_port(port: int) -> int:
    """A signalling/web port of this slot (slot 0 keeps the documented ports)."""
    return port + 100 * SLOT


def slot_instance(name: str) -> str:
    return f"{name}{SLOT}" if SLOT else name


def slot_rtp(start: int) -> tuple[int, int]:
    """A 1,000-port RTP range of this slot."""
    first = start if not SLOT else 40000 + 2000 * SLOT + (start % 2000 >= 1000) * 1000
    return first, first + 999


def isolated(cfg: Config, tmp_path_factory: pytest.TempPathFactory, name: str) -> Config:
    """Same Asterisk, but this module's own Redis keys and database: no state leaks in."""
    db = tmp_path_factory.mktemp(name) / "cases.sqlite"
    return dataclasses.replace(cfg, redis_prefix=f"{cfg.key_prefix}:{name}",
                               database_url=f"sqlite:///{db}")


@asynccontextmanager
async def running(cfg: Config) -> AsyncIterator[HotlineService]:
    """`hotline run` in this event loop, up once its AMI link has logged in."""
    service = HotlineService(cfg)
    try:  # a start that fails half-way still stops what it started (ports, tasks)
        await service.start()
        await asyncio.wait_for(service.ami.connected.wait(), 10)
        yield service
    finally:
        await service.stop()

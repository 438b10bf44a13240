"""Helpers shared by integration tests."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from hotline.config import Config
from hotline.service import HotlineService


def isolated(cfg: Config, tmp_path_factory: pytest.TempPathFactory, name: str) -> Config:
    """Same Asterisk, but this module's own Redis keys and database: no state leaks in."""
    db = tmp_path_factory.mktemp(name) / "cases.sqlite"
    return dataclasses.replace(cfg, redis_prefix=f"{cfg.key_prefix}:{name}",
                               database_url=f"sqlite:///{db}")


@asynccontextmanager
async def running(cfg: Config) -> AsyncIterator[HotlineService]:
    """`hotline run` in this event loop, up once its AMI link has logged in."""
    service = HotlineService(cfg)
    await service.start()
    try:
        await asyncio.wait_for(service.ami.connected.wait(), 10)
        yield service
    finally:
        await service.stop()

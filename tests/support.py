"""Helpers shared by integration tests."""

from __future__ import annotations

import dataclasses

import pytest

from hotline.config import Config


def isolated(cfg: Config, tmp_path_factory: pytest.TempPathFactory, name: str) -> Config:
    """Same Asterisk, but this module's own Redis keys and database: no state leaks in."""
    db = tmp_path_factory.mktemp(name) / "cases.sqlite"
    return dataclasses.replace(cfg, redis_prefix=f"{cfg.key_prefix}:{name}",
                               database_url=f"sqlite:///{db}")

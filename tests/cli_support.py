"""A temporary SQLite store for the CLI commands, chosen the way a user chooses one:
through HOTLINE_DATABASE_URL, with no config file and a clock fixed on a working day."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from case_store.store import CaseStore
from case_store.workdays import SHANGHAI


def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, CaseStore]:
    """The store's URL (set in the environment) and the store itself, set up; the caller
    closes it before running a command."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    store = CaseStore(url, clock=lambda: datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI))
    store.setup()
    return url, store

"""The seed corpus kept in the repository: hostile inputs every run replays."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "corpus"


def seeds(target: str) -> list:
    """Every seed file of ``corpus/<target>/``, as pytest params named by the file."""
    files = sorted(p for p in (CORPUS / target).iterdir()
                   if p.is_file() and not p.name.startswith("."))
    return [pytest.param(path, id=path.name) for path in files]


def text_of(path: Path) -> str:
    """A seed as text: undecodable bytes kept as lone surrogates, as hostile as they come."""
    return path.read_bytes().decode("utf-8", errors="surrogateescape")

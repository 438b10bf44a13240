"""Fuzzing profiles, a time budget and a report of executions per target.

`HYPOTHESIS_PROFILE=ci` (the default, what `make test` runs) is short and replays what
`make fuzz` found without writing; `HYPOTHESIS_PROFILE=fuzz` runs many examples and
stores failing ones in the example database under ``corpus/.hypothesis``, so CI keeps
replaying them until they pass. A finding worth keeping for good goes into the
readable seed files of ``corpus/<target>/`` (the database is keyed by the test's
source and forgets an example once the test changes).

`FUZZ_SECONDS` bounds the whole run: each property test gets an equal share of what is
left, and stops generating once it is spent. A test whose body failed still shrinks the
failure; one raised by the test's own strategy (outside the body) can be cut short, but
the fuzz profile saved it when found, so the next run replays it. A target is a module,
``test_fuzz_<target>.py``.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase, ReadOnlyDatabase
from hypothesis.errors import HypothesisException

from tests.fuzz.seeds import CORPUS

HERE = CORPUS.parent

DATABASE = DirectoryBasedExampleDatabase(CORPUS / ".hypothesis")
_COMMON: dict[str, Any] = {"deadline": None, "derandomize": False,
                           "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=200, database=ReadOnlyDatabase(DATABASE),
                          **_COMMON)
settings.register_profile("fuzz", max_examples=20000, database=DATABASE, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
SECONDS = float(os.environ.get("FUZZ_SECONDS") or {"fuzz": 300}.get(PROFILE, 24))


class BudgetSpent(KeyboardInterrupt):
    """Raised inside a property test when its time share is over. Hypothesis ends a run
    cleanly only on KeyboardInterrupt: another exception would be an example to save in
    the database and to shrink."""


class Tally:
    """Executions and findings per target, and the running test's deadline."""

    def __init__(self, seconds: float, tests: int) -> None:
        self.seconds = seconds
        self.end = 0.0  # set when the first property test starts (`make test` runs others first)
        self.left = tests  # property tests still to run
        self.executions: Counter[str] = Counter()
        self.findings: Counter[str] = Counter()
        self.target = ""
        self.deadline = float("inf")
        self.failing = False

    def start(self, target: str) -> None:
        self.target, self.failing = target, False
        now = time.monotonic()
        self.end = self.end or now + self.seconds
        self.deadline = now + max(0.5, (self.end - now) / self.left)
        self.left = max(1, self.left - 1)

    def count(self, inner: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a Hypothesis test's body: count each call, stop at the deadline."""

        @functools.wraps(inner)
        def counted(*args: Any, **kwargs: Any) -> Any:
            if not self.failing and time.monotonic() > self.deadline:
                raise BudgetSpent
            self.executions[self.target] += 1
            try:
                return inner(*args, **kwargs)
            except HypothesisException:  # e.g. an assume() or filter rejecting a draw
                raise
            except (Exception, BaseExceptionGroup):  # a failure (schemathesis: a group)
                self.failing = True
                raise

        return counted


def target_of(item: pytest.Item) -> str:
    return item.path.stem.removeprefix("test_fuzz_")


def _is_property(item: pytest.Item) -> bool:
    return hasattr(getattr(item, "obj", None), "hypothesis")


TALLY = pytest.StashKey[Tally]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mine = [i for i in items if i.path.is_relative_to(HERE)]
    tally = config.stash[TALLY] = Tally(SECONDS, sum(map(_is_property, mine)))
    for item in mine:
        handle = getattr(item.obj, "hypothesis", None)
        if handle is not None and not hasattr(handle.inner_test, "__wrapped__"):
            handle.inner_test = tally.count(handle.inner_test)  # parametrized: wrap once


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    tally = item.config.stash[TALLY]
    if _is_property(item):
        tally.start(target_of(item))
    else:  # a corpus replay (or another plain test) is one execution
        tally.executions[target_of(item)] += 1
    try:
        return (yield)
    except BudgetSpent:
        return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[Any]:
    report = yield
    if report.failed:
        item.config.stash[TALLY].findings[target_of(item)] += 1
    return report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    tally = config.stash.get(TALLY, None)
    targets = sorted({*tally.executions, *tally.findings}) if tally else []
    if not targets:
        return
    terminalreporter.section(f"fuzz targets (profile {PROFILE})")
    for target in targets:
        terminalreporter.write_line(f"{target}: {tally.executions[target]} executions, "
                                    f"{tally.findings[target]} findings")
    for target in targets:
        terminalreporter.write_line(json.dumps({
            "target": target, "executions": tally.executions[target],
            "findings": tally.findings[target]}))

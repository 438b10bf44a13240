"""The loop of the one-process jobs: a failed or stuck pass never ends it, and only
the lock's holder runs a pass."""

import asyncio

import pytest

from case_store.singleton import run_while_held


class FakeLock:
    """Answers `held()` as told; counts the rounds that asked."""

    def __init__(self, held: bool = True) -> None:
        self.answer = held
        self.asked = 0

    async def held(self) -> bool:
        self.asked += 1
        return self.answer


async def _run_until(job, done: asyncio.Event) -> None:
    await asyncio.wait_for(done.wait(), 2)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job


async def test_a_pass_that_raises_does_not_stop_the_loop():
    passes, done = [], asyncio.Event()

    async def one_pass() -> None:
        passes.append(1)
        if len(passes) == 3:
            done.set()
        raise RuntimeError("database away")

    job = asyncio.ensure_future(run_while_held(FakeLock(), one_pass, 0.01, 1, "t"))
    await _run_until(job, done)
    assert len(passes) >= 3


async def test_a_pass_that_overruns_its_deadline_is_cancelled():
    cancelled, done = [], asyncio.Event()

    async def one_pass() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(1)
            done.set()
            raise

    job = asyncio.ensure_future(run_while_held(FakeLock(), one_pass, 0.01, 0.05, "t"))
    await _run_until(job, done)
    assert cancelled


async def test_without_the_lock_no_pass_runs():
    lock, passes = FakeLock(held=False), []

    async def one_pass() -> None:
        passes.append(1)

    job = asyncio.ensure_future(run_while_held(lock, one_pass, 0.01, 1, "t"))
    async with asyncio.timeout(2):
        while lock.asked < 3:
            await asyncio.sleep(0.01)
    job.cancel()
    await asyncio.gather(job, return_exceptions=True)
    assert passes == []

"""Leases in the real Redis: whoever dies, no seat stays reserved and no callback is lost.

Two `Acd` objects with different owners stand for two processes; the one that "dies"
simply stops renewing (what kill -9 leaves behind in Redis). The real kill -9 of a
`hotline run` process, with Asterisk and phones, is in test_acd_faults.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from acd.engine import Acd, AcdSettings
from acd.line import Entry, rank
from tests.integration.test_acd import _Ledger, until

pytestmark = pytest.mark.integration

SEAT = "8001"
DUE = 250  # a caller this many seconds ago is owed a callback due now (deadline 300 s)


async def _nothing(*_args, **_fields) -> None:
    return None


async def _refuse(_action: dict) -> dict:
    return {"Response": "Error", "Message": "test: no Asterisk"}


def process(redis, prefix: str, owner: str, lease_s: float = 0.6,
            originate=_refuse) -> Acd:
    return Acd(redis, prefix, [SEAT], AcdSettings(lease_s=lease_s, callback_retries=3),
               originate, _Ledger(), _nothing, lease_owner=owner)


async def free_seat(acd: Acd) -> None:
    await acd.board.update(SEAT, logged_in="1", paused_reason="", reserved_for="",
                           device_state="NOT_INUSE", wrapup_until=0)


@pytest.fixture
def prefix(cfg) -> str:
    return f"{cfg.key_prefix}:leases:{uuid.uuid4().hex[:6]}"


async def test_a_dead_processs_ringing_caller_frees_the_seat_for_the_next_caller(redis, prefix):
    dead, alive = process(redis, prefix, "dead"), process(redis, prefix, "alive")
    await free_seat(alive)
    ringing = await dead.arrive("1.1", "13800000001", "", "trunk", time.time())
    # the seat was free: the caller's own arrival took it (the fast path)
    assert (await alive.board.facts(SEAT)).reserved_for == ringing.id
    # the caller's process dies: nothing renews, the seat's phone goes idle again
    await alive.board.record_device(SEAT, "NOT_INUSE")
    nobody = await alive.leases.reap()
    assert nobody == []  # within its lease nothing is taken back
    await asyncio.sleep(0.7)

    reaped = await alive.leases.reap()
    assert [(r.holder, r.kind, r.seat, r.owner) for r in reaped] == [
        (ringing.id, "live", SEAT, "dead")]
    assert (await alive.board.facts(SEAT)).reserved_for == ""
    assert await alive.line.state(ringing.id) == "reaped"
    next_caller = await alive.arrive("1.2", "13800000002", "", "trunk", time.time())
    assert await alive.line.wait_offer(next_caller.id, 1) == SEAT


async def test_a_waiting_caller_of_a_dead_process_leaves_the_line(redis, prefix):
    dead, alive = process(redis, prefix, "dead"), process(redis, prefix, "alive")
    gone = await dead.arrive("2.1", "13800000003", "", "trunk", time.time())
    assert await alive.line.size() == 1
    await asyncio.sleep(0.7)
    await alive.leases.reap()
    assert await alive.line.size() == 0 and await alive.line.state(gone.id) == "reaped"


async def test_a_renewed_lease_is_never_reaped(redis, prefix):
    owner, other = process(redis, prefix, "owner"), process(redis, prefix, "other")
    held = await owner.arrive("3.1", "13800000004", "", "trunk", time.time())
    for _ in range(4):
        await asyncio.sleep(0.3)
        assert await owner.leases.renew() == 1
        assert await other.leases.reap() == []
    assert await other.line.state(held.id) == "waiting"


async def test_a_dead_processs_callback_goes_back_in_line_with_its_arrival(redis, prefix):
    dead, alive = process(redis, prefix, "dead"), process(redis, prefix, "alive")
    await free_seat(alive)
    caller = Entry(id="live-cb", kind="live", caller="13800000005",
                   arrived_at=time.time() - DUE, uniqueid="4.1")
    callback = await dead.request_callback(caller, "13800000005")
    dead.callbacks.originate = _never_answers
    assert await dead.dispatcher.run_once() == 1  # claimed and leased to "dead"
    assert await redis.hget(dead.leases.owner_key, callback.id) == "dead"
    assert await alive.line.state(callback.id) == "offered"
    await alive.board.record_device(SEAT, "NOT_INUSE")
    await asyncio.sleep(0.7)

    for reaped in await alive.leases.reap():  # no AMI here: its channel counts as gone
        await alive._take_back(reaped)
    assert await alive.line.state(callback.id) == "waiting"
    score = await redis.zscore(alive.line.line_key, callback.id)
    assert score == pytest.approx(rank(callback))  # original arrival kept
    assert (await alive.board.facts(SEAT)).reserved_for == ""
    assert await redis.hget(alive.leases.owner_key, callback.id) is None


async def test_a_placement_without_originate_response_is_retried_and_frees_the_seat(
        redis, prefix):
    acd = process(redis, prefix, "one", originate=_never_answers)
    acd.callbacks.policy = acd.callbacks.policy.__class__(0.1, 0, 3, (0,), 3)
    await free_seat(acd)
    caller = Entry(id="live-cb2", kind="live", caller="13800000006",
                   arrived_at=time.time() - DUE, uniqueid="5.1")
    callback = await acd.request_callback(caller, "13800000006")
    assert await acd.dispatcher.run_once() == 1
    await until(lambda: _active(acd), timeout=2, what="placement in flight")
    flight = next(iter(acd.callbacks.active.values()))
    flight.started -= 60  # the OriginateResponse is long overdue
    await acd.callbacks.supervise(None)
    assert acd.callbacks.active == {}
    assert await acd.line.state(callback.id) == "waiting"
    assert (await acd.board.facts(SEAT)).reserved_for == ""


async def _never_answers(_action: dict) -> dict:
    return {"Response": "Success"}  # queued; the OriginateResponse never comes


async def _active(acd: Acd) -> bool:
    return bool(acd.callbacks.active)


async def test_a_singleton_job_has_one_runner_and_another_takes_over_when_it_dies(
        redis, prefix):
    from case_store.singleton import AsyncSingletonLock

    first = AsyncSingletonLock(redis, prefix, "sweep", lease_s=0.5)
    second = AsyncSingletonLock(redis, prefix, "sweep", lease_s=0.5)
    assert await first.held() and not await second.held()
    await asyncio.sleep(0.3)
    assert await first.held() and not await second.held()  # renewed by its holder
    await asyncio.sleep(0.7)  # the holder died: nothing renews
    assert await second.held() and not await first.held()


async def test_settled_callers_leave_redis_after_their_ttl(redis, prefix):
    """Per-call keys are bounded: an entry answered or given up stays readable for
    `settled_ttl_s`, then is gone (a waiting one keeps its day-long TTL)."""
    acd = Acd(redis, prefix, [SEAT], AcdSettings(settled_ttl_s=1), _refuse, _Ledger(), _nothing)
    await free_seat(acd)
    answered = await acd.arrive("6.1", "13800000007", "", "trunk", time.time())
    gave_up = await acd.arrive("6.2", "13800000008", "", "trunk", time.time())
    waiting = await acd.arrive("6.3", "13800000009", "", "trunk", time.time())
    assert (await acd.board.facts(SEAT)).reserved_for == answered.id  # the first took it
    now = time.time()
    assert await acd.seat_result(answered, SEAT, "ANSWER", 300, now, now)
    await acd.give_up(gave_up, "window")
    await asyncio.sleep(1.3)
    assert not await redis.exists(acd.line.entry_key(answered.id))
    assert not await redis.exists(acd.line.entry_key(gave_up.id))
    assert await redis.ttl(acd.line.entry_key(waiting.id)) > 80000


class _MarksNotReadable:
    """Asterisk's answer marks while the AMI link of a just-started process is not up."""

    async def callback_answered(self, channel_id: str) -> bool | None:
        return None

    async def forget_callback_answer(self, channel_id: str) -> None:
        return None


async def test_a_callback_is_not_dialled_while_its_answer_mark_cannot_be_read(redis, prefix):
    """A process that took a callback back must know whether the citizen was reached
    before it dials: with AMI not able to say yet, it waits instead of guessing."""
    dialled: list[dict] = []

    async def originate(action: dict) -> dict:
        dialled.append(action)
        return {"Response": "Success"}

    acd = process(redis, prefix, "one", originate=originate)
    acd.callbacks.marks = _MarksNotReadable()
    await free_seat(acd)
    caller = Entry(id="live-cb3", kind="live", caller="13800000007",
                   arrived_at=time.time() - DUE, uniqueid="6.1")
    callback = await acd.request_callback(caller, "13800000007")
    assert await acd.dispatcher.run_once() == 1

    async def back_in_line() -> bool:
        return await acd.line.state(callback.id) == "waiting"

    await until(back_in_line, timeout=3, what="the callback back in line")
    assert dialled == []  # not dialled on a guess
    assert (await acd.board.facts(SEAT)).reserved_for == ""

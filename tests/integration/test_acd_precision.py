"""Three rings kept to the letter, through the real stack: a free seat is taken on the
caller's own arrival (no dispatcher pass), a seat is offered only when its phone can ring
and be answered inside the window, and a phone still hanging up is no agent's miss."""

from __future__ import annotations

import asyncio
import time

import pytest
import pytest_asyncio

from testkit import sipp
from testkit.phones import SeatPhones
from tests.integration.acd_support import available, of_caller, until
from tests.support import isolated, running

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def service(cfg, sandbox, redis, tmp_path_factory, request):
    async with running(isolated(cfg, tmp_path_factory, request.node.name[:40])) as svc:
        yield svc


async def test_a_free_seat_rings_on_the_callers_own_arrival_without_the_dispatcher(
        cfg, service, test_env):
    await service.acd.dispatcher.stop()  # nothing but the caller's own request can claim
    async with SeatPhones(["8001"], env=test_env, answer_after=0.3, talk="never") as phones:
        await available(service, "8001")
        started = time.time()
        result = await sipp.call(cfg, cfg.hotline_number, "13915150001", hold_s=1)
        ringing = await phones.wait_for("ringing", seat="8001", after=started,
                                        where=of_caller("13915150001"))
        assert ringing["t"] - started < 1.0
        assert result.answer_ms is not None and result.answer_ms < 3000  # a person, at once
    fast = await service.redis.hgetall(f"{service.cfg.key_prefix}:fast-claims")
    assert sum(int(n) for n in fast.values()) == 1


async def test_a_seat_whose_device_is_still_in_use_is_not_offered_until_asterisk_frees_it(
        cfg, service, test_env):
    async with SeatPhones(["8002"], env=test_env, answer_after=0.3, talk="never") as phones:
        await available(service, "8002")
        # The ACD's own state says free, but Asterisk reports the device busy (e.g. the
        # agent's phone is on a call the ACD did not place).
        await service.acd.board.record_device("8002", "INUSE")
        started = time.time()
        call = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, "13915150002", hold_s=1))
        await asyncio.sleep(3.0)
        assert not phones.events("ringing", seat="8002")
        await service.acd.board.record_device("8002", "NOT_INUSE")
        ringing = await phones.wait_for("ringing", seat="8002", after=started, timeout=5,
                                        where=of_caller("13915150002"))
        assert ringing["t"] - started < 5.0  # rang once free, still inside the window
        assert (await call).answer_ms < 15000


async def mark_just_hung_up(service, seat: str, ended_ago_s: float) -> None:
    """A seat whose last call ended `ended_ago_s` ago and whose device Asterisk reports
    free: the ACD offers it. Its phone is not registered, so Dial gets CHANUNAVAIL."""
    now = time.time()
    await service.acd.board.update(seat, device_state="NOT_INUSE", logged_in=1,
                                   paused_reason="", missed=0, device_free_at=now,
                                   call_ended_at=now - ended_ago_s)


async def test_chanunavail_right_after_a_call_is_not_ready_yet_but_later_it_is_a_miss(
        cfg, service):
    board = service.acd.board
    await mark_just_hung_up(service, "8007", ended_ago_s=0.2)
    caller = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, "13915150003", hold_s=1))

    async def refused():
        log = await service.redis.lrange(f"{service.cfg.key_prefix}:assign-log", 0, -1)
        return [line for line in log if line.startswith("release 8007")]
    await until(refused, timeout=10, what="a CHANUNAVAIL on seat 8007")
    facts = await board.facts("8007")
    assert facts.missed == 0 and not facts.paused_reason  # no miss toward auto-pause
    assert facts.settle_until > time.time() - 1  # tried again only after a short wait
    await caller

    await mark_just_hung_up(service, "8007", ended_ago_s=60)  # long after: the phone is gone
    again = await sipp.call(cfg, cfg.hotline_number, "13915150004", hold_s=1)
    assert again.answer_ms is not None  # the IVR took the caller
    assert (await board.facts("8007")).missed >= 1


async def test_a_seat_freeing_too_late_in_the_window_is_not_offered_and_the_ivr_answers_on_time(
        cfg, service, test_env):
    async with SeatPhones(["8005"], env=test_env, answer_after=0.3, talk=11.0) as phones:
        await available(service, "8005")
        first = asyncio.create_task(
            sipp.call(cfg, cfg.hotline_number, "13915150005", hold_s=30))
        await phones.wait_for("answered", seat="8005", timeout=10)
        started = time.time()
        # The seat frees about 12 s into this caller's window (talk + 1 s wrap-up): less
        # than acd.min_ring_s (4 s) is left before the IVR must answer at 14 s.
        late = await sipp.call(cfg, cfg.hotline_number, "13915150006", hold_s=2)
        freed = phones.events("hangup", seat="8005")
        assert freed and freed[0]["t"] - started > 10.0  # the premise: it freed late
        assert late.answer_ms is not None and 12000 < late.answer_ms < 15000  # the IVR, on time
        ivr_answered = started + late.answer_ms / 1000
        assert not [e for e in phones.events("ringing", seat="8005")
                    if of_caller("13915150006")(e) and e["t"] < ivr_answered]
        await first

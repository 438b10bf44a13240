"""100% follow-up through the real stack: Asterisk calls the citizen, who keys the answer.

Runs on its own Asterisk instance ("followup", its own ports), so other suites'
Asterisk ("test") is never reloaded or stopped by this module.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Iterator

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from hotline.config import Config, load_config
from testkit import sipp
from tests.support import running, slot_instance, slot_port, slot_rtp

pytestmark = pytest.mark.integration

RUN_ID = uuid.uuid4().hex[:8]
FOLLOWUP_ENV = {
    "HOTLINE_INSTANCE": slot_instance("followup"),
    "HOTLINE_AMI_PORT": str(slot_port(21038)),
    "HOTLINE_AGI_PORT": str(slot_port(20573)),
    "HOTLINE_SIP_PORT": str(slot_port(21060)),
    "HOTLINE_TRUNK_PORT": str(slot_port(21070)),
    "HOTLINE_WEB_PORT": str(slot_port(21890)),
    "HOTLINE_RTP_START": str(slot_rtp(15000)[0]),
    "HOTLINE_RTP_END": str(slot_rtp(15000)[1]),
    "HOTLINE_REDIS_URL": "redis://127.0.0.1:6379/0",
    "HOTLINE_FOLLOWUP_INTERVAL_S": "1",
    "HOTLINE_FOLLOWUP_RETRIES": "1",  # two calls in all
    "HOTLINE_FOLLOWUP_BACKOFF_S": "2",
    "HOTLINE_FOLLOWUP_RING_S": "10",
    "HOTLINE_FOLLOWUP_REPLY_WAIT_S": "0",  # visits at once: the reply's call is tested in
    # tests/browser/test_case_life_real_call.py
    "HOTLINE_OUTBOUND_VOICE": "no",
    "HOTLINE_OUTBOUND_NOTIFY_ORDERS": "no",  # the citizen's phone is the only one on the trunk
}
NEAR_WUCHENG = (29.0800, 119.6475)


def followup_config(db_path, prefix: str) -> Config:
    env = {**os.environ, **FOLLOWUP_ENV, "HOTLINE_REDIS_PREFIX": prefix,
           "HOTLINE_DATABASE_URL": f"sqlite:///{db_path}"}
    env.pop("HOTLINE_CONFIG", None)
    return load_config(path=None, env=env)


@pytest.fixture(scope="module")
def followup_sandbox(tmp_path_factory) -> Iterator:
    """This module's own Asterisk instance, up for the module only."""
    from hotline.asterisk import sandbox_for

    cfg = followup_config(tmp_path_factory.mktemp("fu-db") / "unused.sqlite", "unused")
    box = sandbox_for(cfg, log=lambda _m: None)
    box.up()
    yield box
    box.down()


@pytest_asyncio.fixture
async def service(followup_sandbox, tmp_path, request):
    """A fresh hotline per test: own database and Redis keys."""
    prefix = f"hotline-followup-test:{RUN_ID}:{request.node.name[:30]}"
    async with running(followup_config(tmp_path / "cases.sqlite", prefix)) as svc:
        yield svc
    client = Redis.from_url(svc.cfg.redis_url, decode_responses=True)
    async for key in client.scan_iter(match=f"{prefix}:*"):
        await client.delete(key)
    await client.aclose()


async def until(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await asyncio.to_thread(predicate)
        if value:
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def replied_by_department(store, caller: str) -> str:
    case = store.create_case(channel="phone", caller=caller, text="路灯坏了好几天了请修一下",
                             kind="affairs", topic="street_light")
    store.route(case.number)
    store.transition(case.number, "accept", "city_management")
    store.transition(case.number, "reply", "city_management", reply="路灯已修复")
    return case.number


def replied_by_company(store, caller: str) -> str:
    case = store.create_case(channel="phone", caller=caller, text="空调不制冷了请派师傅上门",
                             kind="life", topic="appliance_repair",
                             lat=NEAR_WUCHENG[0], lon=NEAR_WUCHENG[1])
    routed = store.route(case.number)
    assert routed.owner_type == "company"
    store.confirm_contact(case.number, routed.owner)
    store.transition(case.number, "reply", routed.owner, reply="已上门维修")
    return case.number


def followup_notes(store, number: str) -> list[dict]:
    return [e.data for e in store.events(number)
            if e.action == "note" and "followup" in e.data]


def visit(store, number: str) -> dict | None:
    return next((e.data for e in store.events(number) if e.action == "visit"), None)


async def answered(store, number: str) -> dict:
    """The recorded answer; on timeout the message shows what the dialler noted."""
    try:
        return await until(lambda: visit(store, number), what="follow-up answer")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; follow-up notes: {followup_notes(store, number)}") from None


async def test_not_satisfied_citizen_keys_3_and_the_case_is_sent_back(service):
    phone = await sipp.followup_citizen(service.cfg, keys="3")
    try:
        number = await asyncio.to_thread(replied_by_department, service.store, "13955550001")
        answer = await answered(service.store, number)
        result = await phone.finish(60)
    finally:
        await phone.stop()
    assert answer["satisfaction"] == 3
    case = service.store.get_case(number)
    assert (case.status, case.owner, case.sent_back_count) == (
        "assigned", "city_management", 1)
    assert [e.action for e in service.store.events(number)][-2:] == ["visit", "send_back"]
    assert result.returncode == 0, result.stderr[-1500:]
    calls = service.store.calls_for_case(number)
    assert [(c.origin, c.caller) for c in calls] == [("followup", "13955550001")]
    assert service.store.due_followups() == []


async def test_a_wrong_key_repeats_the_question_and_a_satisfied_answer_closes(service,
                                                                            caplog):
    caplog.set_level(logging.INFO, logger="ivr.followup.route")
    # 9 lands during the question, the "press 1, 2 or 3" hint plays, then the question
    # again, during which the citizen keys 1
    phone = await sipp.followup_citizen(service.cfg, keys="91", gap_s=6)
    try:
        number = await asyncio.to_thread(replied_by_department, service.store, "13955550004")
        answer = await answered(service.store, number)
        await phone.finish(60)
    finally:
        await phone.stop()
    assert answer["satisfaction"] == 1
    assert "followup_intro: got '9', not 1/2/3" in caplog.text
    case = service.store.get_case(number)
    assert (case.status, case.sent_back_count) == ("closed", 0)
    assert followup_notes(service.store, number) == [
        {"followup": "attempt", "attempt": 1}]  # one call was enough


async def test_company_case_gets_three_more_questions_and_closes(service):
    phone = await sipp.followup_citizen(service.cfg, keys="2123")
    try:
        number = await asyncio.to_thread(replied_by_company, service.store, "13955550002")
        answer = await answered(service.store, number)
        await phone.finish(60)
    finally:
        await phone.stop()
    assert (answer["satisfaction"], answer["company_time"], answer["company_quality"],
            answer["company_price"]) == (2, 1, 2, 3)
    assert service.store.get_case(number).status == "closed"


async def test_unanswered_followup_is_retried_then_handed_to_an_agent(service):
    # nobody listens on the trunk port: every call fails at once
    number = await asyncio.to_thread(replied_by_department, service.store, "13955550003")

    def handed():
        notes = followup_notes(service.store, number)
        return notes if any(n["followup"] == "handed_over" for n in notes) else None

    notes = await until(handed, timeout=40, what="hand-over to an agent")
    kinds = [n["followup"] for n in notes]
    assert kinds == ["attempt", "unreachable", "attempt", "unreachable", "handed_over"]
    await asyncio.sleep(4)  # well past the backoff: no third call
    assert len(followup_notes(service.store, number)) == len(notes)
    case = service.store.get_case(number)
    assert case.status == "replied"  # the visit still waits, now for an agent
    assert service.store.due_followups() == []  # never dialled again
    assert [f.case_number for f in service.store.agent_followups()] == [number]


async def test_progress_lookup_reads_the_callers_own_case_and_nothing_to_anyone_else(
        service, caplog):
    caplog.set_level(logging.INFO, logger="ivr.progress")
    number = await asyncio.to_thread(replied_by_department, service.store, "13955550031")
    own = await sipp.call(service.cfg, service.cfg.progress_number, "13955550031",
                          keys=f"{number}#", hold_s=60)
    assert own.returncode == 0, own.stderr[-1500:]
    assert f"read case {number} (replied)" in caplog.text
    caplog.clear()
    other = await sipp.call(service.cfg, service.cfg.progress_number, "13955550032",
                            keys=f"{number}#", hold_s=60)
    assert other.returncode == 0, other.stderr[-1500:]
    assert "nothing for the keys given" in caplog.text and "read case" not in caplog.text

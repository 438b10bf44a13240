"""The one intake service every channel calls, on the real store (SQLite and PostgreSQL)
and the real Redis channel wallboards listen on."""
# ruff: noqa: F811  (pytest fixtures imported from case_support are re-bound as arguments)

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from case_store.changes import CaseChanges
from case_store.errors import CaseStoreError
from case_store.intake_service import Intake, IntakeService
from tests.integration.case_support import case_clock, case_db, cases  # noqa: F401

pytestmark = pytest.mark.integration
PIPE = "厨房下水道堵了，请师傅上门疏通"


def test_a_phone_request_keeps_the_kind_the_caller_keyed_and_is_routed_at_once(cases):
    service = IntakeService(cases)
    result = service.take_now(Intake(channel="phone", caller="13800001111", text=PIPE,
                                     kind="complaint", transcript=PIPE,
                                     call_ref="1700000000.1"), "phone-intake")
    case = cases.get_case(result.case.number)
    assert (case.kind, case.topic, case.call_ref) == ("complaint", None, "1700000000.1")
    assert case.status == "assigned"
    assert any(e.actor == "phone-intake" for e in cases.events(case.number))


def test_a_text_without_a_kind_is_tagged_and_a_service_code_is_looked_up(cases):
    service = IntakeService(cases)
    tagged = service.take_now(Intake(channel="sms", caller="13800002222", text=PIPE), "web")
    assert tagged.tags["kind"] == "life" and tagged.case.kind == "life"
    coded = service.take_now(Intake(channel="web", caller="13800003333", text="路面塌了",
                                    topic="road_damage"), "web")
    assert coded.case.topic == "road_damage" and coded.tags == {}
    with pytest.raises(CaseStoreError, match="unknown service_code"):
        service.take_now(Intake(channel="web", caller="13800003333", text="x",
                                topic="no_such_code"), "web")


def test_a_routing_failure_at_intake_keeps_the_case_for_the_routing_worker(cases, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise RuntimeError("department table locked")

    monkeypatch.setattr(cases, "route", refuse)
    result = IntakeService(cases).take_now(
        Intake(channel="web", caller="13800004444", text=PIPE), "web-intake")
    assert cases.get_case(result.case.number).status == "received"


@pytest.mark.parametrize("case_db", ["sqlite"], indirect=True)
async def test_every_new_case_is_announced_to_wallboards(cases):
    redis = Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)
    changes = CaseChanges(redis, "intake-test")
    pubsub = redis.pubsub()
    await pubsub.subscribe(changes.channel)
    try:
        result = await IntakeService(cases, changes=changes).take(
            Intake(channel="terminal", caller="13800005555", text=PIPE, kind="life",
                   elderly=True), "phone-intake")
        notice = None
        for _ in range(50):
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if msg:
                notice = json.loads(msg["data"])
                break
            await asyncio.sleep(0)
        assert notice == {"case": result.case.number, "channel": "terminal", "kind": "life",
                          "owner": result.case.owner, "duplicate": False}
    finally:
        await pubsub.aclose()
        await redis.aclose()

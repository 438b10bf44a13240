"""The outbox reaches Redis Streams and no case is lost when a worker dies mid-routing."""
# ruff: noqa: F811  (pytest fixtures imported from case_support are re-bound as arguments)

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from case_store.streams import GROUP, RoutingWorker, relay_outbox, stream_key
from tests.integration.case_support import (  # noqa: F401
    case_clock,
    case_db,
    cases,
    redis_prefix,
)

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_outbox_is_relayed_once_and_a_worker_routes_and_acknowledges(cases, redis_prefix):
    client, prefix = redis_prefix
    case = cases.create_case(channel="web", caller="13800000021", text="路灯坏了",
                             kind="affairs", topic="street_light")
    assert relay_outbox(cases, client, prefix) == 1
    assert relay_outbox(cases, client, prefix) == 0
    worker = RoutingWorker(cases, client, prefix, consumer="w1")
    assert worker.poll(block_ms=100) == [case.number]
    assert cases.get_case(case.number).status == "assigned"
    assert client.xpending(stream_key(prefix, "routing"), GROUP)["pending"] == 0


def test_worker_killed_mid_routing_does_not_lose_the_case(cases, case_db, redis_prefix):
    client, prefix = redis_prefix
    RoutingWorker(cases, client, prefix, consumer="setup").ensure_group()
    case = cases.create_case(channel="phone", caller="13800000022", text="井盖没了很危险",
                             kind="affairs", topic="road_damage")
    relay_outbox(cases, client, prefix)
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("case_worker_proc.py")), case_db, prefix],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == f"routing {case.number}"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert cases.get_case(case.number).status == "received"
    pending = client.xpending(stream_key(prefix, "routing"), GROUP)
    assert pending["pending"] == 1
    rescuer = RoutingWorker(cases, client, prefix, consumer="rescuer", min_idle_ms=0)
    assert rescuer.poll(block_ms=100) == [case.number]
    assert cases.get_case(case.number).status == "assigned"
    assert client.xpending(stream_key(prefix, "routing"), GROUP)["pending"] == 0


def test_consumers_of_gone_processes_leave_the_group_once_they_own_nothing(cases,
                                                                            redis_prefix):
    """Every restart joins the group under a new name; the dead names are removed, but
    only after what they held was reclaimed."""
    client, prefix = redis_prefix
    key = stream_key(prefix, "routing")
    for n in (1, 2):
        cases.create_case(channel="web", caller=f"1380000003{n}", text="路灯坏了",
                          kind="affairs", topic="street_light")
    relay_outbox(cases, client, prefix)
    idle = RoutingWorker(cases, client, prefix, consumer="restarted-long-ago")
    idle.ensure_group()
    client.xreadgroup(GROUP, "died-mid-routing", {key: ">"}, count=1)  # holds one
    client.xgroup_createconsumer(key, GROUP, "restarted-long-ago")
    live = RoutingWorker(cases, client, prefix, consumer="live")
    assert live.forget_gone_consumers(idle_ms=0) == ["restarted-long-ago"]
    names = {info["name"].decode() for info in client.xinfo_consumers(key, GROUP)}
    assert "died-mid-routing" in names  # it still owns a message: kept

    live.min_idle_ms = 0
    assert len(live.poll(block_ms=100)) == 1  # reclaimed
    assert live.forget_gone_consumers(idle_ms=0) == ["died-mid-routing"]
    assert live.forget_gone_consumers(idle_ms=600_000) == []  # the live one stays

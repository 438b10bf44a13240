"""/metrics on the real app and a real Redis: the ACD's counting functions drive the totals
(two `Acd` objects for two processes, no Asterisk), Prometheus' own parser reads them."""

from __future__ import annotations

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from acd.callbacks import Flight
from acd.engine import Acd, AcdSettings
from acd.stats import day_key, service_level
from tests.integration.web_support import web  # noqa: F401

pytestmark = pytest.mark.integration

SEAT = "8001"


class _Ledger:
    async def save(self, entry, recording: str = "", needs_check: bool = False) -> None:
        pass

    async def update(self, callback_id: str, **fields) -> None:
        pass

    async def pending(self) -> list:
        return []


async def _nothing(*_args, **_fields) -> None:
    return None


async def _refuse(_action: dict) -> dict:
    return {"Response": "Error", "Message": "test: no Asterisk"}


def process(stack, owner: str) -> Acd:
    return Acd(stack.redis, stack.prefix, [SEAT], AcdSettings(), _refuse, _Ledger(),
               _nothing, lease_owner=owner)


async def scrape(stack) -> dict:
    http = stack.client()
    async with http.get("/metrics",
                        headers={"Authorization": f"Bearer {stack.keys['metrics']}"}) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await r.text()
    return {f.name: f for f in text_string_to_metric_families(text)}


def samples(family, name: str, le: float | None = None, **labels: str) -> list:
    return [s for s in family.samples if s.name == name
            and all(s.labels.get(k) == v for k, v in labels.items())
            and (le is None or float(s.labels["le"]) == le)]


def value(family, name: str, le: float | None = None, **labels: str) -> float:
    return sum(s.value for s in samples(family, name, le, **labels))


async def answered(acd: Acd, uniqueid: str, waited: float) -> None:
    arrived = float(int(time.time())) - 400  # whole seconds: the waits are exact
    entry = await acd.arrive(uniqueid, "", "", "trunk", arrived)
    assert await acd.seat_result(entry, SEAT, "ANSWER", 3000, arrived + waited,
                                 arrived + waited + 60)


async def test_counters_and_histograms_parse_and_follow_the_conventions(web):  # noqa: F811
    one, two = process(web, "one"), process(web, "two")
    for i, waited in enumerate((3, 15, 40)):
        await answered((one, two)[i % 2], f"m.{i}", waited)
    gone = await two.arrive("m.9", "", "", "trunk", time.time() - 8)
    await two.give_up(gone, "abandoned")
    two.spool_status = lambda: {"depth": 0, "oldest_s": 0.0}
    await two.publish_stats()  # what a running ACD does every second

    families = await scrape(web)
    kinds = {name: f.type for name, f in families.items()}
    assert kinds["hotline_calls"] == "counter"  # the parser drops _total from the family
    assert kinds["hotline_callbacks"] == "counter"
    assert kinds["hotline_wait_seconds"] == "histogram"
    assert kinds["hotline_callback_delay_seconds"] == "histogram"
    for gauge in ("hotline_seats", "hotline_queue_waiting", "hotline_spool_items",
                  "hotline_ami_up", "hotline_build_info", "hotline_callbacks_overdue"):
        assert kinds.get(gauge) == "gauge", gauge
    for name, family in families.items():
        if family.type == "counter":
            assert all(s.name.endswith(("_total", "_created")) for s in family.samples), name
    calls = families["hotline_calls"]
    assert value(calls, "hotline_calls_total", outcome="answered_in_window") == 2
    assert value(calls, "hotline_calls_total", outcome="answered_late") == 1
    assert value(calls, "hotline_calls_total", outcome="abandoned_waiting") == 1
    assert value(families["hotline_calls_offered"], "hotline_calls_offered_total") == 4
    assert value(families["hotline_ami_up"], "hotline_ami_up") == 0  # no AMI link here
    assert samples(families["hotline_build_info"], "hotline_build_info")[0].labels["version"]

    wait = families["hotline_wait_seconds"]
    for outcome in ("answered", "abandoned_waiting", "callback_requested"):
        buckets = samples(wait, "hotline_wait_seconds_bucket", outcome=outcome)
        bounds = [float(s.labels["le"]) for s in buckets]
        counts = [s.value for s in buckets]
        assert bounds == sorted(bounds) and bounds[-1] == float("inf") and 15.0 in bounds
        assert counts == sorted(counts)  # cumulative
        assert counts[-1] == value(wait, "hotline_wait_seconds_count", outcome=outcome)
    assert value(wait, "hotline_wait_seconds_sum", outcome="answered") == 58
    assert value(wait, "hotline_wait_seconds_bucket", outcome="answered", le=15) == 2
    assert value(wait, "hotline_wait_seconds_bucket", outcome="answered", le=10) == 1

    restarted = process(web, "one")  # a new process: the series go on from where they were
    await answered(restarted, "m.10", 1)
    again = await scrape(web)
    assert value(again["hotline_calls"], "hotline_calls_total",
                 outcome="answered_in_window") == 3
    assert value(again["hotline_wait_seconds"], "hotline_wait_seconds_count") == 5


async def test_the_15_second_bucket_over_the_count_is_the_wallboards_service_level(web):  # noqa: F811
    acd = process(web, "one")
    for i, waited in enumerate((2, 9, 15, 15.5, 31, 70, 14)):
        await answered(acd, f"s.{i}", waited)
    for i, waited in enumerate((4, 25)):  # a short abandon is no call within the window
        gone = await acd.arrive(f"a.{i}", "", "", "trunk", time.time() - waited)
        await acd.give_up(gone, "abandoned")
    caller = await acd.arrive("c.1", "13800000001", "", "trunk", time.time() - 16)
    await acd.give_up(caller, "window")  # the IVR takes it: a callback is owed
    owed = await acd.request_callback(caller, "13800000001")
    # the callback is placed: an agent answers and the citizen is dialled ~16 s after arriving
    acd.callbacks.active["cb.1"] = Flight(owed, SEAT)
    await acd.callbacks._agent_answered("cb.1")

    snapshot = await acd.stats.snapshot({}, [])
    day = await web.redis.hgetall(f"{web.prefix}:stats:day:{day_key(time.time())}")
    wallboard = service_level(day)
    assert snapshot["service_level"] == round(wallboard, 4)
    assert wallboard == pytest.approx(4 / 10)

    wait = (await scrape(web))["hotline_wait_seconds"]
    within = value(wait, "hotline_wait_seconds_bucket", outcome="answered", le=15)
    count = value(wait, "hotline_wait_seconds_count")  # every outcome: the denominator
    assert within / count == pytest.approx(wallboard)

    delay = (await scrape(web))["hotline_callback_delay_seconds"]
    assert value(delay, "hotline_callback_delay_seconds_count") == 1
    assert value(delay, "hotline_callback_delay_seconds_bucket", le=300) == 1
    assert value(delay, "hotline_callback_delay_seconds_bucket", le=30) == 1

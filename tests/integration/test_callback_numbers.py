"""Toll fraud and harassment: the ACD dials only numbers in the callback dial plan.

A real Redis line; the Originate is captured instead of reaching Asterisk, so a test
sees exactly what would be dialled (the dial plan's own classes are in
tests/unit/test_callback_numbers.py; the desk's confirmation in test_web_desk).
"""

from __future__ import annotations

import time
import uuid

import pytest

from acd.callback_numbers import NumberPlan
from acd.engine import Acd, AcdSettings
from acd.line import Entry
from acd.policy import CallbackSlack
from tests.integration.test_acd import until

pytestmark = pytest.mark.integration

SEAT = "8001"


class _Ledger:
    def __init__(self) -> None:
        self.checks: dict[str, bool] = {}

    async def save(self, entry, recording: str = "", needs_check: bool = False) -> None:
        self.checks[entry.id] = needs_check

    async def update(self, callback_id: str, **fields) -> None:
        return None

    async def pending(self) -> list:
        return []


async def _nothing(*_args, **_fields) -> None:
    return None


@pytest.fixture
def dialled() -> list[dict]:
    return []


@pytest.fixture
def acd(redis, cfg, dialled) -> Acd:
    async def originate(action: dict) -> dict:
        dialled.append(action)
        return {"Response": "Success"}

    plan = NumberPlan(terminals=frozenset({"9001"}), daily_limit=3)
    settings = AcdSettings(number_plan=plan, callback_slack=CallbackSlack(reserve_seats=0))
    return Acd(redis, f"{cfg.key_prefix}:numbers:{uuid.uuid4().hex[:6]}", [SEAT], settings,
               originate, _Ledger(), _nothing)


async def _owe(acd: Acd, number: str, caller: str = "13800000001") -> Entry:
    live = Entry(id=f"live-{uuid.uuid4().hex[:6]}", kind="live", caller=caller,
                 arrived_at=time.time(), uniqueid=f"n.{uuid.uuid4().hex[:6]}")
    return await acd.request_callback(live, number)


async def _placed(acd: Acd, dialled: list[dict]) -> list[dict]:
    await acd.board.update(SEAT, logged_in="1", paused_reason="", reserved_for="",
                           device_state="NOT_INUSE", wrapup_until=0)
    if await acd.dispatcher.run_once():
        await until(lambda: _some(dialled), timeout=3, what="the placement")
    return dialled


async def _some(items: list) -> bool:
    return bool(items)


@pytest.mark.parametrize("keyed", ["+12025550123", "0012025550123", "01062345678", "10086",
                                   "110"])
async def test_a_number_outside_the_plan_is_not_dialled_and_waits_for_an_agent(
        acd, dialled, keyed):
    callback = await _owe(acd, keyed)
    assert acd.ledger.checks[callback.id] is True  # needs_check in SQL
    assert await acd.line.size() == 0
    assert await _placed(acd, dialled) == []  # nothing dialled on the trunk


async def test_an_e164_mobile_is_called_back_in_its_national_form(acd, dialled):
    callback = await _owe(acd, "+8613912345678")
    assert callback.callback_number == "13912345678"
    [action] = await _placed(acd, dialled)
    assert (action["Context"], action["Exten"]) == ("callbacks", "13912345678")


async def test_a_local_line_keyed_without_its_area_code_is_dialled_with_it(acd, dialled):
    await _owe(acd, "82345678")
    [action] = await _placed(acd, dialled)
    assert action["Exten"] == "057982345678"


async def test_an_elderly_terminal_is_called_back_on_its_endpoint_not_the_trunk(acd, dialled):
    await _owe(acd, "9001", caller="9001")
    [action] = await _placed(acd, dialled)
    assert (action["Context"], action["Exten"]) == ("callbacks-terminal", "9001")


async def test_past_its_daily_limit_a_number_waits_for_an_agent(acd, dialled):
    owed = [await _owe(acd, "13912340000", caller=f"1380000000{n}") for n in range(4)]
    assert [acd.ledger.checks[c.id] for c in owed] == [False, False, False, True]
    assert await acd.line.size() == 3


async def test_a_request_file_dropped_in_the_spool_without_the_key_is_quarantined(
        redis, cfg, dialled, tmp_path):
    """The safety net's folder must not be a way to make the hotline call any number."""
    import json

    from agi_scripts.spool_signature import sign

    spool = tmp_path / "callbacks"
    spool.mkdir()
    acd = Acd(redis, f"{cfg.key_prefix}:spool:{uuid.uuid4().hex[:6]}", [SEAT], AcdSettings(),
              _never, _Ledger(), _nothing, fallback_spool=spool, fallback_key="the-key")
    request = {"uniqueid": "1.1", "caller": "13912345678", "arrived_at": time.time(),
               "recording": "/r/1.wav", "origin": "trunk", "source": "fallback"}
    (spool / "forged.json").write_text(json.dumps(request))
    (spool / "wrong-key.json").write_text(json.dumps(sign(request, "guessed")))
    (spool / "tampered.json").write_text(json.dumps({**sign(request, "the-key"),
                                                     "caller": "+12025550123"}))
    (spool / "genuine.json").write_text(json.dumps(sign(request, "the-key")))
    await acd._collect_fallback_requests()
    assert sorted(p.name for p in spool.glob("*.bad")) == [
        "forged.bad", "tampered.bad", "wrong-key.bad"]
    assert [p.name for p in spool.glob("*.done")] == ["genuine.done"]
    assert list(acd.ledger.checks) == ["callback-fb-genuine"]


async def _never(_action: dict) -> dict:
    return {"Response": "Error", "Message": "test: not dialled"}


async def test_with_redis_away_the_promise_still_reaches_sql_first(cfg):
    """The daily count lives in Redis; its outage must not keep a callback from being
    durable before the caller is told (the line itself then waits for Redis)."""
    from redis.asyncio import Redis

    gone = Redis(port=1, socket_connect_timeout=0.2)
    ledger = _Ledger()
    acd = Acd(gone, f"{cfg.key_prefix}:gone", [SEAT], AcdSettings(), _never, ledger, _nothing)
    live = Entry(id="live-gone", kind="live", caller="13800000001", arrived_at=time.time(),
                 uniqueid="g.1")
    with pytest.raises(Exception):  # noqa: B017 - whatever Redis raises, after the save
        await acd.request_callback(live, "13912345678")
    assert list(ledger.checks.values()) == [False]  # saved, to be dialled normally
    await gone.aclose()

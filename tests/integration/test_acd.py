"""The ACD through the real stack: SIPp callers, pjsua2 seat phones, Asterisk 22, Redis, SQL."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import pytest_asyncio

from testkit import sipp
from testkit.call_load import double_assignments
from testkit.phones import SeatPhones
from tests.integration.acd_support import available, of_caller, seat_state, until
from tests.support import isolated, running, slot_port

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def service(cfg, sandbox, redis, tmp_path_factory, request):
    """A fresh hotline per test (own Redis keys and database): no callbacks leak across."""
    async with running(isolated(cfg, tmp_path_factory, request.node.name[:40])) as svc:
        yield svc


@pytest_asyncio.fixture
async def citizens(service):
    """SIPp answering behind the trunk, as the citizens' phones for callbacks."""
    async with sipp.citizen_phones(service.cfg) as proc:
        yield proc


def calls_of(service, caller: str):
    return [c for c in service.store.calls(limit=500) if c.caller == caller]


async def test_feature_codes_dialled_on_the_seat_phone_change_the_seat(
        service, test_env):
    async def becomes(state: str, reason: str | None):
        async def there():
            view = await service.acd.board.get("8003")
            return view["state"] == state and view["paused_reason"] == reason
        await until(there, what=f"seat 8003 {state} ({reason})")

    async with SeatPhones(["8003"], env=test_env, talk="never") as phones:
        await available(service, "8003")
        for code, state, reason in [("*2345", "paused", "code45"), ("*24", "available", None),
                                    ("*23", "paused", "break"), ("*24", "available", None),
                                    ("*22", "logged_out", None), ("*21", "available", None)]:
            await phones.dial("8003", code)
            call = phones.events("dialing", seat="8003")[-1]["call"]
            await phones.wait_for("hangup", seat="8003", timeout=10,
                                  where=lambda e, call=call: e["call"] == call)
            await becomes(state, reason)


async def test_free_seat_rings_within_a_second_and_the_caller_reaches_a_person(
        cfg, service, test_env):
    async with SeatPhones(["8001"], env=test_env, answer_after=0.3, talk="never") as phones:
        await available(service, "8001")
        started = time.time()
        result = await sipp.call(cfg, cfg.hotline_number, "13911110001", hold_s=2)
        ringing = await phones.wait_for("ringing", seat="8001", after=started,
                                        where=of_caller("13911110001"))
        answered = await phones.wait_for("answered", seat="8001", after=ringing["t"])
        assert ringing["t"] - started < 1.0
        assert answered["t"] - started < 15.0
        assert result.returncode == 0, result.stderr
        call = (await until(lambda: asyncio.to_thread(calls_of, service, "13911110001"),
                            what="call record"))[0]
        await until(lambda: asyncio.to_thread(
            lambda: service.store.get_call(call.uniqueid).outcome), what="call outcome")
        call = service.store.get_call(call.uniqueid)
        assert call.outcome == "answered_in_window"
        assert call.seat == "8001"
        assert call.rang_ms is not None and call.rang_ms < 2000


async def test_all_seats_busy_ivr_answers_in_time_and_callback_follows(
        cfg, service, test_env, citizens):
    async with SeatPhones(["8003"], env=test_env, answer_after=0.3, talk="never") as phones:
        await available(service, "8003")
        first = asyncio.create_task(
            sipp.call(cfg, cfg.hotline_number, "13922220001", hold_s=22))
        await phones.wait_for("answered", seat="8003", timeout=10)
        await phones.set("8003", talk=2)  # the callback conversation is short
        started = time.time()
        second = await sipp.call(cfg, cfg.hotline_number, "13922220002", hold_s=6)
        assert second.answer_ms is not None and second.answer_ms < 15000, second.stdout[-800:]
        assert second.answer_ms > 12000  # seats were tried first (ringback), then the IVR

        def owed():
            return service.store.callbacks_for_caller("13922220002")
        callbacks = await until(lambda: asyncio.to_thread(owed), what="callback saved")
        assert callbacks[0].status in ("pending", "dialing")
        assert callbacks[0].arrived_at.timestamp() == pytest.approx(started, abs=1.5)

        ring = await phones.wait_for("ringing", seat="8003", timeout=60,
                                     where=of_caller("13922220002"))
        deadline = callbacks[0].due_at.timestamp()
        assert ring["t"] <= deadline

        def done():
            view = service.store.get_callback(callbacks[0].callback_id)
            return view if view.status == "done" else None
        finished = await until(lambda: asyncio.to_thread(done), timeout=40, what="callback done")
        assert finished.outcome == "answered"
        assert finished.seat == "8003"
        placed = [p for p in service.acd.callbacks.placed
                  if p["id"] == callbacks[0].callback_id]
        assert placed and placed[0]["delay_s"] <= service.cfg.acd_callback_deadline_s
        assert (await first).returncode == 0


async def test_elderly_terminal_jumps_the_line(cfg, service, test_env):
    async with SeatPhones(["8004"], env=test_env, answer_after=0.3, talk="never") as phones:
        await available(service, "8004")
        busy = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, "13933330001", hold_s=5))
        ring = await phones.wait_for("ringing", seat="8004", timeout=10,
                                     where=of_caller("13933330001"))
        talking = await phones.wait_for("answered", seat="8004", after=ring["t"])
        normal = asyncio.create_task(
            sipp.call(cfg, cfg.hotline_number, "13933330002", hold_s=2))
        await asyncio.sleep(1.0)
        reply = await service.ami.originate({
            "Channel": f"Local/{cfg.hotline_number}@from-terminal",
            "CallerID": '"elder" <9001>', "Application": "Wait", "Data": "8"})
        assert reply["Response"] == "Success"
        freed_at = (await phones.wait_for("hangup", seat="8004", after=talking["t"],
                                          timeout=15))["t"]
        next_ring = await phones.wait_for("ringing", seat="8004", after=freed_at, timeout=10)
        assert next_ring["caller"] == "9001"  # the elderly caller, though the other came first
        await busy
        await normal


async def test_ivr_takes_the_callback_number_the_caller_keys(cfg, service, test_env):
    """No seat: the IVR answers an elderly terminal, which keys 1 (callback), # (end of the
    recording) and another number to be called back on, as the IVR asks for each."""
    asked: asyncio.Queue[str] = asyncio.Queue()

    def on_event(event: dict) -> None:
        if event.get("Event") == "AGIExecStart" and "PJSIP/9002-" in event.get("Channel", ""):
            asked.put_nowait(event.get("Command", ""))

    service.ami.listeners.append(on_event)
    answers = {"GET DATA hotline/seats_busy": "1", "RECORD FILE": "#",
               "GET DATA hotline/readback_": "1", "GET DATA beep": "13712345678#"}
    async with SeatPhones(["9002"], env=test_env, talk="never") as terminal:
        await terminal.dial("9002", cfg.hotline_number)
        await terminal.wait_for("answered", seat="9002", timeout=20)
        keyed = []
        while "GET DATA beep" not in keyed:
            command = await asyncio.wait_for(asked.get(), 30)
            for prompt, keys in answers.items():
                if command.startswith(prompt):
                    await asyncio.sleep(0.5)  # the prompt has started playing
                    await terminal.dtmf("9002", keys)
                    keyed.append(prompt)
        owed = await until(lambda: service.acd.ledger.pending(), timeout=30,
                           what="callback owed")
        await terminal.wait_for("hangup", seat="9002", timeout=30)  # the IVR said goodbye
    assert [(e.caller, e.callback_number, e.priority) for e in owed] == [
        ("9002", "13712345678", 0)]
    assert keyed[0] == "GET DATA hotline/seats_busy" and "RECORD FILE" in keyed


async def test_seat_that_does_not_answer_is_skipped_inside_the_window(cfg, service, test_env):
    async with SeatPhones(["8005"], env=test_env, answer_after="never") as sleepy:
        await available(service, "8005")
        await asyncio.sleep(1.0)  # 8005 is now the longest idle seat
        async with SeatPhones(["8006"], env=test_env, answer_after=0.3, talk=1) as awake:
            await available(service, "8006")
            started = time.time()
            result = await sipp.call(cfg, cfg.hotline_number, "13944440001", hold_s=3)
            skipped = await sleepy.wait_for("ringing", seat="8005", after=started)
            answered = await awake.wait_for("answered", seat="8006", after=started, timeout=15)
            assert skipped["t"] < answered["t"]
            assert answered["t"] - started < 15.0
            assert result.returncode == 0, result.stderr
            facts = await service.acd.board.facts("8005")
            assert facts.missed == 1


async def test_phone_unregistering_mid_ring_does_not_stall_the_line(cfg, service, test_env):
    async with SeatPhones(["8007"], env=test_env, answer_after="never") as leaving:
        await available(service, "8007")
        await asyncio.sleep(1.0)
        async with SeatPhones(["8008"], env=test_env, answer_after=0.3, talk=1) as staying:
            await available(service, "8008")
            started = time.time()
            call = asyncio.create_task(
                sipp.call(cfg, cfg.hotline_number, "13955550001", hold_s=2))
            await leaving.wait_for("ringing", seat="8007", after=started)
            await leaving.unregister("8007")
            answered = await staying.wait_for("answered", seat="8008", after=started,
                                              timeout=15)
            assert answered["t"] - started < 15.0
            assert (await call).returncode == 0
            await until(lambda: _is(service, "8007", "unavailable"), what="8007 unavailable")


async def _is(service, seat: str, state: str) -> bool:
    return await seat_state(service, seat) == state


async def test_two_acd_processes_never_double_assign_under_a_burst_of_50(
        cfg, service, test_env, citizens, artifacts):
    import subprocess
    import sys

    import aiohttp

    env_b = {**test_env, "HOTLINE_REDIS_PREFIX": service.cfg.key_prefix,
             "HOTLINE_DATABASE_URL": service.cfg.effective_database_url,
             "HOTLINE_AGI_PORT": str(slot_port(14574)),
             "HOTLINE_WEB_PORT": str(slot_port(18891))}
    other = subprocess.Popen([sys.executable, "-m", "hotline.cli", "run"], env=env_b,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async def other_up():
            try:
                async with aiohttp.ClientSession() as http, \
                        http.get(f"http://127.0.0.1:{slot_port(18891)}/healthz") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False
        await until(other_up, timeout=30, what="second ACD process")
        seats = cfg.seats[:10]
        async with SeatPhones(seats, env=test_env, answer_after=0.2, talk=[1, 3],
                              seed=7) as phones:
            await available(service, *seats)
            result = await sipp.call(cfg, cfg.hotline_number, "13977700", hold_s=8,
                                     calls=50, rate=50, timeout_s=240)
            await asyncio.sleep(2)
            events = phones.events()
        (artifacts / "burst-phone-events.json").write_text(json.dumps(events, indent=1))
        # callers hold longer than any agent talks, so the agent hangs up first
        assert result.successful == 50, result.stderr[-2000:]
        # three rings hold under the burst: a person or the IVR answered every caller
        assert max(result.answer_times_ms) < 15000, sorted(result.answer_times_ms)
        log = await service.redis.lrange(f"{service.cfg.key_prefix}:assign-log", 0, -1)
        assert len(log) >= 60  # 50 callers and their callbacks went through claims
        assert double_assignments(log) == []
        claims = await service.redis.hgetall(f"{service.cfg.key_prefix}:claims")
        assert len(claims) == 2 and all(int(n) > 0 for n in claims.values()), claims
        rang = [e for e in events if e["event"] == "ringing"]
        assert len({e["caller"] for e in rang}) >= 30  # most callers reached a person
    finally:
        other.terminate()
        other.wait(timeout=20)


class _Ledger:
    """The SQL side of callbacks, as far as request_callback needs it."""

    def __init__(self) -> None:
        self.saved: list[str] = []

    async def save(self, entry, recording: str = "", needs_check: bool = False) -> None:
        self.saved.append(entry.id)

    async def update(self, callback_id: str, **fields) -> None:
        pass

    async def pending(self) -> list:
        return []


async def test_callback_observers_hear_each_owed_callback_once_it_is_in_line(cfg, redis):
    """Acd.on_callback_requested, the hook `hotline bench acd` counts owed callbacks with."""
    from acd.engine import Acd, AcdSettings
    from acd.line import Entry

    heard: list[tuple[str, str]] = []

    async def observer(callback) -> None:
        heard.append((callback.id, await acd.line.state(callback.id)))

    async def record_call(uniqueid: str, **fields) -> None:
        pass

    async def originate(action: dict) -> dict:
        return {}

    ledger = _Ledger()
    acd = Acd(redis, f"{cfg.key_prefix}:observers", ["8001"], AcdSettings(), originate,
              ledger, record_call, on_callback_requested=[observer])
    entry = Entry(id="live-observed", kind="live", caller="13800138000",
                  arrived_at=time.time(), uniqueid="1700000000.9")
    callback = await acd.request_callback(entry, "13800138000")
    assert heard == [(callback.id, "waiting")]  # saved in SQL and in line before it is heard
    assert ledger.saved == [callback.id]
    quiet = Acd(redis, f"{cfg.key_prefix}:observers", ["8001"], AcdSettings(), originate,
                ledger, record_call)
    assert quiet.on_callback_requested == []
    await quiet.request_callback(entry, "13800138000")
    assert len(heard) == 1 and len(ledger.saved) == 2

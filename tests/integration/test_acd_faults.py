"""Faults a real deployment meets: Asterisk restarting mid-call, Redis restarting empty."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import subprocess
import sys
import time

import pytest
import pytest_asyncio

from acd.line import Entry, new_entry_id
from testkit import sipp
from testkit.phones import SeatPhones
from tests.integration.test_acd import until
from tests.support import isolated, running, slot_port

pytestmark = pytest.mark.integration

PRIVATE_REDIS_PORT = slot_port(16399)


async def owe_callback(service, number: str) -> Entry:
    """A caller who got the IVR and is owed a callback (as the IVR would leave it)."""
    entry = Entry(id=new_entry_id("live"), kind="live", caller=number, arrived_at=time.time(),
                  origin="trunk", uniqueid=f"fault-{number}")
    await service.acd.record_call(entry.uniqueid, caller=number, origin="trunk",
                                  arrived_at=entry.arrived_at)
    return await service.acd.request_callback(entry, number)


def callback_status_in(store, callback_id: str) -> str:
    return store.get_callback(callback_id).status


def callback_status(service, callback_id: str) -> str:
    return callback_status_in(service.store, callback_id)


@pytest_asyncio.fixture
async def private_redis(tmp_path):
    """A Redis of this test's own, so it can be killed and restarted (empty)."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"

    def start():
        return subprocess.Popen([binary, "--port", str(PRIVATE_REDIS_PORT), "--bind",
                                 "127.0.0.1", "--save", "", "--appendonly", "no",
                                 "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    proc = start()
    holder = {"proc": proc, "start": start}
    await asyncio.sleep(0.3)
    yield holder
    holder["proc"].kill()
    holder["proc"].wait()


async def test_redis_restart_loses_no_waiting_callback(cfg, sandbox, test_env, tmp_path_factory,
                                                       private_redis):
    isolated_cfg = dataclasses.replace(
        isolated(cfg, tmp_path_factory, "redis-restart"),
        redis_url=f"redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0")
    async with running(isolated_cfg) as service:
        callback = await owe_callback(service, "13966660001")  # no seat: it waits
        assert await service.acd.line.state(callback.id) == "waiting"

        private_redis["proc"].kill()  # Redis dies and comes back with nothing
        private_redis["proc"].wait()
        private_redis["proc"] = private_redis["start"]()

        async def back_in_line():
            try:
                return await service.acd.line.state(callback.id) == "waiting"
            except Exception:
                return False
        await until(back_in_line, timeout=20, what="callback restored from SQL")
        assert callback_status(service, callback.id) == "pending"

        async with sipp.citizen_phones(isolated_cfg), \
                SeatPhones(["8009"], env=test_env, answer_after=0.3, talk=1):
            await until(lambda: asyncio.to_thread(
                lambda: callback_status(service, callback.id) == "done"),
                timeout=30, what="restored callback placed and answered")


async def test_asterisk_restart_mid_call_loses_no_pending_callback(
        cfg, sandbox, test_env, tmp_path_factory):
    async with running(isolated(cfg, tmp_path_factory, "asterisk-restart")) as service:
        async with SeatPhones(["8010"], env=test_env, answer_after=0.3, talk="never") as phones:
            in_call = asyncio.create_task(
                sipp.call(service.cfg, cfg.hotline_number, "13977770001", hold_s=30,
                          timeout_s=60))
            await phones.wait_for("answered", seat="8010", timeout=10)
            callback = await owe_callback(service, "13977770002")  # waits for the busy seat
            logins = service.ami.logins

            cli = [sys.executable, "-m", "hotline.cli", "asterisk"]
            await asyncio.to_thread(subprocess.run, [*cli, "down"], env=test_env, check=True)
            await asyncio.to_thread(subprocess.run, [*cli, "up"], env=test_env, check=True)
            await asyncio.wait_for(service.ami.connected.wait(), 15)
            assert service.ami.logins == logins + 1
            assert callback_status(service, callback.id) in ("pending", "dialing")

            async with sipp.citizen_phones(service.cfg):  # listening before any dial
                await phones.set("8010", talk=1)
                await phones.register("8010")
                await until(lambda: asyncio.to_thread(
                    lambda: callback_status(service, callback.id) == "done"),
                    timeout=40, what="callback done after the restart")
            in_call.cancel()


def _spooled_since(sandbox, started: float) -> list:
    spool = sandbox.layout.host(sandbox.layout.callback_spool_dir)
    return [p for p in spool.glob("*.*") if p.stat().st_mtime >= started - 1]


async def test_with_redis_down_a_caller_is_recorded_by_the_safety_net_and_called_back_later(
        cfg, sandbox, tmp_path_factory, private_redis):
    """Redis gone: the route cannot put the caller in line and ends without HOTLINE_DONE,
    so the dialplan enters it once more, then the safety net answers and records them;
    once Redis is back the ACD owes them the callback."""
    isolated_cfg = dataclasses.replace(
        isolated(cfg, tmp_path_factory, "redis-down"),
        redis_url=f"redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0")
    started = time.time()
    try:
        async with running(isolated_cfg) as service:
            private_redis["proc"].kill()
            private_redis["proc"].wait()
            result = await sipp.call(isolated_cfg, cfg.hotline_number, "13966660002",
                                     hold_s=8, timeout_s=40)
            assert result.returncode == 0, result.stderr[-1500:]  # answered, not silence
            assert max(result.answer_times_ms) < 15000
            assert _spooled_since(sandbox, started), "the safety net left no request"

            private_redis["proc"] = private_redis["start"]()

            def owed() -> bool:
                return any(v.caller == "13966660002" for v in service.store.pending_callbacks())
            await until(lambda: asyncio.to_thread(owed), timeout=40,
                        what="the safety net's request owed as a callback once Redis is back")

            def filed() -> int:
                return len(service.store.caller_history("13966660002"))
            await until(lambda: asyncio.to_thread(filed), timeout=20, what="its case filed")
            assert await asyncio.to_thread(filed) == 1  # one case, not one per entry
    finally:  # what this test spooled must not ring a later test's seats
        for path in _spooled_since(sandbox, started):
            path.unlink(missing_ok=True)


async def test_kill_9_while_a_seat_rings_loses_no_caller_and_leaves_no_seat_stuck(
        cfg, sandbox, test_env, tmp_path_factory):
    """The seen-on-main fault: `hotline run` killed -9 while a seat rang for a caller. The
    caller is not hung up (the dialplan enters the route again on the restarted process,
    or the safety net records them), the callback is owed and placed, and the dead
    process's seat reservation is reaped so the seat takes that call."""
    from case_store import CaseStore

    db = tmp_path_factory.mktemp("kill9") / "cases.sqlite"
    prefix = f"{cfg.key_prefix}:kill9"
    env = {**test_env, "HOTLINE_REDIS_PREFIX": prefix, "HOTLINE_DATABASE_URL": f"sqlite:///{db}",
           "HOTLINE_ACD_LEASE_S": "3", "HOTLINE_ACD_CALLBACK_DEADLINE_S": "40"}
    seat = "8007"
    started = time.time()

    def hotline_run() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "hotline.cli", "run"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    first = hotline_run()
    second = None
    store = None
    try:
        await until(lambda: _healthy(cfg), timeout=40, what="first hotline process up")
        async with SeatPhones([seat], env=test_env, answer_after="never") as phones, \
                sipp.citizen_phones(cfg):
            await asyncio.sleep(2)  # the ACD sees the seat registered
            caller = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, "13988880001",
                                                   hold_s=10, timeout_s=90))
            await phones.wait_for("ringing", seat=seat, timeout=15)
            first.kill()  # -9, while the seat rings for the caller
            first.wait()
            second = hotline_run()
            result = await caller
            assert result.returncode == 0, result.stderr[-1500:]  # answered, not dropped
            await until(lambda: _healthy(cfg), timeout=40, what="second hotline process up")
            store = CaseStore(f"sqlite:///{db}")

            def owed() -> list:
                return store.callbacks_for_caller("13988880001")
            await until(lambda: asyncio.to_thread(owed), timeout=40, what="callback owed")
            assert len(await asyncio.to_thread(owed)) == 1  # owed once, not twice

            await phones.set(seat, answer_after=0.3, talk=1)
            await until(lambda: asyncio.to_thread(
                lambda: [v.status for v in owed()] == ["done"]), timeout=60,
                what="the callback placed on the seat the dead process had held")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
        if store is not None:
            store.close()
        for path in _spooled_since(sandbox, started):
            path.unlink(missing_ok=True)


async def test_kill_9_while_a_callback_is_connected_never_dials_the_citizen_twice(
        cfg, sandbox, test_env, tmp_path_factory):
    """`hotline run` dies while the agent talks to the citizen it called back, and the
    call ends before anyone hears how. The process that takes the callback back finds
    in Asterisk that this attempt reached the citizen: it closes the callback, rings no
    seat and dials the citizen no second time."""
    from redis.asyncio import Redis

    from acd.engine import Acd, AcdSettings
    from acd.records import SqlCallbackLedger, StoreWriter
    from case_store import CaseStore

    db = tmp_path_factory.mktemp("kill9-cb") / "cases.sqlite"
    prefix = f"{cfg.key_prefix}:kill9cb"
    env = {**test_env, "HOTLINE_REDIS_PREFIX": prefix, "HOTLINE_DATABASE_URL": f"sqlite:///{db}",
           "HOTLINE_ACD_LEASE_S": "3", "HOTLINE_ACD_CALLBACK_RESERVE_SEATS": "0"}
    seat = "8005"

    def hotline_run() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "hotline.cli", "run"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    first, second = hotline_run(), None
    store = CaseStore(f"sqlite:///{db}")
    redis = Redis.from_url(cfg.redis_url, decode_responses=True)
    try:
        await until(lambda: _healthy(cfg), timeout=40, what="first hotline process up")
        owner = Acd(redis, prefix, cfg.seats, AcdSettings(), _no_originate,
                    SqlCallbackLedger(StoreWriter(store)), _no_record)
        async with SeatPhones([seat], env=test_env, answer_after=0.3, talk=4) as phones, \
                sipp.citizen_phones(cfg):
            await asyncio.sleep(2)  # the ACD sees the seat registered
            caller = Entry(id=new_entry_id("live"), kind="live", caller="13955550001",
                           arrived_at=time.time(), origin="trunk", uniqueid="kill9-cb")
            callback = await owner.request_callback(caller, "13955550001")
            await phones.wait_for("answered", seat=seat, timeout=20)
            await asyncio.sleep(1.5)  # the citizen has answered; the two are talking
            first.kill()
            first.wait()
            await phones.wait_for("hangup", seat=seat, timeout=15)  # ends while nobody hears
            second = hotline_run()
            await until(lambda: _healthy(cfg), timeout=40, what="second hotline process up")
            await until(lambda: _line_state_is(owner, callback.id, "done"), timeout=30,
                        what="the callback taken back and closed")
            assert len(phones.events("ringing", seat=seat)) == 1  # no second placement
            assert callback_status_in(store, callback.id) == "done"
            assert (await owner.board.facts(seat)).reserved_for == ""

            async def mark_cleared() -> bool:  # Asterisk's mark is cleared too
                marks = await asyncio.to_thread(
                    subprocess.run, [sys.executable, "-m", "hotline.cli", "asterisk", "cli",
                                     "database show hotline_cb"], env=test_env,
                    capture_output=True, text=True, check=True)
                return callback.id not in marks.stdout

            await until(mark_cleared, timeout=10, what="Asterisk's mark cleared")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
        await redis.aclose()
        store.close()


async def test_a_process_in_the_acd_role_serves_callers_and_no_console(
        cfg, sandbox, test_env, tmp_path_factory):
    """`hotline run --role acd` is the second process of a pair: the dialplan's FastAGI
    and the line work through it, while its web port answers only /healthz."""
    import aiohttp

    db = tmp_path_factory.mktemp("role-acd") / "cases.sqlite"
    env = {**test_env, "HOTLINE_REDIS_PREFIX": f"{cfg.key_prefix}:role-acd",
           "HOTLINE_DATABASE_URL": f"sqlite:///{db}"}
    proc = subprocess.Popen([sys.executable, "-m", "hotline.cli", "run", "--role", "acd"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await until(lambda: _healthy(cfg), timeout=40, what="the acd process up")
        base = f"http://127.0.0.1:{cfg.web_port}"
        async with aiohttp.ClientSession() as http:
            for path in ("/login", "/wallboard", "/metrics"):
                async with http.get(base + path, allow_redirects=False) as reply:
                    assert reply.status == 404, path
        async with SeatPhones(["8004"], env=test_env, answer_after=0.3, talk=1) as phones:
            await asyncio.sleep(2)  # the ACD sees the seat registered
            result = await sipp.call(cfg, cfg.hotline_number, "13933330001", hold_s=2,
                                     timeout_s=40)
            assert result.returncode == 0, result.stderr[-1500:]
            assert phones.events("answered", seat="8004")  # a person, through this process
        assert db.stat().st_mode & 0o777 == 0o600  # personal data: owner only
    finally:
        proc.terminate()
        proc.wait(timeout=20)


async def _no_originate(_action: dict) -> dict:
    return {"Response": "Error", "Message": "test: this Acd only owes callbacks"}


async def _no_record(*_args, **_fields) -> None:
    return None


async def _line_state_is(acd, entry_id: str, state: str) -> bool:
    return await acd.line.state(entry_id) == state


async def _healthy(cfg) -> bool:
    import aiohttp

    try:
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://127.0.0.1:{cfg.web_port}/healthz") as response:
            return (await response.json())["links"]["ami"]
    except (aiohttp.ClientError, ValueError, KeyError):
        return False


async def test_a_seat_whose_call_ended_while_redis_was_away_takes_the_next_call(
        cfg, sandbox, test_env, tmp_path_factory, tmp_path):
    """Redis (with its append-only file) stops while an agent talks and the call ends
    meanwhile: the "idle again" event could not be recorded. Once Redis is back the
    seats are asked from AMI again, so the seat is not left "talking" for good."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"

    def start_redis() -> subprocess.Popen:
        return subprocess.Popen([binary, "--port", str(PRIVATE_REDIS_PORT), "--bind",
                                 "127.0.0.1", "--save", "", "--appendonly", "yes",
                                 "--appendfsync", "always", "--dir", str(tmp_path)],
                                stdout=subprocess.DEVNULL)
    redis_proc = start_redis()
    await asyncio.sleep(0.3)
    aof_cfg = dataclasses.replace(isolated(cfg, tmp_path_factory, "redis-away"),
                                  redis_url=f"redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0")
    try:
        async with running(aof_cfg) as service, \
                SeatPhones(["8002"], env=test_env, answer_after=0.3, talk=4) as phones:
            await until(lambda: _seat_is(service, "8002", "available"), timeout=15,
                        what="seat registered")
            first = asyncio.create_task(sipp.call(aof_cfg, cfg.hotline_number, "13955551111",
                                                  hold_s=20, timeout_s=60))
            await phones.wait_for("answered", seat="8002", timeout=15)
            redis_proc.kill()
            redis_proc.wait()
            await phones.wait_for("hangup", seat="8002", timeout=15)  # ends meanwhile
            await asyncio.sleep(1)
            redis_proc = start_redis()
            await until(lambda: _seat_is_quietly(service, "8002", "available"), timeout=20,
                        what="the seat free again on the board")
            second = await sipp.call(aof_cfg, cfg.hotline_number, "13955552222", hold_s=2,
                                     timeout_s=40)
            assert second.returncode == 0, second.stderr[-1500:]
            assert len(phones.events("answered", seat="8002")) == 2  # a person again
            first.cancel()
    finally:
        redis_proc.kill()
        redis_proc.wait()


async def _seat_is_quietly(service, seat: str, state: str) -> bool:
    try:
        return await _seat_is(service, seat, state)
    except Exception:  # Redis still coming back
        return False


async def test_after_redis_loses_everything_logged_out_and_paused_seats_stay_so(
        cfg, sandbox, tmp_path_factory, private_redis):
    from acd.control import SeatControl

    isolated_cfg = dataclasses.replace(
        isolated(cfg, tmp_path_factory, "seat-facts"),
        redis_url=f"redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0")
    async with running(isolated_cfg) as service:
        control = SeatControl(service.redis, isolated_cfg.key_prefix, isolated_cfg.seats)
        await control.logout("8008")
        await control.pause("8009", "lunch")

        def recorded() -> bool:
            facts = service.store.seat_facts()
            return (facts.get("8008") == (False, "") and facts.get("8009") == (True, "lunch")
                    and facts.get("8001") == (True, ""))  # unchanged seats are recorded too
        await until(lambda: asyncio.to_thread(recorded), timeout=10, what="seat facts in SQL")

        private_redis["proc"].kill()  # Redis dies and comes back with nothing
        private_redis["proc"].wait()
        private_redis["proc"] = private_redis["start"]()

        async def restored():
            try:
                board = await service.acd.board.all()
                return await service.redis.exists(service.acd.epoch_key) and board
            except Exception:
                return False
        board = await until(restored, timeout=20, what="Redis state rebuilt")
        assert board["8008"]["state"] == "logged_out"  # not assumed logged in
        assert board["8009"]["paused_reason"] == "lunch"
        assert board["8001"]["state"] != "logged_out"  # a seat nobody changed stays in


async def test_with_ami_cut_a_caller_is_still_answered_and_the_callback_rings_once_back(
        cfg, sandbox, test_env, tmp_path_factory):
    """AMI gone (cut by a proxy; Asterisk itself stays up): callers still reach a seat or
    the IVR over FastAGI; a callback owed meanwhile waits and is placed once AMI is back."""
    from testkit.cut_proxy import CutProxy

    async with CutProxy(cfg.ami_host, cfg.ami_port) as proxy:
        ami_cfg = dataclasses.replace(isolated(cfg, tmp_path_factory, "ami-cut"),
                                      ami_port=proxy.port)
        async with running(ami_cfg) as service, \
                SeatPhones(["8006"], env=test_env, answer_after=0.3, talk=1) as phones:
            await until(lambda: _seat_is(service, "8006", "available"), timeout=15,
                        what="seat registered")
            proxy.cut()
            await until(lambda: _ami_down(service), timeout=10, what="AMI link down")
            callback = await owe_callback(service, "13944440001")
            result = await sipp.call(ami_cfg, cfg.hotline_number, "13944440002", hold_s=3,
                                     timeout_s=60)
            assert result.returncode == 0, result.stderr[-1500:]  # answered, not silence
            assert max(result.answer_times_ms) < 15000
            assert callback_status(service, callback.id) == "pending"  # waits, not lost

            async with sipp.citizen_phones(ami_cfg):
                proxy.restore()
                await until(lambda: asyncio.to_thread(
                    lambda: callback_status(service, callback.id) == "done"),
                    timeout=60, what="callback placed once AMI is back")
            assert phones.events("answered", seat="8006")


async def test_fastagi_clients_stalled_mid_command_keep_no_caller_from_a_seat(
        cfg, sandbox, test_env, tmp_path_factory):
    """Sessions that go silent after their first line (a hung peer) wait out their own
    command timeout; a real caller meanwhile reaches a person within three rings."""
    from testkit.stalled_agi import stalled_sessions

    async with running(isolated(cfg, tmp_path_factory, "agi-stall")) as service, \
            SeatPhones(["8003"], env=test_env, answer_after=0.3, talk=1) as phones:
        await until(lambda: _seat_is(service, "8003", "available"), timeout=15,
                    what="seat registered")
        async with stalled_sessions(cfg.agi_host, cfg.agi_port, 10):
            await asyncio.sleep(1)
            result = await sipp.call(cfg, cfg.hotline_number, "13922220001", hold_s=2,
                                     timeout_s=40)
            assert result.returncode == 0, result.stderr[-1500:]
            assert max(result.answer_times_ms) < 15000
            assert phones.events("answered", seat="8003")  # a person, not the IVR
            assert service.agi.sessions_total >= 11  # the stalled ones reached the IVR too


async def test_during_an_invite_flood_every_caller_is_answered_by_a_person_or_the_ivr(
        cfg, sandbox, test_env, tmp_path_factory):
    """200 INVITEs at 40/s on two seats (the CI-sized flood; the bench sends 500 in 5 s),
    and callers among them: none meets silence or is dropped unanswered."""
    async with running(isolated(cfg, tmp_path_factory, "flood")) as service, \
            SeatPhones(["8001", "8002"], env=test_env, answer_after=0.3, talk=3), \
            sipp.citizen_phones(cfg):
        await until(lambda: _seat_is(service, "8002", "available"), timeout=15,
                    what="seats registered")
        flood = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, "13799", hold_s=2,
                                              calls=200, rate=40, timeout_s=120))
        callers = []
        for n in range(10):
            callers.append(asyncio.create_task(sipp.call(
                cfg, cfg.hotline_number, f"1391234{n:04d}", hold_s=3, timeout_s=90)))
            await asyncio.sleep(0.5)
        for result in await asyncio.gather(*callers):
            assert result.returncode == 0, result.stderr[-1500:]
            assert len(result.answer_times_ms) == 1  # a 200 OK: a seat or the IVR
        assert (await flood).successful == 200


async def _seat_is(service, seat: str, state: str) -> bool:
    return (await service.acd.board.get(seat))["state"] == state


async def _ami_down(service) -> bool:
    return not service.ami.connected.is_set()

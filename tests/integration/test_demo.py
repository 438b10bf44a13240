"""`hotline demo` end to end against a running hotline: its seat phones register and
answer its citizens' calls, its logins work while it runs, and it leaves nothing
behind (phones unregistered, logins gone) after --once or a SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import pytest
import pytest_asyncio

from case_store.accounts import AccountStore
from testkit.demo import LOGINS, caller_number
from tests.integration.acd_support import until
from tests.support import isolated, running

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SEATS = ("8007", "8008")


@pytest_asyncio.fixture
async def service(cfg, sandbox, redis, tmp_path_factory, request):
    async with running(isolated(cfg, tmp_path_factory, request.node.name[:40])) as svc:
        yield svc


async def start_demo(test_env: dict[str, str], service, *argv: str):
    """`hotline demo` as a newcomer runs it, on the config of this test's hotline."""
    env = {**test_env, "HOTLINE_DATABASE_URL": service.cfg.database_url,
           "HOTLINE_REDIS_PREFIX": service.cfg.redis_prefix,
           "PYTHONPATH": str(ROOT) + os.pathsep + test_env.get("PYTHONPATH", "")}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hotline.cli", "demo", "--seats", ",".join(SEATS), *argv,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def read_until(proc, marker: str, lines: list[str], timeout: float = 60) -> None:
    async def read() -> None:
        assert proc.stdout is not None
        while True:
            raw = await proc.stdout.readline()
            if not raw:
                stderr = (await proc.stderr.read()).decode(errors="replace")
                raise AssertionError(f"demo ended before {marker!r}: {lines}\n{stderr[-3000:]}")
            lines.append(raw.decode().rstrip("\n"))
            if lines[-1].startswith(marker):
                return
    await asyncio.wait_for(read(), timeout)


def printed_logins(lines: list[str]) -> dict[str, tuple[str, str]]:
    """role -> (name, password) from the demo's 'web logins' lines."""
    found = {}
    for line in lines:
        shown = re.match(r"\s+(supervisor|agent)\s+(\S+)\s+(\S+)", line)
        if shown:
            found[shown[1]] = (shown[2], shown[3])
    return found


async def device_state(service, seat: str) -> str:
    return (await service.acd.board.facts(seat)).device_state


async def assert_cleaned_up(service, accounts: AccountStore,
                            logins: dict[str, tuple[str, str]]) -> None:
    for name, password in logins.values():
        assert accounts.authenticate(name, password) is None  # the login is gone
    assert not {u.name for u in accounts.list_users()} & {name for _, name in LOGINS}
    for seat in SEATS:
        async def unregistered(seat=seat):
            return await device_state(service, seat) == "UNAVAILABLE"
        await until(unregistered, timeout=15, what=f"seat {seat} unregistered")


async def test_demo_once_answers_its_calls_on_its_seat_phones_and_cleans_up(
        service, test_env):
    proc = await start_demo(test_env, service, "--once", "--calls", "2", "--talk", "9")
    lines: list[str] = []
    try:
        await read_until(proc, "desk:", lines)
        web = f"http://{service.cfg.web_host}:{service.cfg.web_port}"
        assert any(f"{web}/wallboard" in line for line in lines), lines
        assert any(f"{web}/desk" in line for line in lines), lines
        logins = printed_logins(lines)
        accounts = AccountStore(service.cfg.database_url)
        supervisor = accounts.authenticate(*logins["supervisor"])
        agent = accounts.authenticate(*logins["agent"])
        assert supervisor is not None and supervisor.role == "supervisor"
        assert agent is not None and (agent.role, agent.seat) == ("agent", SEATS[0])
        out, err = await asyncio.wait_for(proc.communicate(), 240)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    story = "\n".join(lines) + out.decode()
    assert proc.returncode == 0, story + err.decode()[-3000:]
    assert "2 of 2 calls answered by the demo's seats" in story

    for index in (1, 2):  # the call records say a demo seat answered each call in time
        number = caller_number(index)

        def answered(number=number):
            calls = [c for c in service.store.calls(limit=100) if c.caller == number]
            return calls if calls and calls[0].outcome else None
        call = (await until(lambda: asyncio.to_thread(answered), timeout=20,
                            what=f"outcome of the call from {number}"))[0]
        assert (call.outcome, call.seat in SEATS) == ("answered_in_window", True), call
        assert f"seat {call.seat} answered" in story
    await assert_cleaned_up(service, accounts, logins)


async def test_demo_on_sigterm_unregisters_its_phones_and_removes_its_logins(
        service, test_env):
    proc = await start_demo(test_env, service, "--calls", "0")
    lines: list[str] = []
    try:
        await read_until(proc, "the seat phones stay on", lines)
        for seat in SEATS:  # registered and logged in while the demo runs
            async def ready(seat=seat):
                facts = await service.acd.board.facts(seat)
                return (facts.device_state, facts.logged_in) == ("NOT_INUSE", True)
            await until(ready, timeout=10, what=f"seat {seat} registered and logged in")
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()[-3000:]
    assert "demo ended" in out.decode()
    await assert_cleaned_up(service, AccountStore(service.cfg.database_url),
                            printed_logins(lines))

"""Seats as data through the real stack: a seat added with `hotline seat add` outside the
configured range is a PJSIP endpoint after `hotline asterisk up`, registers and answers a
call the ACD gives it; 300 imported seats are all rendered. Each test has its own
database; the sandbox is rendered from the session's (the configured range) afterwards."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time

import pytest

from hotline.asterisk import sandbox_for
from testkit import sipp
from testkit.phones import SeatPhones
from tests.integration.acd_support import available, of_caller, until
from tests.support import isolated, running

pytestmark = pytest.mark.integration


def hotline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """The `hotline` command as an operator runs it (this checkout's code)."""
    result = subprocess.run([sys.executable, "-m", "hotline.cli", *args], env=env,
                            capture_output=True, text=True, timeout=300,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                                os.path.abspath(__file__)))))
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def own_db(cfg, sandbox, test_env, tmp_path_factory, request):
    """This test's config and command environment on its own database; the sandbox is
    rendered from the session's database again afterwards."""
    scfg = isolated(cfg, tmp_path_factory, request.node.name[:40])
    yield scfg, {**test_env, "HOTLINE_DATABASE_URL": scfg.database_url}
    sandbox_for(cfg, log=lambda _m: None).up()


def endpoints(sandbox) -> set[str]:
    out = sandbox.rx("pjsip show endpoints").stdout
    return set(re.findall(r"^\s*Endpoint:\s+(\d+)\b", out, flags=re.MULTILINE))


async def test_a_seat_added_outside_the_range_registers_and_answers_a_call(
        own_db, sandbox, test_env):
    scfg, env = own_db
    hotline(env, "seat", "add", "8150", "--name", "新座席")
    hotline(env, "asterisk", "up")
    rendered = await asyncio.to_thread(endpoints, sandbox)
    assert "8150" in rendered and "8001" not in rendered  # the table replaces the range
    async with running(scfg) as service:
        assert service.seats == ["8150"]
        async with SeatPhones(["8150"], env=env, answer_after=0.3, talk="never") as phones:
            await available(service, "8150")
            started = time.time()
            result = await sipp.call(scfg, scfg.hotline_number, "13981500001", hold_s=2)
            ringing = await phones.wait_for("ringing", seat="8150", after=started,
                                            where=of_caller("13981500001"))
            await phones.wait_for("answered", seat="8150", after=ringing["t"])
            assert result.returncode == 0, result.stderr

            def call_seat():
                calls = [c for c in service.store.calls(limit=50) if c.caller == "13981500001"]
                return calls and calls[0].seat

            assert await until(lambda: asyncio.to_thread(call_seat), what="call record") == "8150"


async def test_three_hundred_imported_seats_are_all_rendered_and_served(
        own_db, sandbox, tmp_path):
    scfg, env = own_db
    seats = [str(n) for n in range(20001, 20301)]
    sites = ("city", "yiwu", "dongyang")
    sheet = tmp_path / "seats.csv"
    sheet.write_text("number,name,site\n" + "".join(
        f"{s},座席{s},{sites[i % 3]}\n" for i, s in enumerate(seats)))
    assert '"imported": 300' in hotline(env, "seat", "import", str(sheet)).stdout
    hotline(env, "asterisk", "up")
    rendered = await asyncio.to_thread(endpoints, sandbox)
    assert set(seats) <= rendered
    assert not {s for s in rendered if 8001 <= int(s) <= 8010}
    async with running(scfg) as service:
        assert service.seats == seats
        board = await service.acd.board.all()
        assert set(board) == set(seats)

"""Standard call-centre records from a short seed-load run on the real stack.

SIPp callers arrive (Poisson, then a burst no three seats can carry in three rings, and
one caller who hangs up while waiting) at three pjsua2 seats. Afterwards the hotline's
queue_log is read with a reader that follows app_queue's documented format, as
QueueMetrics or qpanel would: every line parses, every call that entered has an ending,
and the answered, abandoned and callback counts are the hotline's own statistics.
Asterisk's CDR and CEL (SQLite files in its own log folder) hold every call of the run.
Agents' logins and pauses land in the queue_log and in SQL, and the day report adds
them up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio

from acd.control import SeatControl
from case_store.workdays import SHANGHAI
from testkit import sipp
from testkit.bench.acd import callers_leave_requests
from testkit.call_load import poisson_offsets
from testkit.phones import SeatPhones
from testkit.queue_log_reader import ENDINGS, read, totals
from tests.integration.acd_support import available, until
from tests.support import isolated, running

pytestmark = pytest.mark.integration

SEATS = ["8001", "8002", "8003"]
TALK_S = [5.0, 10.0]
# the seed load's occupancy (7 erlang on 10 seats) on 3 seats: 2.1 erlang of ~9 s calls
CALLS_PER_HOUR = 2.1 * 3600 / 9
ABANDONER = "13977000099"


@pytest_asyncio.fixture
async def service(cfg, sandbox, redis, tmp_path_factory, request):
    base = isolated(cfg, tmp_path_factory, request.node.name[:40])
    queue_log = tmp_path_factory.mktemp("qlog") / "queue_log"
    async with running(dataclasses.replace(base, queue_log_path=str(queue_log))) as svc:
        yield svc


def call_plan(rng: random.Random) -> list[tuple[float, str]]:
    """(offset s, caller): three at once fill the seats, the abandoner waits behind them,
    a Poisson stretch at the seed load, then a burst of nine that three seats cannot
    answer within three rings (the IVR takes the rest, who leave a callback)."""
    plan = [(0.0, "13977000001"), (0.2, "13977000002"), (0.4, "13977000003"),
            (1.0, ABANDONER)]
    for n, offset in enumerate(poisson_offsets(8, CALLS_PER_HOUR, rng)):
        plan.append((3.0 + offset, f"139770001{n:02d}"))
    last = plan[-1][0]
    plan += [(last + 1.0 + 0.1 * n, f"139770002{n:02d}") for n in range(9)]
    return plan


async def hang_up_while_waiting(service, caller: str, after_s: float) -> None:
    """The abandoner: their channel (from the arrivals stream) is hung up over AMI."""
    key = f"{service.cfg.key_prefix}:arrivals"
    last = "0-0"
    while True:
        for _, items in await service.redis.xread({key: last}, block=500) or []:
            for entry_id, fields in items:
                last = entry_id
                if fields.get("caller") == caller:
                    await asyncio.sleep(after_s)
                    await service.ami.action({"Action": "Hangup",
                                              "Channel": fields["channel"]})
                    return


def cdr_rows(service, table: str, column: str, ids: set[str]) -> set[str]:
    """Ids among `ids` with a row in Asterisk's CDR or CEL file (opened read-only)."""
    path = service.layout.host(f"{service.layout.log_dir}/{table}.db")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        found = {row[0] for row in db.execute(f"SELECT {column} FROM {table}")}
    return ids & found


async def test_a_seed_load_run_reads_in_the_queue_log_as_the_hotline_counted_it(
        cfg, service, test_env, artifacts, sandbox):
    owed = callers_leave_requests(service, 3.0)  # the IVR's callers leave after 3 s
    plan = call_plan(random.Random(8890))
    async with sipp.citizen_phones(service.cfg), \
            SeatPhones(SEATS, env=test_env, answer_after=0.5, talk=TALK_S,
                       seed=8890) as phones:
        await available(service, *SEATS)
        abandoner = asyncio.create_task(hang_up_while_waiting(service, ABANDONER, 3.0))
        start = time.time() + 0.5

        async def one(offset: float, caller: str) -> None:
            await asyncio.sleep(max(0.0, start + offset - time.time()))
            await sipp.call(cfg, cfg.hotline_number, caller, hold_s=30, timeout_s=90)

        await asyncio.gather(*(one(o, c) for o, c in plan))
        abandoner.cancel()

        async def callbacks_closed():
            return not service.acd.callbacks.active and not await service.acd.ledger.pending()
        await until(callbacks_closed, timeout=150, what="every callback placed and closed")
        await asyncio.sleep(2)  # the last channels hang up; Asterisk writes their CDRs
        assert phones.events("answered")
    await service.queue_log_file.flush()
    stats = await service.acd.publish_stats()

    shutil.copy(service.cfg.queue_log_file, artifacts / "queue_log-seed-load.txt")
    lines = read(service.cfg.queue_log_file)  # every line follows the documented format
    counts = totals(lines, "8890")
    assert counts.entered == len(plan) == stats["offered"]
    assert counts.answered == stats["answered_in_window"] + stats["answered_late"] > 0
    assert counts.abandoned == stats["abandoned_waiting"] >= 1
    assert counts.callbacks_requested == stats["callbacks"]["requested"] == len(owed) >= 1
    assert counts.timed_out >= counts.callbacks_requested  # the IVR took them after 3 rings
    assert counts.events["CALLBACKDONE"] == stats["callbacks"]["done"]
    assert counts.unfinished == ()  # no call left hanging in a report tool's queue
    by_call: dict[str, list] = {}
    for line in lines:
        by_call.setdefault(line.callid, []).append(line)
    entered = {line.callid for line in lines if line.event == "ENTERQUEUE"}
    for callid in entered:
        verbs = [line.event for line in by_call[callid]]
        assert verbs[0] == "ENTERQUEUE"
        assert sum(verb in ENDINGS for verb in verbs) == 1, verbs
        if "CONNECT" in verbs:  # answered: the ending follows the connect, by a seat
            connect = by_call[callid][verbs.index("CONNECT")]
            assert connect.agent in {f"PJSIP/{seat}" for seat in SEATS}
            assert verbs[verbs.index("CONNECT") + 1] in ("COMPLETECALLER", "COMPLETEAGENT")
    abandon = next(line for line in lines if line.event == "ABANDON")
    assert int(abandon.field("waittime")) >= 2
    # the hotline's own SQL call records are the same calls
    recorded = {call.uniqueid for call in await asyncio.to_thread(service.store.calls)}
    assert entered <= recorded

    # Asterisk's own standard records: a CDR and channel events for every call
    async def all_cdrs():
        return cdr_rows(service, "cdr", "uniqueid", entered) == entered
    await until(all_cdrs, timeout=10, what="a CDR row for every call")
    assert cdr_rows(service, "cel", "linkedid", entered) == entered
    # least privilege: Asterisk writes its own files only, hidden from other accounts
    account = sandbox.account()
    for name in ("cdr.db", "cel.db"):
        info = service.layout.host(f"{service.layout.log_dir}/{name}").stat()
        assert info.st_mode & 0o007 == 0
        if account is not None:
            assert info.st_uid == account.uid


async def test_logins_and_pauses_are_kept_as_history_and_add_up_in_the_agents_day(
        cfg, service, test_env):
    control = SeatControl(service.redis, service.cfg.key_prefix, service.cfg.seats,
                          journal=service.seat_journal)
    seat = "8010"

    async def mirrored():  # the first mirror pass journals the seats SQL never saw
        return service.acd.seat_mirror.last is not None and seat in service.acd.seat_mirror.last
    await until(mirrored, timeout=10, what="the seat facts mirrored once")
    await control.apply(seat, "logout")
    await control.apply(seat, "login")
    await control.apply(seat, "login")  # the same feature code from a second process
    await control.apply(seat, "pause", "培训")
    await asyncio.sleep(2.2)
    await control.apply(seat, "resume")
    await control.apply(seat, "logout")
    await service.queue_log_file.flush()

    member = [(line.event, line.data[:1]) for line in read(service.cfg.queue_log_file)
              if line.agent == f"PJSIP/{seat}"]
    assert member[-5:] == [("REMOVEMEMBER", ("",)), ("ADDMEMBER", ("",)),
                           ("PAUSE", ("培训",)), ("UNPAUSE", ("培训",)),
                           ("REMOVEMEMBER", ("",))]

    today = datetime.now(SHANGHAI).date()
    report = await asyncio.to_thread(service.store.agent_day_report, today, 1.0, [seat])
    day = next(row for row in report if row["seat"] == seat)
    assert 2 <= day["paused_s"]["培训"] <= 4
    assert day["paused_s"]["培训"] <= day["logged_in_s"] <= 5

    env = {**test_env, "HOTLINE_DATABASE_URL": service.cfg.database_url}
    out = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "hotline.cli", "report", "agents", "--day",
                         today.isoformat(), "--json"],
        capture_output=True, text=True, env=env, timeout=60,
        cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    cli_day = next(row for row in json.loads(out.stdout)["agents"] if row["seat"] == seat)
    assert cli_day["paused_s"] == day["paused_s"]
    assert os.stat(service.cfg.queue_log_file).st_mode & 0o007 == 0  # not world-readable


async def test_a_seat_paused_for_missed_rings_shows_the_pause_in_both_records(cfg, service):
    seat, board = "8009", service.acd.board
    now = time.time()  # free by Asterisk's word, but no phone answers: CHANUNAVAIL
    await board.update(seat, device_state="NOT_INUSE", logged_in=1, paused_reason="",
                       missed=cfg.acd_pause_after_missed - 1, device_free_at=now,
                       call_ended_at=now - 60)
    await sipp.call(cfg, cfg.hotline_number, "13977000500", hold_s=1)
    assert (await board.facts(seat)).paused_reason == "missed"
    await service.queue_log_file.flush()
    pauses = [line for line in read(service.cfg.queue_log_file)
              if line.agent == f"PJSIP/{seat}" and line.event == "PAUSE"]
    assert [line.data for line in pauses] == [("missed",)]
    today = datetime.now(SHANGHAI).date()

    async def paused_for_missed_in_sql() -> bool:  # the journal writes off the call path
        report = await asyncio.to_thread(service.store.agent_day_report, today, 1.0, [seat])
        return "missed" in next(row for row in report if row["seat"] == seat)["paused_s"]
    await until(paused_for_missed_in_sql, timeout=10, what="the missed-ring pause in SQL")

"""Least privilege on the real Asterisk, Redis and PostgreSQL: what an attacker who got in
would notice."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import stat
import subprocess
import uuid

import psycopg
import pytest
import redis
from panoramisk import Manager
from redis.asyncio import Redis

from acd.ami_link import AmiLink
from case_store.store import CaseStore
from hotline.own_redis import OwnRedis
from testkit.pg import TEST_CONNINFO, schema_url
from tests.integration.test_acd import until
from tests.integration.test_acd_faults import owe_callback
from tests.support import isolated, running, slot_port

pytestmark = pytest.mark.integration

def _asterisk_pid(sandbox) -> int:
    layout = sandbox.layout
    return int(layout.host(f"{layout.run_dir}/asterisk.pid").read_text().strip())


def test_ps_shows_asterisk_running_as_its_own_account_not_root(sandbox):
    pid = _asterisk_pid(sandbox)
    shown = subprocess.run(["ps", "-o", "uid=,user=", "-p", str(pid)], capture_output=True,
                           text=True, check=True).stdout.split()
    assert shown[0] != "0" and shown[1] == "asterisk"
    status = open(f"/proc/{pid}/status", encoding="ascii").read()
    uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
    assert "0" not in uids  # real, effective, saved and filesystem: no way back to root


def test_the_secrets_asterisk_reads_are_hidden_from_every_other_account(sandbox):
    layout = sandbox.layout
    for secret in ("manager.conf", "pjsip.conf"):
        mode = layout.host(f"{layout.conf_dir}/{secret}").stat()
        assert mode.st_uid == 0 and not mode.st_mode & stat.S_IRWXO
        assert not mode.st_mode & stat.S_IWGRP  # Asterisk reads it, cannot change it
    astdb = layout.host(f"{layout.data_dir}/astdb.sqlite3").stat()
    assert astdb.st_uid != 0 and not astdb.st_mode & stat.S_IRWXO


async def _manager(cfg) -> Manager:
    manager = Manager(host=cfg.ami_host, port=cfg.ami_port, username=cfg.ami_user,
                      secret=cfg.ami_secret, ping_delay=0)
    await manager.connect()
    return manager


async def test_the_hotline_ami_user_is_refused_command_and_system(cfg, sandbox):
    manager = await _manager(cfg)
    try:
        reply = await manager.send_action({"Action": "Command", "Command": "core show uptime"})
        assert reply.Response == "Error" and "Permission denied" in reply.Message
        reply = await manager.send_action({"Action": "DBDel", "Family": "hotline_cb",
                                           "Key": "x"})
        assert reply.Response == "Error" and "Permission denied" in reply.Message
        reply = await manager.send_action({
            "Action": "Originate", "Channel": "Local/s@callback-forget/n",
            "Application": "System", "Data": "touch /tmp/owned"})
        assert reply.Response == "Error"
    finally:
        manager.close()


async def test_a_closed_callbacks_mark_is_cleared_through_the_dialplan(cfg, sandbox):
    """The ACD has no DBDel: the mark goes through [callback-forget], and only it."""
    sandbox.rx("database put hotline_cb cb-ca-00ff-1 1")
    sandbox.rx("database put hotline_cb cb-ca-00ff-2 1")
    link = AmiLink(cfg.ami_host, cfg.ami_port, cfg.ami_user, cfg.ami_secret, [], board=None)
    await link.start()
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        assert await link.callback_answered("cb-ca-00ff-1") is True
        await link.forget_callback_answer("cb-ca-00ff-1")

        async def cleared() -> bool:
            marks = await asyncio.to_thread(sandbox.rx, "database show hotline_cb")
            return "cb-ca-00ff-1" not in marks.stdout

        await until(cleared, timeout=10, what="the mark cleared")
        assert await link.callback_answered("cb-ca-00ff-1") is False
        assert "cb-ca-00ff-2" in sandbox.rx("database show hotline_cb").stdout  # only that one
    finally:
        sandbox.rx("database deltree hotline_cb")
        await link.stop()


def test_the_case_store_runs_on_postgresql_as_a_role_without_superuser_rights():
    schema = f"least_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(TEST_CONNINFO, autocommit=True) as conn:
        rights = conn.execute("select rolsuper, rolcreaterole, rolcreatedb from pg_roles "
                              "where rolname = current_user").fetchone()
        assert rights == (False, False, False)
        conn.execute(f'CREATE SCHEMA "{schema}"')
    store = CaseStore(schema_url(schema))
    try:
        store.setup()  # every migration, as that role
        case = store.create_case(channel="phone", caller="13900000000", text="路灯坏了",
                                 kind="affairs", topic="street_light")
        assert store.get_case(case.number).text == "路灯坏了"
    finally:
        store.close()
        with psycopg.connect(TEST_CONNINFO, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def test_the_hotlines_own_redis_refuses_strangers_and_dangerous_commands(
        cfg, sandbox, tmp_path_factory):
    port = slot_port(26390)
    own_cfg = dataclasses.replace(
        isolated(cfg, tmp_path_factory, "own-redis"), redis_port=port,
        redis_url=f"redis://:{cfg.redis_password}@127.0.0.1:{port}/0")
    own = OwnRedis(own_cfg)
    await asyncio.to_thread(own.up)
    try:
        stranger = Redis(host="127.0.0.1", port=port)
        with pytest.raises(redis.AuthenticationError):
            await stranger.ping()
        await stranger.aclose()
        hotline = Redis.from_url(own_cfg.redis_url, decode_responses=True)
        for dangerous in (("FLUSHALL",), ("CONFIG", "SET", "appendonly", "no"),
                          ("ACL", "SETUSER", "intruder", "on", ">pw", "+@all"),
                          ("SHUTDOWN",), ("KEYS", "*")):
            with pytest.raises(redis.exceptions.NoPermissionError):
                await hotline.execute_command(*dangerous)
        assert (await hotline.config_get("appendonly"))["appendonly"] == "yes"
        await hotline.aclose()
        assert "requirepass" not in (own.folder / "redis.conf").read_text()  # only a hash
        assert cfg.redis_password not in (own.folder / "redis.conf").read_text()

        async with running(own_cfg) as service:  # the ACD needs nothing more
            callback = await owe_callback(service, "13966660009")
            assert await service.acd.line.state(callback.id) == "waiting"
    finally:
        await asyncio.to_thread(own.down)
        shutil.rmtree(own.folder, ignore_errors=True)

"""The durable spool: whole items only, in the order written, bounded."""

import json

import pytest

from acd.spool import DurableSpool, SpoolFull


def test_items_come_back_in_the_order_they_were_written(tmp_path):
    spool = DurableSpool(tmp_path / "spool")
    for n in range(5):
        spool.append("call", f"u{n}", {"n": n})
    assert [i.key for i in spool.items()] == ["u0", "u1", "u2", "u3", "u4"]
    assert [i.payload["n"] for i in spool.items()] == [0, 1, 2, 3, 4]
    assert not list((tmp_path / "spool").glob(".*.tmp"))  # no half-written file left


def test_a_full_spool_refuses_instead_of_growing(tmp_path):
    spool = DurableSpool(tmp_path, limit=2)
    spool.append("call", "a", {})
    spool.append("call", "b", {})
    with pytest.raises(SpoolFull):
        spool.append("call", "c", {})
    spool.remove(spool.items()[0])
    spool.append("call", "c", {})
    assert [i.key for i in spool.items()] == ["b", "c"]


def test_an_unreadable_item_is_set_aside_and_the_rest_still_replay(tmp_path):
    spool = DurableSpool(tmp_path)
    spool.append("call", "a", {})
    (tmp_path / "00000000000000000001-1-000000.json").write_bytes(b"\xff{not json")
    (tmp_path / "00000000000000000002-1-000000.json").write_text(json.dumps({"kind": "x"}))
    assert [i.key for i in spool.items()] == ["a"]
    assert len(list(tmp_path.glob("*.bad"))) == 2


def test_the_oldest_items_age_is_the_draining_alarm(tmp_path):
    spool = DurableSpool(tmp_path)
    assert spool.oldest_age_s() == 0.0 and spool.depth() == 0
    spool.append("call", "a", {})
    assert 0 <= spool.oldest_age_s() < 5 and spool.depth() == 1


def test_retention_removes_only_settled_files_past_their_age(tmp_path):
    import os
    import time

    from acd.spool import prune

    old, fresh, waiting = tmp_path / "a.done", tmp_path / "b.done", tmp_path / "c.json"
    for path in (old, fresh, waiting):
        path.write_text("{}")
    long_ago = time.time() - 40 * 86400
    os.utime(old, (long_ago, long_ago))
    os.utime(waiting, (long_ago, long_ago))
    assert prune(tmp_path, ("*.done",), 30 * 86400) == 1
    assert not old.exists() and fresh.exists() and waiting.exists()  # never what is owed


async def test_recordings_past_their_retention_are_deleted_by_the_running_job(tmp_path):
    import asyncio
    import os
    import time

    from acd.spool import prune_forever

    old, fresh = tmp_path / "1764.1.wav", tmp_path / "1765.2.wav"
    for path in (old, fresh):
        path.write_bytes(b"RIFF")
    long_ago = time.time() - 200 * 86400
    os.utime(old, (long_ago, long_ago))
    job = asyncio.create_task(prune_forever(tmp_path, ("*.*",), 180 * 86400, every_s=0.05))
    try:
        for _ in range(100):
            if not old.exists():
                break
            await asyncio.sleep(0.02)
    finally:
        job.cancel()
    assert not old.exists() and fresh.exists()


async def test_two_processes_sharing_a_spool_apply_each_item_once(tmp_path):
    """Two `hotline run` of one instance share the folder: while one replays, the other
    skips the round instead of writing the same items a second time."""
    import asyncio

    first, second = DurableSpool(tmp_path), DurableSpool(tmp_path)
    for key in ("a", "b", "c"):
        first.append("call", key, {})
    applied: list[str] = []
    inside = asyncio.Event()

    async def slow_apply(item) -> None:
        inside.set()
        await asyncio.sleep(0.05)
        applied.append(item.key)

    busy = asyncio.create_task(first.replay(slow_apply, (ConnectionError,)))
    await inside.wait()
    assert await second.replay(slow_apply, (ConnectionError,)) == (0, 0)  # skipped
    assert await busy == (3, 0)
    assert applied == ["a", "b", "c"]
    assert await second.replay(slow_apply, (ConnectionError,)) == (0, 0)  # nothing left

"""The pyst2 safety net: with the FastAGI service down, a caller is still heard."""

import asyncio
import json
import time

import pytest

from agi_scripts import spool_signature
from testkit import sipp

pytestmark = pytest.mark.integration


async def test_caller_is_recorded_and_left_a_callback_when_fastagi_is_down(cfg, sandbox):
    callbacks = sandbox.layout.host(f"{sandbox.layout.spool_dir}/callbacks")
    before = set(callbacks.glob("*.json")) if callbacks.exists() else set()
    started = time.time()
    result = await sipp.call(cfg, cfg.hotline_number, "13811112222", "Fallback", hold_s=12)
    assert result.returncode == 0, result.stderr  # answered (200 OK), not rejected

    def arrived() -> list:  # written once the caller hung up: it may take a moment
        return [p for p in callbacks.glob("*.json") if p not in before]
    for _ in range(50):
        if arrived():
            break
        await asyncio.sleep(0.1)
    new = arrived()
    try:
        assert len(new) == 1
        request = json.loads(new[0].read_text())
        assert request["caller"] == "13811112222"
        assert request["source"] == "fallback"
        assert spool_signature.valid(request, cfg.spool_secret)  # signed by the safety net
        assert request["arrived_at"] >= int(started) - 1
        recording = sandbox.layout.host(request["recording"])
        assert recording.exists()
        for private in (recording, new[0]):  # the caller's voice and number
            assert private.stat().st_mode & 0o007 == 0, private  # nothing for others
    finally:  # no later test's ACD may take this request and ring its seats with it
        for path in new:
            path.unlink(missing_ok=True)

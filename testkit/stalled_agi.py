"""Test aid: FastAGI clients that open a session for a call, then never answer a command
(a hung Asterisk thread or a half-dead peer, as the IVR must survive them)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_ENV = ("agi_network: yes\nagi_network_script: incoming\nagi_channel: PJSIP/stall\n"
        "agi_uniqueid: stall.{n}\nagi_callerid: 1379900{n:04d}\n\n")


@asynccontextmanager
async def stalled_sessions(host: str, port: int, count: int) -> AsyncIterator[int]:
    """`count` sessions on the `incoming` route, silent while the block runs."""
    writers = []
    try:
        for n in range(count):
            _reader, writer = await asyncio.open_connection(host, port)
            writer.write(_ENV.format(n=n).encode())
            await writer.drain()
            writers.append(writer)
        yield count
    finally:
        for writer in writers:
            writer.close()

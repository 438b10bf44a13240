"""Websockets fed by Redis pub/sub: the push path of the wallboard and the agent desk.

Each socket gets its own subscription, so a second web node behind the same Redis
pushes the same updates. The browser only listens; its messages are ignored except
for close. Cross-site sockets are refused by checking Origin against Host.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from hotline.web.context import WEBSOCKETS, ctx

log = logging.getLogger(__name__)
OnMessage = Callable[[str, Any], Awaitable[dict | None]]


def same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser (tests, curl); the session cookie still applies
    return urlsplit(origin).netloc == request.host


async def serve(request: web.Request, channels: list[str], first: dict | None,
                on_message: OnMessage) -> web.WebSocketResponse:
    """Open the socket, send ``first``, then push ``on_message(channel, data)`` results."""
    if not same_origin(request):
        raise web.HTTPForbidden(text="cross-origin websocket refused")
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=4096)
    await ws.prepare(request)
    request.app[WEBSOCKETS].add(ws)
    c = ctx(request)
    pubsub = c.redis.pubsub()
    await pubsub.subscribe(*channels)
    if first is not None:
        await ws.send_str(json.dumps(first, ensure_ascii=False))

    async def pump() -> None:
        while not ws.closed:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if msg is None:
                continue
            try:
                data = json.loads(msg["data"])
            except (TypeError, ValueError):
                continue
            out = await on_message(msg["channel"], data)
            if out is not None and not ws.closed:
                await ws.send_str(json.dumps(out, ensure_ascii=False))

    task = asyncio.create_task(pump())
    try:
        async for msg in ws:
            if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        with contextlib.suppress(Exception):
            await pubsub.unsubscribe()
            await pubsub.aclose()
    return ws

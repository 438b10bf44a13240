"""Websockets fed by Redis pub/sub: the push path of the wallboard and the agent desk.

Each socket gets its own subscription, so a second web node behind the same Redis
pushes the same updates. The browser only listens; its messages are ignored except
for close. Cross-site sockets are refused by checking Origin against Host.

Bounded: at most WS_TOTAL sockets per web process and WS_PER_USER per signed-in user
(one agent's runaway tabs cannot starve the others; a refused socket gets a 429 or 503
and the page falls back to polling).
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

from hotline.web.auth import user_of
from hotline.web.context import WEBSOCKETS, WS_USERS, ctx

log = logging.getLogger(__name__)
WS_TOTAL = 500
WS_PER_USER = 8
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
    open_now = request.app[WEBSOCKETS]
    if len(open_now) >= WS_TOTAL:
        raise web.HTTPServiceUnavailable(text="too many live connections; try again later")
    who = str((user_of(request) or {}).get("name") or request.remote)
    users = request.app[WS_USERS]
    if users[who] >= WS_PER_USER:
        raise web.HTTPTooManyRequests(text=f"at most {WS_PER_USER} live views per user")
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=4096)
    await ws.prepare(request)
    open_now.add(ws)
    users[who] += 1
    try:
        return await _pump(request, ws, channels, first, on_message)
    finally:
        users[who] -= 1
        if users[who] <= 0:
            del users[who]


async def _pump(request: web.Request, ws: web.WebSocketResponse, channels: list[str],
                first: dict | None, on_message: OnMessage) -> web.WebSocketResponse:
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

"""Request bodies: one place that turns bad JSON into a 400 with a message."""

from __future__ import annotations

from typing import Any

from aiohttp import web


async def json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise web.HTTPBadRequest(text="body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return body


async def form_or_json(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        return dict(await request.post())
    return await json_object(request)

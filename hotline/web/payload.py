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


async def form_fields(request: web.Request) -> dict[str, str]:
    """A form body's text fields: the one place forms are parsed, so a body that is not
    valid UTF-8 (or not a form at all) gets a 400 with a message, never a 500."""
    try:
        posted = await request.post()
    except UnicodeDecodeError as exc:
        raise web.HTTPBadRequest(text="the form is not valid UTF-8") from exc
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"the form cannot be read ({exc})") from exc
    return {name: value for name, value in posted.items() if isinstance(value, str)}


async def form_or_json(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        return await form_fields(request)
    return await json_object(request)

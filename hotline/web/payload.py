"""Request bodies: one place that turns bad JSON, forms and uploads into a 400 with a
message."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
    posted = await _posted(request)
    return {name: value for name, value in posted.items() if isinstance(value, str)}


async def upload(request: web.Request, name: str) -> tuple[str, bytes]:
    """The file a multipart form posted as ``name``: its file name and its bytes."""
    item = (await _posted(request)).get(name)
    if not isinstance(item, web.FileField):
        raise web.HTTPBadRequest(text=f"choose a file to upload (form field {name!r})")
    return item.filename, item.file.read()


async def _posted(request: web.Request) -> MultiDictProxy:
    try:
        return await request.post()
    except UnicodeDecodeError as exc:
        raise web.HTTPBadRequest(text="the form is not valid UTF-8") from exc
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"the form cannot be read ({exc})") from exc


def larger_body(limit: int, handler: Handler) -> Handler:
    """The route takes bodies up to ``limit`` bytes (uploads) instead of the app's cap;
    the request is cloned before anything reads its body."""

    @functools.wraps(handler)
    async def roomy(request: web.Request) -> web.StreamResponse:
        return await handler(request.clone(client_max_size=limit))

    return roomy


async def form_or_json(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        return await form_fields(request)
    return await json_object(request)

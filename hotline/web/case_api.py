"""Cases' machine API (CRM): create, read, search. Thin transport over
``hotline.services.cases.CaseService``; API keys of scope ``cases:read`` (reads) or
``cases:write`` (reads and creation); unknown codes and bad filters are a 400 naming
them."""

from __future__ import annotations

from aiohttp import web

from case_store.errors import CaseNotFoundError, CaseStoreError
from hotline.services.cases import CaseService
from hotline.web.auth import require_scope
from hotline.web.context import ctx
from hotline.web.payload import json_object

READ = ("cases:read", "cases:write")
WRITE = ("cases:write",)


async def create(request: web.Request) -> web.Response:
    key = await require_scope(request, *WRITE)
    body = await json_object(request)
    try:
        created = await CaseService(ctx(request)).create(body, key.actor)
    except CaseStoreError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return web.json_response(created, status=201)


async def search(request: web.Request) -> web.Response:
    await require_scope(request, *READ)
    try:
        found = await CaseService(ctx(request)).search(request.query)
    except CaseStoreError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return web.json_response(found)


async def one(request: web.Request) -> web.Response:
    await require_scope(request, *READ)
    try:
        return web.json_response(await CaseService(ctx(request)).get(request.match_info["id"]))
    except CaseNotFoundError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/cases", create)
    app.router.add_get("/api/cases", search)
    app.router.add_get("/api/cases/{id}", one)

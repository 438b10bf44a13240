"""/api/openapi.json: the console's API document, to those who use the API it describes:
the elderly centre's sessions (and admins), and any machine-API key (acd or cases).
Other sessions get 403; a request with neither gets 401."""

from __future__ import annotations

from aiohttp import web

from case_store.accounts import MACHINE_SCOPES
from hotline.web.auth import header_key, require_scope, user_of
from hotline.web.elderly import CENTRE
from hotline.web.openapi import CONSOLE_OPENAPI


async def api_document(request: web.Request) -> web.Response:
    session = user_of(request)
    if session is not None and session["role"] in CENTRE:
        return web.json_response(CONSOLE_OPENAPI)
    if session is not None and not header_key(request):
        raise web.HTTPForbidden(text="your role may not use this page")
    await require_scope(request, *MACHINE_SCOPES)
    return web.json_response(CONSOLE_OPENAPI)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", api_document)

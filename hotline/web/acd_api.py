"""The ACD's machine API (CTI, CRM): seats, the line, callbacks, live figures, the call at
a seat. Thin transport over ``hotline.services.acd.AcdService``, the desk's and the
wallboard's service too; API keys of scope ``acd:read`` (reads) or ``acd:write`` (reads
and actions), 401 without a valid key, 403 for a key of another scope.

Seat actions are those of the phone's feature codes: login, logout, pause with a reason
code (``break`` or ``code<N>``, as *23 and *23N give), unpause. Journaled like the desk's,
so they count in ``hotline report agents``.
"""

from __future__ import annotations

from aiohttp import web

from acd.control import SeatControlError, pause_code
from acd.transfer import TransferError
from hotline.services.acd import AcdService
from hotline.web.auth import require_scope
from hotline.web.context import ctx
from hotline.web.desk_transfer import error_of
from hotline.web.payload import json_object

READ = ("acd:read", "acd:write")
WRITE = ("acd:write",)
ACTIONS = {"login": "login", "logout": "logout", "pause": "pause", "unpause": "resume"}
SEAT = r"{seat:[0-9]{1,20}}"


async def _body(request: web.Request) -> dict:
    """The JSON object posted, or {} for no body at all."""
    return await json_object(request) if request.can_read_body else {}


async def agents(request: web.Request) -> web.Response:
    await require_scope(request, *READ)
    return web.json_response(await AcdService(ctx(request)).agents())


async def agent(request: web.Request) -> web.Response:
    await require_scope(request, *READ)
    row = await AcdService(ctx(request)).agent(request.match_info["seat"])
    if row is None:
        raise web.HTTPNotFound(text="no such seat")
    return web.json_response(row)


async def seat_action(request: web.Request) -> web.Response:
    await require_scope(request, *WRITE)
    seat, verb = request.match_info["seat"], request.match_info["action"]
    acd = AcdService(ctx(request))
    if seat not in ctx(request).seats:
        raise web.HTTPNotFound(text="no such seat")
    body = await _body(request)
    try:
        reason = pause_code(str(body.get("reason") or "")) if verb == "pause" else ""
        state = await acd.seat_action(seat, ACTIONS[verb], reason, tuple(ACTIONS.values()))
    except SeatControlError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return web.json_response({"seat": seat, "action": verb, "state": str(state),
                              "paused_reason": reason or None})


async def queue(request: web.Request) -> web.Response:
    await require_scope(request, *READ)
    return web.json_response(await AcdService(ctx(request)).queue())


async def callbacks(request: web.Request) -> web.Response:
    await require_scope(request, *READ)
    return web.json_response(await AcdService(ctx(request)).callbacks())


async def stats(request: web.Request) -> web.Response:
    await require_scope(request, *READ)
    return web.json_response(await AcdService(ctx(request)).stats())


async def transfer(request: web.Request) -> web.Response:
    key = await require_scope(request, *WRITE)
    body = await json_object(request)
    try:
        result = await AcdService(ctx(request)).transfer(
            request.match_info["seat"], str(body.get("target") or ""), key.actor,
            str(body.get("case_number") or "") or None)
    except TransferError as exc:
        raise error_of(exc) from exc
    return web.json_response(result)


async def hang_up(request: web.Request) -> web.Response:
    await require_scope(request, *WRITE)
    seat = request.match_info["seat"]
    try:
        call = await AcdService(ctx(request)).hang_up(seat)
    except TransferError as exc:
        raise error_of(exc) from exc
    return web.json_response({"seat": seat, "call": call.caller_uniqueid, "hung_up": True})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/acd/agents", agents)
    app.router.add_get(f"/api/acd/agents/{SEAT}", agent)
    app.router.add_post(f"/api/acd/agents/{SEAT}/{{action:login|logout|pause|unpause}}",
                        seat_action)
    app.router.add_get("/api/acd/queue", queue)
    app.router.add_get("/api/acd/callbacks", callbacks)
    app.router.add_get("/api/acd/stats", stats)
    app.router.add_post(f"/api/acd/calls/{SEAT}/transfer", transfer)
    app.router.add_post(f"/api/acd/calls/{SEAT}/hangup", hang_up)

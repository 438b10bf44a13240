"""The supervisors' wallboard: a page, its websocket, and the seat/queue/spy actions.

The page is an empty frame; ``static/wallboard.js`` fills it from the websocket, which
pushes a fresh view whenever the ACD publishes a snapshot on ``<prefix>:stats`` or a
case changes (``<prefix>:cases``). Reads and actions go through
``hotline.services.acd.AcdService``, as the machine API's do.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from acd.alarms import EmergencyAlarms
from acd.control import spy
from hotline.services.acd import AcdService
from hotline.web import live
from hotline.web.auth import require
from hotline.web.context import SESSION, ctx
from hotline.web.html import h
from hotline.web.i18n import Words, lang_of
from hotline.web.payload import form_or_json
from hotline.web.templates import page
from hotline.web.wallboard_view import build_view

ROLES = ("supervisor", "admin")
SEAT_ACTIONS = ("pause", "resume", "login", "logout")
SPY_MODES = ("listen", "whisper", "barge")


@require(*ROLES)
async def wallboard_page(request: web.Request) -> web.Response:
    w = Words(lang_of(request))
    body = h('<div id="wallboard" data-words="{}" data-seat="{}">'
             '<p class="live-state" id="live-state">…</p></div>',
             json.dumps(w.as_dict(), ensure_ascii=False), request[SESSION].get("seat") or "")
    return page(request, w.wallboard, body, scripts=["common.js", "wallboard.js"],
                body_class="wall")


@require(*ROLES)
async def wallboard_ws(request: web.Request) -> web.WebSocketResponse:
    c = ctx(request)
    acd = AcdService(c)
    alarms = EmergencyAlarms(c.redis, c.prefix)
    state = {"snapshot": await acd.snapshot(), "cases": await acd.case_counts(),
             "alarms": await acd.alarms()}
    stats_channel, cases_channel = c.key("stats"), c.key("cases")

    async def on_message(channel: str, data: Any) -> dict | None:
        if channel == stats_channel and isinstance(data, dict):
            state["snapshot"] = data
        elif channel == cases_channel:
            state["cases"] = await acd.case_counts()
        elif channel == alarms.key:
            state["alarms"] = await acd.alarms()
        else:
            return None
        return build_view(state["snapshot"], state["cases"], await acd.waiting(), time.time(),
                          state["alarms"], names)

    names = acd.reason_names(lang_of(request))
    first = build_view(state["snapshot"], state["cases"], await acd.waiting(), time.time(),
                       state["alarms"], names)
    return await live.serve(request, [stats_channel, cases_channel, alarms.key], first,
                            on_message)


@require(*ROLES)
async def wallboard_json(request: web.Request) -> web.Response:
    return web.json_response(await AcdService(ctx(request)).wallboard(lang_of(request)))


@require(*ROLES)
async def acknowledge_alarm(request: web.Request) -> web.Response:
    """A supervisor has seen the emergency: the alarm stops sounding on every wallboard."""
    c, room = ctx(request), request.match_info["room"][:64]
    who = request[SESSION]["name"]
    if not await EmergencyAlarms(c.redis, c.prefix).clear(room, f"acknowledged by {who}"):
        raise web.HTTPNotFound(text="no such alarm (already acknowledged?)")
    return web.json_response({"room": room, "acknowledged_by": who})


@require(*ROLES)
async def seat_action(request: web.Request) -> web.Response:
    seat, action = request.match_info["seat"], request.match_info["action"]
    if action not in SEAT_ACTIONS:
        raise web.HTTPNotFound(text=f"unknown action {action!r}")
    body = await form_or_json(request)
    reason = str(body.get("reason") or f"supervisor {request[SESSION]['name']}")
    try:
        result = await AcdService(ctx(request)).seat_action(seat, action, reason, SEAT_ACTIONS)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return web.json_response({"seat": seat, "action": action, "state": str(result)})


@require(*ROLES)
async def move_up(request: web.Request) -> web.Response:
    entry = request.match_info["entry"][:100]
    moved = await ctx(request).seat_control().move_up(entry)
    if not moved:
        raise web.HTTPNotFound(text="that caller is no longer waiting")
    return web.json_response({"entry": entry, "moved": True})


@require(*ROLES)
async def spy_action(request: web.Request) -> web.Response:
    c = ctx(request)
    body = await form_or_json(request)
    mode = str(body.get("mode", ""))
    target = str(body.get("target", ""))
    own = request[SESSION].get("seat") or str(body.get("from", ""))
    if mode not in SPY_MODES:
        raise web.HTTPBadRequest(text=f"mode must be one of {', '.join(SPY_MODES)}")
    if own not in c.seats or target not in c.seats:  # a seat's call, never any endpoint
        raise web.HTTPBadRequest(text="give the seat to listen to and your own phone's seat")
    if c.ami is None:
        raise web.HTTPServiceUnavailable(text="the AMI link is not connected")
    try:
        reply = await spy(c.ami, own, target, mode)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return web.json_response({"mode": mode, "target": target, "from": own,
                              "response": str(dict(reply).get("Response", "")) if reply
                              else ""})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/wallboard", wallboard_page)
    app.router.add_get("/wallboard/ws", wallboard_ws)
    app.router.add_get("/wallboard.json", wallboard_json)
    app.router.add_post("/wallboard/seat/{seat}/{action}", seat_action)
    app.router.add_post("/wallboard/queue/{entry}/move-up", move_up)
    app.router.add_post("/wallboard/spy", spy_action)
    app.router.add_post("/wallboard/alarms/{room}/ack", acknowledge_alarm)

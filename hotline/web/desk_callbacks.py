"""Callbacks whose number is outside the dial plan: an agent checks, then the ACD dials.

The ACD never dials such a number on its own (`acd.callback_numbers`). The desk lists
them with what the caller said; the agent confirms the number (or types the right one)
and the callback goes in line like any other, its deadline unchanged. Who confirmed
which number is logged.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from acd.callback_numbers import digits_of
from acd.line import WaitingLine
from acd.records import entry_of
from case_store.errors import CaseStoreError
from case_store.views import CallbackView
from case_store.workdays import SHANGHAI
from hotline.web import csrf
from hotline.web.auth import require
from hotline.web.context import SESSION, WebContext, ctx
from hotline.web.html import Safe, h
from hotline.web.i18n import Words
from hotline.web.payload import form_or_json

log = logging.getLogger(__name__)
SHOWN = 20


def check_card(request: web.Request, waiting: list[CallbackView], w: Words) -> Safe:
    """The desk's card of numbers to check, each with its confirm form."""
    rows = [h('<li><b>{caller}</b> · {keyed_w}: <code>{number}</code> · {due_w} {due}'
              '<br><span class="transcript">{said}</span>'
              '<form method="post" action="/desk/callbacks/{id}/confirm">{token}'
              '<input name="number" value="{number}" maxlength="32" required>'
              '<button type="submit">{confirm}</button></form></li>',
              caller=v.caller or "—", keyed_w=w.keyed_number, number=v.callback_number,
              due_w=w.due, due=v.due_at.astimezone(SHANGHAI).strftime("%H:%M"),
              said=(v.transcript or "")[:200],
              id=v.callback_id, token=csrf.field(request), confirm=w.call_back_on)
            for v in waiting[:SHOWN]]
    listing = h("<ul>{}</ul>", Safe("".join(rows))) if rows else h("<p>{}</p>", w.to_check_none)
    return h('<section class="card" id="to-check"><h2>{}</h2>{}</section>', w.to_check, listing)


def waiting_checks(c: WebContext) -> list[CallbackView]:
    return c.store.callbacks_to_check(SHOWN)


@require("agent")
async def list_checks(request: web.Request) -> web.Response:
    waiting = await asyncio.to_thread(waiting_checks, ctx(request))
    return web.json_response([{"id": v.callback_id, "caller": v.caller,
                               "number": v.callback_number, "due_at": v.due_at.isoformat(),
                               "transcript": v.transcript or ""} for v in waiting])


@require("agent")
async def confirm(request: web.Request) -> web.StreamResponse:
    c, callback_id = ctx(request), request.match_info["callback_id"]
    body = await form_or_json(request)
    typed = str(body.get("number") or "")
    verdict = c.number_plan.check(typed)
    number = verdict.number or digits_of(typed)
    if not number:
        raise web.HTTPBadRequest(text="give the number to call back")
    agent = request[SESSION]["name"]
    try:
        view = await asyncio.to_thread(_confirm, c, callback_id, number)
    except CaseStoreError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    await WaitingLine(c.redis, c.prefix).add(entry_of(view))
    log.warning("callback %s: agent %s confirmed number %s (%s)", callback_id, agent, number,
                verdict.kind or "outside the plan")
    if request.content_type == "application/json":
        return web.json_response({"id": callback_id, "number": number, "status": view.status})
    raise web.HTTPSeeOther("/desk#to-check")


def _confirm(c: WebContext, callback_id: str, number: str) -> CallbackView:
    if c.store.get_callback(callback_id).status != "needs_check":
        raise web.HTTPConflict(text="this callback's number is not waiting for a check")
    return c.store.update_callback(callback_id, status="pending", callback_number=number,
                                   outcome="number_confirmed")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/desk/callbacks", list_checks)
    app.router.add_post("/desk/callbacks/{callback_id}/confirm", confirm)

"""Three-way calls (三方通话) from the agent desk: consult a department's duty phone or a
partner company on the live call, then stay on it or leave the two talking.

Targets are named, never typed: ``department:<code>`` or ``company:<code>``, and the
number dialled comes from the store. Only the agent whose seat carries the call (an
agent or a supervisor at a seat) may consult or leave. ``acd.consult`` does the AMI
work; every step (answered or not, the agent left) is a ``consult`` event on the call's
case, and the call record's ``transferred_to`` names the party once the agent left.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from acd.consult import Consults
from acd.handovers import Handovers
from acd.transfer import TransferError
from case_store.errors import CaseStoreError
from hotline.web.auth import require
from hotline.web.case_intake import announce_change
from hotline.web.context import SESSION, WebContext, ctx
from hotline.web.desk_transfer import error_of
from hotline.web.html import Safe, h, join
from hotline.web.i18n import Words
from hotline.web.payload import json_object


@dataclass(frozen=True)
class Target:
    label: str  # "department:city_management", what the case log and the desk show
    name: str
    phone: str
    stay: bool  # the agent stays once answered, unless told otherwise


def consult_targets(c: WebContext) -> list[Target]:
    """Departments' duty phones (agent stays), then partner companies (agent leaves);
    blocking: reads the store."""
    departments = [Target(f"department:{t.code}", t.name, t.phone, True)
                   for t in c.store.duty_phones()]
    companies = [Target(f"company:{t.code}", t.name, t.phone, False)
                 for t in c.store.transfer_targets()]
    return departments + companies


def consult_card(targets: list[Target], w: Words) -> Safe:
    choices = join(h('<option value="{}" data-stay="{}">{} · {} {}</option>', t.label,
                     "1" if t.stay else "0",
                     w.departments if t.stay else w.partners, t.name, t.phone)
                   for t in targets)
    return h('<form id="consult-form" class="card"><h2>{}</h2>'
             '<label>{}<select name="target" id="c-target">{}</select></label>'
             '<label><input type="checkbox" id="c-stay" checked> {}</label>'
             '<div class="buttons"><button type="submit" id="consult">{}</button>'
             '<button type="button" id="consult-leave">{}</button></div>'
             '<p id="consult-result" role="status"></p></form>',
             w.consult, w.consult_with, choices, w.consult_stay, w.consult_start,
             w.consult_leave)


def _target(c: WebContext, name: str) -> Target:
    for t in consult_targets(c):
        if t.label == name:
            return t
    raise web.HTTPBadRequest(text=f"unknown consult target {name[:40]!r}; use "
                                  "department:<code> or company:<code> from the desk's list")


def _label_of(c: WebContext, numbers: tuple[str, ...]) -> str:
    """The target whose number is the one dialled into the room (blocking)."""
    for t in consult_targets(c):
        if c.number_plan.check(t.phone).number in numbers:
            return t.label
    return f"number:{numbers[0]}" if numbers else "unknown"


def _caller(request: web.Request) -> tuple[str, str]:
    """(seat, actor) of the user asking; 403 without a seat: only who is on the call."""
    session = request[SESSION]
    seat = session.get("seat") or ""
    if not seat:
        raise web.HTTPForbidden(text="only the agent on the call may do this; "
                                     "this account has no seat")
    return seat, f"{session['role']}:{session['name']}"


async def _log(c: WebContext, uniqueid: str, actor: str, data: dict[str, Any],
               number: str | None, transferred_to: str | None = None) -> str | None:
    try:
        case = await asyncio.to_thread(c.store.record_consult, uniqueid, by=actor, data=data,
                                       number=number, transferred_to=transferred_to)
    except CaseStoreError as exc:
        raise web.HTTPBadRequest(text=f"done on the call, but not logged: {exc}") from exc
    if case is None:
        return None
    await announce_change(c, case.number, "consult")
    return case.number


def _consults(c: WebContext) -> Consults:
    return Consults(c.ami, c.number_plan, c.hotline_number,
                    handovers=Handovers(c.redis, c.prefix))


@require("agent", "supervisor")
async def consult(request: web.Request) -> web.Response:
    """Ring the target into a room with the caller and the agent; answers once the
    target answered or rang out (the agent is with the caller either way)."""
    c = ctx(request)
    body = await json_object(request)
    seat, actor = _caller(request)
    target = await asyncio.to_thread(_target, c, str(body.get("target") or ""))
    stay = body.get("stay", target.stay)
    if not isinstance(stay, bool):
        raise web.HTTPBadRequest(text="stay must be true or false")
    number = str(body.get("case_number") or "") or None
    consults = _consults(c)
    try:
        done = await consults.start(seat, target.phone, str(body.get("call") or "") or None)
    except TransferError as exc:
        raise error_of(exc) from exc
    uniqueid = done.call.caller_uniqueid
    case = await _log(c, uniqueid, actor, {
        "to": target.label, "phone": target.phone, "stay": stay,
        "step": "answered" if done.answered else "no_answer"}, number)
    left = False
    if done.answered and not stay:
        with contextlib.suppress(TransferError):  # the party hung up at once: agent stays
            await consults.leave(seat, uniqueid)
            left = True
    if left:
        await _log(c, uniqueid, actor, {"to": target.label, "step": "agent_left"}, number,
                   transferred_to=target.label)
    return web.json_response({"target": target.label, "call": uniqueid, "room": done.room,
                              "answered": done.answered, "left": left, "case": case})


@require("agent", "supervisor")
async def leave(request: web.Request) -> web.Response:
    """The agent leaves the room; the caller and the consulted party talk on."""
    c = ctx(request)
    body = await json_object(request)
    seat, actor = _caller(request)
    try:
        left = await _consults(c).leave(seat, str(body.get("call") or "") or None)
    except TransferError as exc:
        raise error_of(exc) from exc
    label = await asyncio.to_thread(_label_of, c, left.numbers)
    case = await _log(c, left.caller_uniqueid, actor, {"to": label, "step": "agent_left"},
                      str(body.get("case_number") or "") or None, transferred_to=label)
    return web.json_response({"target": label, "call": left.caller_uniqueid, "case": case})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/desk/consult", consult)
    app.router.add_post("/desk/consult/leave", leave)

"""Transfer from the agent desk: to another seat, or to a partner company's number.

Targets are named, never typed: ``seat:8002`` (one of the hotline's seats) or
``company:<code>`` (a company in the catalog with a phone), so the desk cannot be used to
dial arbitrary numbers. ``acd.transfer`` does the AMI work; the transfer is then
written on the case's event log (the desk's case, or the case opened for that call).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from acd.transfer import TransferError, Transfers
from case_store.errors import CaseStoreError
from hotline.web.auth import require
from hotline.web.case_intake import announce_change
from hotline.web.context import SESSION, WebContext, ctx
from hotline.web.html import Safe, h, options
from hotline.web.i18n import Words
from hotline.web.payload import json_object


def transfer_choices(c: WebContext, own_seat: str, w: Words) -> list[tuple[str, str]]:
    """(value, label) of every target this agent may pick (blocking: reads companies)."""
    seats = [(f"seat:{s}", f"{w.seat} {s}") for s in c.seats if s != own_seat]
    companies = [(f"company:{t.code}", f"{w.partners} · {t.name} {t.phone}")
                 for t in c.store.transfer_targets()]
    return seats + companies


def transfer_card(choices: list[tuple[str, str]], w: Words) -> Safe:
    return h('<form id="transfer-form" class="card"><h2>{}</h2>'
             '<label>{}<select name="target" id="t-target">{}</select></label>'
             '<div class="buttons"><button type="submit" id="transfer">{}</button></div>'
             '<p id="transfer-result" role="status"></p></form>',
             w.transfer, w.transfer_to, options(choices, None), w.transfer)


def _parse(c: WebContext, target: str) -> tuple[str, str, str]:
    """('seat', seat, label) or ('number', digits, label); HTTPBadRequest otherwise."""
    kind, _, value = target.partition(":")
    if kind == "seat" and value in c.seats:
        return "seat", value, f"seat:{value}"
    if kind == "company":
        for t in c.store.transfer_targets():
            if t.code == value:
                return "number", t.digits, f"company:{t.code} {t.phone}"
    raise web.HTTPBadRequest(text=f"unknown transfer target {target[:40]!r}; "
                                  "use seat:<seat> or company:<code> from the desk's list")


@require("agent")
async def transfer(request: web.Request) -> web.Response:
    c = ctx(request)
    body = await json_object(request)
    seat = request[SESSION].get("seat") or ""
    agent = f"agent:{request[SESSION]['name']}"
    if not seat:
        raise web.HTTPBadRequest(text="this account has no seat; ask an admin to tie one")
    kind, value, label = await asyncio.to_thread(_parse, c, str(body.get("target") or ""))
    transfers = Transfers(c.ami, c.redis, c.prefix, c.seats)
    try:
        if kind == "seat":
            call = await transfers.to_seat(seat, value)
        else:
            call = await transfers.to_number(seat, value)
    except TransferError as exc:
        raise error_of(exc) from exc
    number = str(body.get("case_number") or "") or None
    try:
        case = await asyncio.to_thread(c.store.record_transfer, call.caller_uniqueid,
                                       by=agent, to=label, number=number)
    except CaseStoreError as exc:
        raise web.HTTPBadRequest(text=f"transferred, but not logged: {exc}") from exc
    if case is not None:
        await announce_change(c, case.number, "transfer")
    result: dict[str, Any] = {"target": label, "call": call.caller_uniqueid,
                              "case": case.number if case else None}
    return web.json_response(result)


def error_of(exc: TransferError) -> web.HTTPException:
    """The HTTP error a transfer's or a consult's refusal is answered with."""
    classes = {400: web.HTTPBadRequest, 403: web.HTTPForbidden, 409: web.HTTPConflict,
               502: web.HTTPBadGateway, 503: web.HTTPServiceUnavailable}
    return classes.get(exc.status, web.HTTPConflict)(text=str(exc))


def add_routes(app: web.Application) -> None:
    app.router.add_post("/desk/transfer", transfer)

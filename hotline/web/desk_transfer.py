"""Transfer from the agent desk: to another seat, or to a partner company's number.

Targets are named, never typed: ``seat:8002`` (one of the hotline's seats) or
``company:<code>`` (a company in the catalog with a phone), so the desk cannot be used to
dial arbitrary numbers. ``hotline.services.acd.AcdService.transfer`` (the machine API's
too) has ``acd.transfer`` do the AMI work and writes the transfer on the case's event
log (the desk's case, or the case opened for that call).
"""

from __future__ import annotations

from aiohttp import web

from acd.transfer import TransferError
from hotline.services.acd import AcdService
from hotline.web.auth import require
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


@require("agent")
async def transfer(request: web.Request) -> web.Response:
    body = await json_object(request)
    seat = request[SESSION].get("seat") or ""
    if not seat:
        raise web.HTTPBadRequest(text="this account has no seat; ask an admin to tie one")
    try:
        result = await AcdService(ctx(request)).transfer(
            seat, str(body.get("target") or ""), f"agent:{request[SESSION]['name']}",
            str(body.get("case_number") or "") or None)
    except TransferError as exc:
        raise error_of(exc) from exc
    return web.json_response(result)


def error_of(exc: TransferError) -> web.HTTPException:
    """The HTTP error a transfer's or a consult's refusal is answered with."""
    classes = {400: web.HTTPBadRequest, 403: web.HTTPForbidden, 404: web.HTTPNotFound,
               409: web.HTTPConflict,
               502: web.HTTPBadGateway, 503: web.HTTPServiceUnavailable}
    return classes.get(exc.status, web.HTTPConflict)(text=str(exc))


def add_routes(app: web.Application) -> None:
    app.router.add_post("/desk/transfer", transfer)

"""The leader's portal (领导批办): the cases supervisors marked for them, those still
waiting for an instruction first; each case page carries the instruction form."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hotline.web.auth import require
from hotline.web.context import SESSION, ctx
from hotline.web.html import h
from hotline.web.i18n import Words, lang_of
from hotline.web.portals import case_table
from hotline.web.templates import page


@require("leader")
async def leader_portal(request: web.Request) -> web.Response:
    c, w = ctx(request), Words(lang_of(request))
    cases = await asyncio.to_thread(c.store.marked_for, request[SESSION]["name"])
    waiting = [x for x in cases if x.leader_instructed_at is None]
    done = [x for x in cases if x.leader_instructed_at is not None]
    body = h('<h1>{}</h1><h2>{}</h2><div id="waiting">{}</div><h2>{}</h2>'
             '<div id="instructed">{}</div>', w.leader_portal, w.leader_waiting,
             case_table(request, waiting, w), w.leader_done, case_table(request, done, w))
    return page(request, w.leader_portal, body)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/leader", leader_portal)

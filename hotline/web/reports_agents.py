"""The agents' day page for supervisors: per seat, time logged in, paused by reason,
talking, in wrap-up, and calls answered (case_store.agent_report), for ``?day=YYYY-MM-DD``
(today in Asia/Shanghai by default). Agents' working time is staff data: supervisors
and admins only, no department or agent sees another agent's day.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from aiohttp import web

from case_store.workdays import SHANGHAI
from hotline.web.auth import require
from hotline.web.context import ctx
from hotline.web.html import h, table
from hotline.web.i18n import Words, lang_of
from hotline.web.pause_reasons import namer
from hotline.web.templates import page

ROLES = ("supervisor", "admin")


def day_of(request: web.Request) -> date:
    raw = request.query.get("day", "")
    try:
        return date.fromisoformat(raw) if raw else datetime.now(SHANGHAI).date()
    except ValueError as exc:
        raise web.HTTPBadRequest(text="give day=YYYY-MM-DD") from exc


def hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@require(*ROLES)
async def agents_page(request: web.Request) -> web.Response:
    w = Words(lang_of(request))
    day = day_of(request)
    context = ctx(request)
    name = namer(context.pause_names, lang_of(request))
    rows = await asyncio.to_thread(context.store.agent_day_report, day, context.wrapup_s,
                                   list(context.seats))
    body = table(
        [w.agents_seat, w.agents_logged_in, w.agents_paused, w.agents_talking,
         w.agents_wrapup, w.agents_calls, w.agents_paused_by_reason],
        [[r["seat"], hms(r["logged_in_s"]), hms(r["paused_total_s"]), hms(r["talking_s"]),
          hms(r["wrapup_s"]), r["calls"],
          ", ".join(f"{name(k)} {hms(v)}" for k, v in r["paused_s"].items()) or "-"]
         for r in rows])
    title = h("{} {}", w.agents_title, day.isoformat())
    form = h('<form method="get" action="{}" class="card period no-print">'
             '<label>{}<input type="date" name="day" value="{}"></label>'
             '<button type="submit" id="show-day">{}</button></form>',
             request.path, w.agents_day, day.isoformat(), w.report_show)
    return page(request, title, h('<h1>{}</h1>{}<div id="agents">{}</div>', title, form,
                                  body), body_class="report")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/reports/agents", agents_page)

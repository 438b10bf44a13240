"""Public operational pages: /healthz (JSON) and the status page at /.

Both show only operational facts (links up or down, seats by state), no citizen data.
"""

from __future__ import annotations

from aiohttp import web

from hotline.web.context import ctx
from hotline.web.html import h, join
from hotline.web.i18n import Words, lang_of
from hotline.web.templates import page


async def healthz(request: web.Request) -> web.Response:
    report = await ctx(request).health()
    return web.json_response(report, status=200 if report["ok"] else 503)


async def status_page(request: web.Request) -> web.Response:
    w = Words(lang_of(request))
    report = await ctx(request).health()
    rows = join(h("<tr><td>{}</td><td>{}</td></tr>", seat, w.seat_state(entry.get("state")))
                for seat, entry in sorted(report.get("seats", {}).items()))
    links = join(h("<li>{}: {}</li>", name, w.up if up else w.down)
                 for name, up in report["links"].items())
    body = h("<h1>8890 热线 — {}</h1><h2>{}</h2><ul>{}</ul>"
             "<table class=grid><tr><th>{}</th><th>{}</th></tr>{}</table>"
             '<p><a href="/report">{}</a></p>',
             w.all_ok if report["ok"] else w.degraded, w.links, links, w.seat, w.state, rows,
             w.report)
    return page(request, w.status, body)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", status_page)

"""The aiohttp web console. For now: a health endpoint and a status page.

Both show only operational facts (links up or down, seats by state), no citizen
data, so they are safe before accounts and roles land (web console issue).
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from aiohttp import web

HealthSource = Callable[[], Awaitable[dict]]


def create_app(health: HealthSource) -> web.Application:
    app = web.Application(client_max_size=256 * 1024)

    async def healthz(_request: web.Request) -> web.Response:
        report = await health()
        return web.json_response(report, status=200 if report["ok"] else 503)

    async def status_page(_request: web.Request) -> web.Response:
        report = await health()
        rows = "".join(
            f"<tr><td>{html.escape(seat)}</td><td>{html.escape(entry['state'])}</td></tr>"
            for seat, entry in sorted(report.get("seats", {}).items())
        )
        links = "".join(
            f"<li>{html.escape(name)}: {'正常' if up else '断开'}</li>"
            for name, up in report["links"].items()
        )
        body = (
            "<!doctype html><html lang=zh><meta charset=utf-8>"
            "<title>8890 热线状态</title>"
            "<style>body{font-family:sans-serif;margin:2em}td{padding:.2em 1em}</style>"
            f"<h1>8890 热线 — {'运行正常' if report['ok'] else '部分故障'}</h1>"
            f"<ul>{links}</ul><table><tr><th>座席</th><th>状态</th></tr>{rows}</table>"
        )
        return web.Response(text=body, content_type="text/html")

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", status_page)
    return app

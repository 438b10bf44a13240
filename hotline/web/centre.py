"""The elderly centre's page: open emergencies first, then the day's figures, the
terminals that are offline, and the day's report as CSV.

The emergencies are the cases the centre owns (kind emergency, on a clock of minutes:
acknowledge within 5, resolve within 60), each linking to its case page, where the
centre acknowledges, sends the community worker, notes a 120 call and closes it. The
key figure is the time from a terminal's call to the first human voice (a seat, a
family member or an agent in the emergency room), p50 and p99.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from acd.alarms import EmergencyAlarms
from acd.first_voice import FirstVoice
from acd.percentile import percentile
from acd.terminal_presence import TerminalPresence
from case_store.routing import EMERGENCY_DEPT
from case_store.views import CaseView
from case_store.workdays import SHANGHAI
from hotline.web.auth import require
from hotline.web.context import WebContext, ctx
from hotline.web.html import h, table
from hotline.web.i18n import Words, lang_of
from hotline.web.portals import case_table
from hotline.web.templates import page

ROLES = ("elderly_centre", "supervisor", "admin")


def _day(request: web.Request) -> str:
    raw = request.query.get("day", "")
    try:
        return date.fromisoformat(raw).isoformat() if raw else \
            datetime.now(SHANGHAI).date().isoformat()
    except ValueError as exc:
        raise web.HTTPBadRequest(text="day must be YYYY-MM-DD") from exc


def _span(day: str) -> tuple[datetime, datetime]:
    """The Shanghai day as [start, end) instants."""
    start = datetime.fromisoformat(day).replace(tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


async def _emergencies(c: WebContext, day: str) -> list[CaseView]:
    """The emergencies received on the day, open or not."""
    return await asyncio.to_thread(c.store.owned_cases, "person", EMERGENCY_DEPT,
                                   open_only=False, received=_span(day))


async def _checkins(c: WebContext, day: str) -> tuple[int, int]:
    """(answered, escalated) check-ins of the day, from the dialler's records."""
    answered = escalated = 0
    async for key in c.redis.scan_iter(match=f"{c.prefix}:checkin:*:{day} *", count=500):
        fields = await c.redis.hmget(key, "answered", "escalated")
        answered += fields[0] == "1"
        escalated += fields[1] == "1"
    return answered, escalated


async def day_figures(c: WebContext, day: str) -> dict[str, Any]:
    """What the centre reports for one day (Shanghai date)."""
    made = await _emergencies(c, day)
    voices = await FirstVoice(c.redis, c.prefix).of_day(day)
    waits = [v["waited_s"] for v in voices]
    answered, escalated = await _checkins(c, day)
    care_open = await asyncio.to_thread(c.store.open_count, channel="terminal", kind="life")
    return {
        "day": day, "terminal_calls_answered": len(voices),
        "first_voice_p50_s": percentile(waits, 0.5), "first_voice_p99_s": percentile(waits, 0.99),
        "first_voice_max_s": max(waits) if waits else None,
        "first_voice_by": {via: sum(1 for v in voices if v["via"] == via)
                           for via in ("seat", "contact", "agent")},
        "emergencies": len(made), "emergencies_open": sum(1 for x in made if x.status
                                                         in ("assigned", "accepted",
                                                             "in_progress")),
        "checkins_answered": answered, "checkins_escalated": escalated,
        "care_cases_open": care_open,
    }


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


@require(*ROLES)
async def centre_page(request: web.Request) -> web.Response:
    c, w = ctx(request), Words(lang_of(request))
    day = _day(request)
    cases = await asyncio.to_thread(c.store.owned_cases, "person", EMERGENCY_DEPT)
    figures = await day_figures(c, day)
    terminals = await asyncio.to_thread(c.elderly.terminals) if c.elderly else []
    alarms = await EmergencyAlarms(c.redis, c.prefix).open()
    presence = TerminalPresence(c.redis, c.prefix, {*c.number_plan.terminals, *terminals})
    now = time.time()
    offline_rows = [[terminal, _for(now - since, w)] for terminal, since in
                    await presence.offline()]
    by = figures["first_voice_by"]
    rows = [
        [w.centre_today, str(figures["emergencies"])],
        [w.centre_unacknowledged, str(sum(1 for x in cases if x.status == "assigned"))],
        [w.centre_first_voice, f"p50 {_seconds(figures['first_voice_p50_s'])} · "
                               f"p99 {_seconds(figures['first_voice_p99_s'])} · "
                               f"max {_seconds(figures['first_voice_max_s'])}"],
        [w.centre_first_voice_by, f"{w.seat} {by['seat']} · {w.centre_contact} "
                                  f"{by['contact']} · {w.centre_agent} {by['agent']}"],
        [w.centre_checkins, f"{figures['checkins_answered']} / "
                            f"{figures['checkins_escalated']}"],
        [w.centre_care_open, str(figures["care_cases_open"])],
        [w.centre_alarms, str(len(alarms))], [w.centre_terminals, str(len(terminals))]]
    body = h('<h1>{}</h1><h2>{}</h2><div id="cases">{}</div><h2>{} {}</h2>'
             '<div id="figures">{}</div><p><a href="/centre/report.csv?day={}" id="report">{}'
             '</a></p><h2>{}</h2><div id="offline">{}</div>', w.centre_portal, w.centre_open,
             case_table(request, cases, w), w.centre_figures, day,
             table([w.centre_figure, ""], rows, table_class="facts"), day, w.centre_report,
             w.centre_offline, table([w.terminal, w.centre_offline_for], offline_rows))
    return page(request, w.centre_portal, body)


@require(*ROLES)
async def centre_report(request: web.Request) -> web.Response:
    """The day's report: its figures, then each emergency (no names, no addresses);
    a status keeps its code for spreadsheets that filter on it, its name beside it."""
    c, day, w = ctx(request), _day(request), Words(lang_of(request))
    figures = await day_figures(c, day)
    out = io.StringIO()
    writer = csv.writer(out)
    for name, value in figures.items():
        writer.writerow([name, value if not isinstance(value, dict) else
                         " ".join(f"{k}={v}" for k, v in value.items())])
    writer.writerow([])
    writer.writerow(["case", "received", "status", "status_name", "text"])
    for x in await _emergencies(c, day):
        writer.writerow([x.number, x.received_at.astimezone(SHANGHAI).isoformat(),
                         x.status, w.status(x.status), x.text[:200]])
    return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition":
                                 f'attachment; filename="elderly-{day}.csv"'})


def _for(seconds: float, w: Words) -> str:
    """"2 天" / "3 小时" / "5 分钟": how long a terminal has been offline."""
    for unit, size in (("offline_days", 86400), ("offline_hours", 3600)):
        if seconds >= size:
            return f"{int(seconds // size)} {w(unit)}"
    return f"{int(seconds // 60)} {w('offline_minutes')}"


def add_routes(app: web.Application) -> None:
    app.router.add_get("/centre", centre_page)
    app.router.add_get("/centre/report.csv", centre_report)

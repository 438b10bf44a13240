"""The elderly centre's page: open emergencies first, then today's figures.

The emergencies are the cases the centre owns (kind emergency, on a clock of minutes:
acknowledge within 5, resolve within 60), each linking to its case page, where the
centre acknowledges, sends the community worker, notes a 120 call and closes it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from aiohttp import web

from acd.alarms import EmergencyAlarms
from acd.terminal_presence import TerminalPresence
from case_store.routing import EMERGENCY_DEPT
from hotline.web.auth import require
from hotline.web.context import ctx
from hotline.web.html import h, table
from hotline.web.i18n import Words, lang_of
from hotline.web.portals import case_table
from hotline.web.templates import page

ROLES = ("elderly_centre", "supervisor", "admin")


@require(*ROLES)
async def centre_page(request: web.Request) -> web.Response:
    c, w = ctx(request), Words(lang_of(request))
    cases = await asyncio.to_thread(c.store.owned_cases, "person", EMERGENCY_DEPT)
    today = datetime.now(UTC).date()
    made_today = [x for x in cases if x.received_at.date() == today]
    terminals = await asyncio.to_thread(c.elderly.terminals) if c.elderly else []
    alarms = await EmergencyAlarms(c.redis, c.prefix).open() if c.redis else []
    presence = TerminalPresence(c.redis, c.prefix, {*c.number_plan.terminals, *terminals})
    offline = await presence.offline() if c.redis else []
    now = time.time()
    offline_rows = [[terminal, _for(now - since, w)] for terminal, since in offline]
    figures = table([w.centre_figure, ""], [
        [w.centre_open, str(len(cases))], [w.centre_today, str(len(made_today))],
        [w.centre_unacknowledged, str(sum(1 for x in cases if x.status == "assigned"))],
        [w.centre_alarms, str(len(alarms))], [w.centre_terminals, str(len(terminals))]],
        table_class="facts")
    body = h('<h1>{}</h1><h2>{}</h2><div id="cases">{}</div><h2>{}</h2><div id="figures">{}'
             '</div><h2>{}</h2><div id="offline">{}</div>', w.centre_portal, w.centre_open,
             case_table(request, cases, w), w.centre_figures, figures, w.centre_offline,
             table([w.terminal, w.centre_offline_for], offline_rows))
    return page(request, w.centre_portal, body)


def _for(seconds: float, w: Words) -> str:
    """"2 天" / "3 小时" / "5 分钟": how long a terminal has been offline."""
    for unit, size in (("offline_days", 86400), ("offline_hours", 3600)):
        if seconds >= size:
            return f"{int(seconds // size)} {w(unit)}"
    return f"{int(seconds // 60)} {w('offline_minutes')}"


def add_routes(app: web.Application) -> None:
    app.router.add_get("/centre", centre_page)

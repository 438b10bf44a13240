"""Supervision notices (督办通知书) on the web: one printable page per notice, and the
addressed department's acknowledgement.

The page is for the department it is addressed to and for the centre's staff; anyone
else gets 404, as for a case they may not see. Only the addressed department signs.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiohttp import web

from case_store import access
from case_store.errors import CaseStoreError
from case_store.views import NoticeView
from case_store.workdays import SHANGHAI
from hotline.web import csrf
from hotline.web.auth import require
from hotline.web.case_intake import announce_change
from hotline.web.context import SESSION, ctx
from hotline.web.html import h
from hotline.web.i18n import Words, lang_of
from hotline.web.portals import ALL_ROLES
from hotline.web.templates import page


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _addressed(session: dict, notice: NoticeView) -> bool:
    return session.get("role") == "department" and notice.owner_type == "department" \
        and notice.owner == session.get("dept")


async def _visible_notice(request: web.Request) -> NoticeView:
    number = request.match_info["number"][:24]
    try:
        notice = await asyncio.to_thread(ctx(request).store.notice, number)
    except CaseStoreError as exc:
        raise web.HTTPNotFound(text="no such notice") from exc
    session = request[SESSION]
    if session.get("role") not in access.STAFF and not _addressed(session, notice):
        raise web.HTTPNotFound(text="no such notice")
    return notice


@require(*ALL_ROLES)
async def notice_page(request: web.Request) -> web.Response:
    c, w, session = ctx(request), Words(lang_of(request)), request[SESSION]
    notice = await _visible_notice(request)
    names = await asyncio.to_thread(c.store.owner_names)
    dept = names.get(notice.owner or "", notice.owner or "")
    if notice.acknowledged_at is not None:
        state = h('<p id="notice-state">{}: {} ({})</p>', w.acknowledged,
                  _when(notice.acknowledged_at), notice.acknowledged_by)
    elif _addressed(session, notice):
        state = h('<form method="post" action="/notice/{}/acknowledge" class="no-print">{}'
                  '<button type="submit" id="do-acknowledge">{}</button></form>',
                  notice.number, csrf.field(request), w.acknowledge_notice)
    else:
        state = h('<p id="notice-state">{}</p>', w.not_acknowledged)
    body = h('<article class="notice-doc"><h1>{}</h1><p class="notice-no">{}：{}</p>'
             "<p><strong>{}</strong>：</p><dl>"
             "<dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>"
             "<dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>"
             "<p>{}</p><p class=\"issuer\">金华市8890便民服务中心 {}</p>{}</article>"
             '<p class="no-print"><button type="button" id="print">{}</button> '
             '<a href="/case/{}">{}</a></p>',
             w.notice, w.notice_no, notice.number, dept,
             w.case_no, notice.case_number, w.text, notice.case_text[:300],
             w.reason, notice.reason, w.due, _when(notice.due_at),
             w.issued_at, _when(notice.issued_at), w.issued_by, notice.issued_by,
             w.notice_body, _when(notice.issued_at), state, w.print, notice.case_number,
             w.case)
    return page(request, f"{w.notice} {notice.number}", body, styles=["notice.css"],
                scripts=["notice.js"], body_class="notice")


@require("department")
async def acknowledge(request: web.Request) -> web.StreamResponse:
    c, session = ctx(request), request[SESSION]
    notice = await _visible_notice(request)
    if not _addressed(session, notice):
        raise web.HTTPForbidden(text="only the department addressed signs for a notice")
    actor = f"{session['role']}:{session['name']}"
    try:
        await asyncio.to_thread(c.store.transition, notice.case_number, "acknowledge_notice",
                                actor, notice=notice.number, dept=session["dept"])
    except CaseStoreError as exc:
        raise web.HTTPConflict(text=str(exc)) from exc
    await announce_change(c, notice.case_number, "acknowledge_notice")
    raise web.HTTPSeeOther(f"/notice/{notice.number}")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/notice/{number}", notice_page)
    app.router.add_post("/notice/{number}/acknowledge", acknowledge)

"""The public progress lookup (工单查询): case number plus the phone that raised it.

Public like the report form, so CSRF-protected and rate-limited per address; a wrong
number and someone else's case answer the same "not found" (``case_store.progress``).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from hotline.web import csrf
from hotline.web.context import ctx
from hotline.web.hourly_limit import over_hourly_limit
from hotline.web.html import h
from hotline.web.i18n import Words, lang_of
from hotline.web.payload import form_fields
from hotline.web.templates import page

LOOKUPS_PER_HOUR = 30  # per address: enough for a family, too few to walk case numbers


def _form(request: web.Request, w: Words, error: str = "", number: str = "",
          phone: str = ""):
    return h('<form method="post" action="/progress" class="card narrow" id="progress-form">'
             "<h1>{}</h1>{}{}"
             '<label>{}<input name="number" id="p-number" inputmode="numeric" required'
             ' maxlength="20" value="{}"></label>'
             '<label>{}<input name="phone" id="p-phone" type="tel" inputmode="tel" required'
             ' maxlength="20" value="{}"></label>'
             '<button type="submit" id="p-submit">{}</button></form>',
             w.progress, h('<p class="error" role="alert">{}</p>', error) if error else "",
             csrf.field(request), w.case_no, number, w.your_phone, phone, w.progress_look)


async def progress_form(request: web.Request) -> web.Response:
    w = Words(lang_of(request))
    return page(request, w.progress, _form(request, w))


async def progress_lookup(request: web.Request) -> web.Response:
    await csrf.check(request)
    c, w = ctx(request), Words(lang_of(request))
    form = await form_fields(request)
    number = str(form.get("number", "")).strip()[:20]
    phone = str(form.get("phone", "")).strip()[:20]
    if await over_hourly_limit(c, "progress", request.remote or "unknown", LOOKUPS_PER_HOUR):
        return page(request, w.progress, _form(request, w, w.too_many, number, phone),
                    status=429)
    found = await asyncio.to_thread(c.store.progress, number, phone)
    if found is None:
        return page(request, w.progress, _form(request, w, w.progress_none, number, phone),
                    status=404)
    body = h('<div class="card narrow" id="progress-result"><h1>{}</h1>'
             '<p>{} <span id="p-case">{}</span></p>'
             '<p class="big" id="p-status">{}</p>{}'
             '<p><a href="/progress">{}</a></p></div>',
             w.progress, w.case_no, found.number, found.status_words,
             h('<p id="p-latest">{}</p>', found.latest) if found.latest else "",
             w.progress_look)
    return page(request, w.progress, body)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/progress", progress_form)
    app.router.add_post("/progress", progress_lookup)

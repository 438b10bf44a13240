"""Department and company portals: their queue of cases (and a department's supervision
notices), one case's page, their actions (the oversight ones via ``case_oversight``).

Every read and write checks ``access`` against the session first; a case the user may
not see answers 404 (its existence is not confirmed either).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiohttp import web

from case_store import access
from case_store.errors import CaseStoreError
from case_store.views import CaseView
from case_store.workdays import SHANGHAI
from hotline.web import case_oversight, csrf, recordings
from hotline.web.auth import require
from hotline.web.case_intake import announce_change
from hotline.web.context import SESSION, ctx
from hotline.web.html import Safe, h, join, mask_phone, table
from hotline.web.i18n import EVENT_WORDS, FIELD_WORDS, Words, lang_of, word
from hotline.web.payload import form_fields
from hotline.web.templates import page

ALL_ROLES = ("agent", "supervisor", "department", "company", "admin", "elderly_centre",
             "leader")
# what the elderly centre notes on an emergency, besides its own words
CENTRE_NOTES = ("已通知社区工作者上门", "已拨打120", "已联系家属", "老人平安")
MAX_REPLY = 4000


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def _topic_name(request: web.Request, case: CaseView) -> str:
    topic = ctx(request).store.catalog.topics.get(case.topic or "")
    return topic.name if topic else (case.topic or "")


def _phone(session: dict, case: CaseView) -> str:
    return case.caller if access.shows_phone(session, case) else mask_phone(case.caller)


def case_table(request: web.Request, cases: list[CaseView], w: Words) -> Safe:
    if not cases:
        return h('<p class="empty">{}</p>', w.no_cases)
    session = request[SESSION]
    now = datetime.now(SHANGHAI)
    rows, classes = [], []
    for case in cases:
        level = access.urgency(case, now)
        due = case.contact_due_at if case.owner_type == "company" and case.status == "assigned" \
            else case.due_at
        badge = h(' <span class="badge {}">{}</span>', level, w(f"{level}_due" if level == "near"
                                                               else level)) if level else ""
        rows.append([h('<a href="/case/{}">{}</a>', case.number, case.number),
                     _when(case.received_at), _topic_name(request, case),
                     case.text[:80], case.place or "", _phone(session, case),
                     w.status(case.status), h("{}{}", _when(due), badge)])
        classes.append(level)
    return table([w.case_no, w.received, w.topic, w.text, w.place, w.phone, w.status_word,
                  w.due], rows, classes)


@require("department", "supervisor", "admin")
async def dept_portal(request: web.Request) -> web.Response:
    c, w, session = ctx(request), Words(lang_of(request)), request[SESSION]
    if session["role"] == "department":
        code = session["dept"]
        cases = await asyncio.to_thread(c.store.owned_cases, "department", code)
    elif request.query.get("dept"):
        code = request.query["dept"][:64]
        cases = await asyncio.to_thread(c.store.owned_cases, "department", code)
    else:
        code = ""
        cases = await asyncio.to_thread(c.store.list_cases)
    names = await asyncio.to_thread(c.store.owner_names)
    title = h("{} — {}", w.dept_portal, names.get(code, code)) if code else w.dept_portal
    notices = await asyncio.to_thread(c.store.supervision_notices, owner=code) if code else []
    body = h('<h1>{}</h1><div id="cases">{}</div><h2>{}</h2><div id="notices">{}</div>',
             title, case_table(request, cases, w), w.notices,
             case_oversight.notice_table(notices, names, w) if notices
             else h('<p class="empty">{}</p>', w.no_notices))
    return page(request, w.dept_portal, body)


@require("company")
async def company_portal(request: web.Request) -> web.Response:
    c, w, session = ctx(request), Words(lang_of(request)), request[SESSION]
    cases = await asyncio.to_thread(c.store.owned_cases, "company", session["company"])
    names = await asyncio.to_thread(c.store.owner_names)
    body = h('<h1>{} — {}</h1><div id="cases">{}</div>', w.company_portal,
             names.get(session["company"], session["company"]), case_table(request, cases, w))
    return page(request, w.company_portal, body)


async def _visible_case(request: web.Request) -> CaseView:
    number = request.match_info["number"][:32]
    try:
        case = await asyncio.to_thread(ctx(request).store.get_case, number)
    except CaseStoreError as exc:
        raise web.HTTPNotFound(text="no such case") from exc
    if not access.can_view(request[SESSION], case):
        raise web.HTTPNotFound(text="no such case")
    return case


_NAMED = ("owner", "dept", "forwarded_to")  # fields holding a department or company code


def _event_text(data: dict, names: dict[str, str], kinds: dict[str, str], w: Words) -> str:
    """An event's facts as the page reads them: the catalog's and the units' names and
    Shanghai times, not their codes."""
    def shown(key: str, value: object) -> str:
        if key in _NAMED:
            return names.get(str(value), str(value))
        if key == "rule":  # the router's own words (English): its kind by name, if one
            return kinds.get(str(value), str(value))
        if key == "due_at":
            try:
                return _when(datetime.fromisoformat(str(value)))
            except ValueError:
                return str(value)
        if isinstance(value, dict):  # a correction's after: its topic or kind by name
            return "，".join(f"{word(k, w.lang)}：{v}" for k, v in value.items())
        return str(value)
    return "; ".join(f"{word(k, w.lang, FIELD_WORDS)}: {shown(k, data[k])}"
                     for k in FIELD_WORDS if data.get(k) not in (None, "")
                     and (k != "rule" or w.lang == "en" or data[k] in kinds))


def _action_forms(request: web.Request, case: CaseView, w: Words, pending_ext: int,
                  draft: str, offered: dict) -> Safe:
    forms = []
    token = csrf.field(request)
    for action in access.actions(request[SESSION], case):
        target = h("/case/{}/{}", case.number, action)
        if action in case_oversight.ACTIONS:
            forms.append(case_oversight.form(request, case, action, w, offered))
        elif action in ("reply", "complete"):
            forms.append(h('<form method="post" action="{}" class="card">{}'
                           '<label>{}<textarea name="reply" required maxlength="{}" rows="5">'
                           '{}</textarea></label><button type="submit" id="do-{}">{}</button>'
                           "</form>", target, token, w.reply_text, MAX_REPLY, draft, action,
                           w(action)))
        elif action == "extension":
            forms.append(h('<form method="post" action="{}" class="card">{}'
                           '<label>{} ({})<input name="days" type="number" min="1" max="15"'
                           ' value="5" required></label><label>{}<input name="reason"'
                           ' maxlength="500" required></label>'
                           '<button type="submit" id="do-extension">{}</button></form>',
                           target, token, w.extension, w.days, w.reason, w.extension))
        elif action == "note":
            choices = join(h('<option value="{}">{}</option>', n, n) for n in CENTRE_NOTES)
            forms.append(h('<form method="post" action="{}" class="card">{}'
                           '<label>{}<select name="preset">{}</select></label>'
                           '<label>{}<input name="message" maxlength="500"></label>'
                           '<button type="submit" id="do-note">{}</button></form>',
                           target, token, w.note, choices, w.note_more, w.note))
        elif action == "approve_extension":
            if pending_ext:
                forms.append(h('<form method="post" action="{}" class="card">{}'
                               '<input type="hidden" name="days" value="{}">'
                               '<button type="submit" id="do-approve">批准延期 {} {}</button>'
                               "</form>", target, token, pending_ext, pending_ext, w.days))
        else:
            forms.append(h('<form method="post" action="{}" class="inline">{}'
                           '<button type="submit" id="do-{}">{}</button></form>',
                           target, token, action, w(action)))
    return join(forms)


def pending_extension(events: list) -> int:
    """Days asked for in the last extension request not yet granted (0 if none)."""
    asked = 0
    for event in events:
        if event.action == "note" and event.data.get("extension_requested"):
            asked = int(event.data["extension_requested"])
        elif event.action == "extend":
            asked = 0
    return asked


@require(*ALL_ROLES)
async def case_page(request: web.Request) -> web.Response:
    c, w, session = ctx(request), Words(lang_of(request)), request[SESSION]
    case = await _visible_case(request)
    events = await asyncio.to_thread(c.store.events, case.number)
    names = await asyncio.to_thread(c.store.owner_names)
    notices = await asyncio.to_thread(c.store.supervision_notices, case_number=case.number)
    offered = await case_oversight.choices(request, access.actions(session, case))
    facts = table([w.case_no, w.status_word, w.topic, w.owner, w.phone, w.place, w.due], [[
        case.number, w.status(case.status), _topic_name(request, case),
        names.get(case.owner or "", case.owner or ""), _phone(session, case),
        case.place or "", _when(case.due_at)]], table_class="facts")
    history = table([w.received, w.history, w.status_word, ""], [
        [_when(e.at), f"{e.actor} · {word(e.action, w.lang, EVENT_WORDS)}",
         w.status(e.to_status), _event_text(e.data, names, c.store.catalog.kinds, w)]
        for e in events])
    draft = case_oversight.reply_draft(case, events, names, w)
    players = await recordings.case_section(request, case.number, w)
    body = h('<h1>{} {}</h1>{}<h2>{}</h2><p class="case-text" id="case-text">{}</p>{}{}'
             '<div class="actions">{}</div><h2>{}</h2><div id="history">{}</div>',
             w.case, case.number, facts, w.text, case.text,
             case_oversight.sections(case, events, notices, names, w), players,
             _action_forms(request, case, w, pending_extension(events), draft, offered),
             w.history, history)
    return page(request, f"{w.case} {case.number}", body)


async def _int_field(form, name: str, low: int, high: int) -> int:
    try:
        value = int(str(form.get(name, "")))
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"{name} must be a whole number") from exc
    if not low <= value <= high:
        raise web.HTTPBadRequest(text=f"{name} must be between {low} and {high}")
    return value


@require(*ALL_ROLES)
async def case_action(request: web.Request) -> web.StreamResponse:
    c, session = ctx(request), request[SESSION]
    case = await _visible_case(request)
    action = request.match_info["action"]
    if action not in access.actions(session, case):
        raise web.HTTPForbidden(text=f"you cannot {action} this case now")
    form = await form_fields(request)
    actor = f"{session['role']}:{session['name']}"
    store = c.store
    reply = str(form.get("reply", "")).strip()
    if action in ("reply", "complete") and not reply:
        raise web.HTTPBadRequest(text="the reply text is empty")
    if len(reply) > MAX_REPLY:
        raise web.HTTPBadRequest(text=f"the reply is longer than {MAX_REPLY} characters")
    try:
        if action in case_oversight.ACTIONS:
            await case_oversight.perform(request, case, action, form, session, actor)
        elif action == "accept":
            await asyncio.to_thread(store.transition, case.number, "accept", actor)
        elif action == "start":
            await asyncio.to_thread(store.transition, case.number, "start", actor)
        elif action in ("reply", "complete"):
            await asyncio.to_thread(store.transition, case.number, "reply", actor, reply=reply)
        elif action == "confirm_contact":
            await asyncio.to_thread(store.confirm_contact, case.number, session["company"])
        elif action == "extension":
            days = await _int_field(form, "days", 1, 15)
            reason = str(form.get("reason", "")).strip()[:500]
            if not reason:
                raise web.HTTPBadRequest(text="give a reason for the extension")
            await asyncio.to_thread(store.transition, case.number, "note", actor,
                                    extension_requested=days, reason=reason)
        elif action == "note":  # the centre: the worker sent, 120 called, ...
            preset = str(form.get("preset", ""))
            message = str(form.get("message", "")).strip()[:500]
            text = " ".join(x for x in (preset if preset in CENTRE_NOTES else "", message) if x)
            if not text:
                raise web.HTTPBadRequest(text="say what was done")
            await asyncio.to_thread(store.transition, case.number, "note", actor, message=text)
        elif action == "approve_extension":
            days = await _int_field(form, "days", 1, 15)
            await asyncio.to_thread(store.transition, case.number, "extend", actor, days=days,
                                    approved_by="supervision_office")
    except CaseStoreError as exc:
        raise web.HTTPConflict(text=str(exc)) from exc
    await announce_change(c, case.number, action)
    raise web.HTTPSeeOther(f"/case/{case.number}")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/dept", dept_portal)
    app.router.add_get("/company", company_portal)
    app.router.add_get("/case/{number}", case_page)
    app.router.add_post("/case/{number}/{action}", case_action)

"""The elderly registry's console and JSON API, for the elderly centre and admins only.

Thin handlers over ``case_store.elderly.ElderlyRegistry``: every page or API answer that
shows a person's profile goes through ``registry.view`` and so is logged ("page",
"api"); the list shows names and communities only and is not. Agents see a profile
only in the desk pop (``registry.view(terminal, agent, "agent", "desk pop")``); agents,
supervisors, departments and companies get 403 here. The form and the import use the
spreadsheet's text forms (``case_store.elderly_sheet``), so the centre learns one.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from aiohttp import web

from case_store import elderly_sheet
from case_store.elderly import FIELDS, MAX_CONTACTS, ElderlyProfile, ImportReport
from case_store.errors import InvalidProfileError, ProfileNotFoundError
from case_store.views import iso
from case_store.workdays import SHANGHAI
from hotline.web import csrf
from hotline.web.auth import require
from hotline.web.context import SESSION, ctx
from hotline.web.html import Safe, h, join, options, table
from hotline.web.i18n import Words, lang_of
from hotline.web.payload import form_fields, json_object, larger_body, upload
from hotline.web.templates import page

CENTRE = ("admin", "elderly_centre")
IMPORT_LIMIT = 4 * 1024 * 1024  # a sheet of some thousands of people, XLSX or CSV
TERMINAL = r"{terminal:\d{3,20}}"
READ_ONLY = ("terminal", "created_at", "updated_at")  # sent back by a GET, ignored by PUT


def _registry(request: web.Request):
    return ctx(request).elderly


async def _view(request: web.Request, purpose: str) -> ElderlyProfile:
    """The path's profile for this user, logged; 404 when there is none."""
    session = request[SESSION]
    found = await asyncio.to_thread(_registry(request).view, request.match_info["terminal"],
                                    session["name"], session["role"], purpose)
    if found is None:
        raise web.HTTPNotFound(text="no elderly profile for this terminal")
    return found


# -- pages --------------------------------------------------------------------------------

@require(*CENTRE)
async def list_page(request: web.Request) -> web.Response:
    w = Words(lang_of(request))
    profiles = await asyncio.to_thread(_registry(request).list_profiles)
    rows = [[h('<a href="/elderly/{}">{}</a>', p.terminal, p.terminal), p.name, p.community,
             w.active if p.active else w.inactive] for p in profiles]
    listing = table([w.terminal, w.name, w.community, w.status_word], rows,
                    ["" if p.active else "inactive" for p in profiles]) if profiles \
        else h('<p class="empty">{}</p>', w.no_profiles)
    body = h('<h1>{}</h1><p><a href="/elderly/new" id="add-profile">{}</a></p>'
             '<div id="profiles">{}</div>'
             '<section class="card" id="import"><h2>{}</h2>'
             '<form method="post" action="/elderly/import" enctype="multipart/form-data">{}'
             '<input type="file" name="file" accept=".csv,.xlsx" required>'
             '<button type="submit" id="do-import">{}</button></form>'
             '<p class="hint">{}</p></section>',
             w.elderly_registry, w.add_profile, listing, w.import_sheet, csrf.field(request),
             w.do_import, w.import_hint)
    return page(request, w.elderly_registry, body)


@require(*CENTRE)
async def card_page(request: web.Request) -> web.Response:
    w, session = Words(lang_of(request)), request[SESSION]
    p = await _view(request, "page")
    place = "" if p.lat is None or p.lon is None else f"{p.lat}, {p.lon}"
    facts = table([w.terminal, w.name, w.address, w.community, f"{w.lat}, {w.lon}",
                   w.dialect, w.status_word],
                  [[p.terminal, p.name, p.address, p.community, place, w(p.dialect),
                    w.active if p.active else w.inactive]], table_class="facts")
    contacts = table(["", w.name, w.relation, w.phone],
                     [[n, c.name, c.relation, c.phone] for n, c in enumerate(p.contacts, 1)])
    notes = table([w.health_notes, w.medicines, w.mobility, w.worker_name, w.worker_phone],
                  [[p.health_notes, p.medicines, p.mobility, p.worker_name, p.worker_phone]],
                  table_class="facts")
    links = [h('<a href="/elderly/{}/edit" id="edit">{}</a>', p.terminal, w.edit)]
    if session["role"] == "admin":
        links.append(h(' · <a href="/elderly/{}/views" id="view-log">{}</a>', p.terminal,
                       w.view_log))
    if p.active:
        links.append(h('<form method="post" action="/elderly/{}/deactivate" class="inline">{}'
                       '<button type="submit" id="deactivate">{}</button></form>',
                       p.terminal, csrf.field(request), w.deactivate))
    body = h('<h1>{} · {}</h1>{}<h2>{}</h2><div id="contacts">{}</div>{}'
             '<h2>{}</h2><p id="care-plan">{}</p><h2>{}</h2><p id="checkin">{}</p>'
             '<div class="actions">{}</div><p><a href="/elderly">{}</a></p>',
             p.name, p.terminal, facts, w.contacts, contacts, notes,
             w.care_plan, elderly_sheet.care_plan_text(p.care_plan),
             w.checkin_windows, elderly_sheet.windows_text(p.checkin_windows),
             join(links), w.back_to_list)
    return page(request, f"{p.name} · {p.terminal}", body)


def _form(request: web.Request, w: Words, row: dict[str, str], editing: bool,
          error: str = "", status: int = 200) -> web.Response:
    def field(name: str, label: str, size: int = 100) -> Safe:
        return h('<label>{}<input name="{}" value="{}" maxlength="{}"></label>', label, name,
                 row.get(name, ""), size)

    def area(name: str, label: str, hint: str = "") -> Safe:
        return h('<label>{}<textarea name="{}" rows="2" maxlength="2000">{}</textarea>'
                 '<small>{}</small></label>', label, name, row.get(name, ""), hint)

    terminal = h('<label>{}<input name="terminal" value="{}" required maxlength="20"'
                 ' pattern="[0-9 -]+"{}></label>', w.terminal, row.get("terminal", ""),
                 Safe(" readonly") if editing else Safe(""))
    contacts = join(h('<fieldset><legend>{} {}</legend>{}{}{}</fieldset>', w.contact, n,
                      field(f"contact{n}_name", w.name), field(f"contact{n}_relation", w.relation,
                                                               50),
                      field(f"contact{n}_phone", w.phone, 32))
                    for n in range(1, MAX_CONTACTS + 1))
    dialect = h('<label>{}<select name="dialect">{}</select></label>', w.dialect, options(
        [("mandarin", w.mandarin), ("jinhua", w.jinhua)], row.get("dialect") or "mandarin"))
    active = h('<label>{}<select name="active">{}</select></label>', w.active, options(
        [("yes", w.yes), ("no", w.no)], row.get("active") or "yes"))
    body = h('<h1>{}</h1>{}<form method="post" action="/elderly" class="card" id="profile-form">'
             '{}{}{}{}{}{}{}{}{}{}{}{}{}{}{}<h2>{}</h2>{}'
             '<button type="submit" id="save">{}</button></form>',
             w.edit if editing else w.add_profile,
             h('<p class="error" role="alert">{}</p>', error) if error else "",
             csrf.field(request), terminal, field("name", w.name), field("address", w.address, 300),
             field("community", w.community), field("lat", w.lat, 20), field("lon", w.lon, 20),
             dialect, area("health_notes", w.health_notes), area("medicines", w.medicines),
             field("mobility", w.mobility, 200), field("worker_name", w.worker_name),
             field("worker_phone", w.worker_phone, 32),
             area("care_plan", w.care_plan, w.care_plan_hint),
             area("checkin_windows", w.checkin_windows, w.checkin_hint), w.contacts,
             join([contacts, active]), w.save)
    return page(request, w.edit if editing else w.add_profile, body, status=status)


@require(*CENTRE)
async def new_page(request: web.Request) -> web.Response:
    return _form(request, Words(lang_of(request)), {}, editing=False)


@require(*CENTRE)
async def edit_page(request: web.Request) -> web.Response:
    found = await _view(request, "page")
    return _form(request, Words(lang_of(request)), elderly_sheet.row_of(found), editing=True)


@require(*CENTRE)
async def save(request: web.Request) -> web.StreamResponse:
    form = await form_fields(request)
    try:
        terminal, fields = elderly_sheet.fields_of_row(form)
        saved = await asyncio.to_thread(_registry(request).upsert, terminal,
                                        **{"name": "", **fields})
    except InvalidProfileError as exc:
        editing = bool(form.get("terminal")) and await asyncio.to_thread(
            _registry(request).profile, form["terminal"]) is not None
        return _form(request, Words(lang_of(request)), form, editing, str(exc), status=400)
    raise web.HTTPSeeOther(f"/elderly/{saved.terminal}")


@require(*CENTRE)
async def deactivate(request: web.Request) -> web.StreamResponse:
    terminal = request.match_info["terminal"]
    try:
        await asyncio.to_thread(_registry(request).deactivate, terminal)
    except ProfileNotFoundError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc
    raise web.HTTPSeeOther(f"/elderly/{terminal}")


@require(*CENTRE)
async def import_sheet(request: web.Request) -> web.Response:
    w = Words(lang_of(request))
    _name, data = await upload(request, "file")
    try:
        report = await asyncio.to_thread(_registry(request).import_bytes, data)
    except InvalidProfileError as exc:
        body = h('<h1>{}</h1><p class="error" role="alert">{}</p><p><a href="/elderly">{}</a>'
                 '</p>', w.import_sheet, str(exc), w.back_to_list)
        return page(request, w.import_sheet, body, status=400)
    return page(request, w.import_sheet, _report(report, w))


def _report(report: ImportReport, w: Words) -> Safe:
    bad = table([w.row, w.terminal, w.reason], [[b.row, b.terminal, b.reason]
                                                for b in report.bad_rows]) \
        if report.bad_rows else h("<p>{}</p>", w.no_bad_rows)
    ignored = h('<p id="ignored">{}: {}</p>', w.ignored_columns,
                "、".join(report.ignored_columns)) if report.ignored_columns else ""
    return h('<h1>{}</h1><p id="imported">{}: <b>{}</b> {}</p><h2>{}</h2>'
             '<div id="bad-rows">{}</div>{}<p><a href="/elderly">{}</a></p>',
             w.import_sheet, w.imported, len(report.imported), " ".join(report.imported),
             w.bad_rows, bad, ignored, w.back_to_list)


@require("admin")
async def views_page(request: web.Request) -> web.Response:
    w, terminal = Words(lang_of(request)), request.match_info["terminal"]
    if await asyncio.to_thread(_registry(request).profile, terminal) is None:
        raise web.HTTPNotFound(text="no elderly profile for this terminal")
    seen = await asyncio.to_thread(_registry(request).views, terminal)
    rows = [[v.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"), v.viewer, v.role,
             v.purpose] for v in seen]
    body = h('<h1>{} · {}</h1><div id="views">{}</div><p><a href="/elderly/{}">{}</a></p>',
             w.view_log, terminal, table([w.at, w.viewer, w.role, w.purpose], rows), terminal,
             terminal)
    return page(request, w.view_log, body)


# -- JSON API -----------------------------------------------------------------------------

def profile_json(p: ElderlyProfile) -> dict[str, Any]:
    return {**asdict(p), "created_at": iso(p.created_at), "updated_at": iso(p.updated_at)}


@require(*CENTRE)
async def api_list(request: web.Request) -> web.Response:
    profiles = await asyncio.to_thread(_registry(request).list_profiles)
    return web.json_response([{"terminal": p.terminal, "name": p.name,
                               "community": p.community, "active": p.active}
                              for p in profiles])


@require(*CENTRE)
async def api_get(request: web.Request) -> web.Response:
    return web.json_response(profile_json(await _view(request, "api")))


@require(*CENTRE)
async def api_put(request: web.Request) -> web.Response:
    """Create or replace the whole profile (PUT: fields left out take their defaults)."""
    terminal, body = request.match_info["terminal"], await json_object(request)
    unknown = sorted(set(body) - set(FIELDS) - set(READ_ONLY))
    if unknown:
        raise web.HTTPBadRequest(text=f"unknown fields: {', '.join(unknown)}")
    if body.get("terminal", terminal) != terminal:
        raise web.HTTPBadRequest(text="the body's terminal differs from the path's")
    fields = {"name": "", **{k: v for k, v in body.items() if k in FIELDS}}
    registry = _registry(request)
    existed = await asyncio.to_thread(registry.profile, terminal) is not None
    try:
        saved = await asyncio.to_thread(registry.upsert, terminal, **fields)
    except InvalidProfileError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return web.json_response(profile_json(saved), status=200 if existed else 201)


@require(*CENTRE)
async def api_delete(request: web.Request) -> web.Response:
    try:
        gone = await asyncio.to_thread(_registry(request).deactivate,
                                       request.match_info["terminal"])
    except ProfileNotFoundError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc
    return web.json_response({"terminal": gone.terminal, "active": gone.active})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/elderly", list_page)
    app.router.add_post("/elderly", save)
    app.router.add_get("/elderly/new", new_page)
    app.router.add_post("/elderly/import", larger_body(IMPORT_LIMIT, import_sheet))
    app.router.add_get(f"/elderly/{TERMINAL}", card_page)
    app.router.add_get(f"/elderly/{TERMINAL}/edit", edit_page)
    app.router.add_post(f"/elderly/{TERMINAL}/deactivate", deactivate)
    app.router.add_get(f"/elderly/{TERMINAL}/views", views_page)
    app.router.add_get("/api/elderly", api_list)
    app.router.add_get(f"/api/elderly/{TERMINAL}", api_get)
    app.router.add_put(f"/api/elderly/{TERMINAL}", api_put)
    app.router.add_delete(f"/api/elderly/{TERMINAL}", api_delete)

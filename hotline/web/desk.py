"""The agent desk: bound to the agent's seat; pops the caller when that seat's phone rings.

The websocket listens on ``<prefix>:pop:<seat>`` (the ACD publishes there when the seat
starts ringing) and on the stats channel for the seat's own state. A pop is enriched
here with the caller's earlier cases, the case the IVR or a callback already opened,
the tagger's suggestion and knowledge-base answers, so the agent sees one screen.
Saving an existing case is a correction (``CaseStore.correct``); a changed topic teaches
the tagger (``LearningTagger.learn``). Transfers live in ``desk_transfer``, three-way
calls in ``desk_consult``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from acd.control import SEAT_ACTIONS
from case_store.amend import CORRECTABLE
from case_store.errors import CaseStoreError
from case_store.views import CaseView
from hotline.services.acd import AcdService
from hotline.web import desk_callbacks, desk_consult, desk_transfer, live, recordings
from hotline.web.auth import require
from hotline.web.case_intake import announce_change, suggest
from hotline.web.context import SESSION, WebContext, ctx
from hotline.web.html import h, options
from hotline.web.i18n import STATUS_WORDS, Words, lang_of, word
from hotline.web.payload import json_object
from hotline.web.templates import page

MAX_TEXT = 4000
DESK_SEAT_ACTIONS = SEAT_ACTIONS


def _catalog_choices(c: WebContext) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    catalog = c.store.catalog
    kinds = sorted(catalog.kinds.items())
    topics = [(t.code, t.name) for t in catalog.topics.values()]
    return kinds, topics


@require("agent")
async def desk_page(request: web.Request) -> web.Response:
    c, w, session = ctx(request), Words(lang_of(request)), request[SESSION]
    kinds, topics = _catalog_choices(c)
    seat = session.get("seat") or ""
    targets = await asyncio.to_thread(desk_transfer.transfer_choices, c, seat, w)
    consulted = await asyncio.to_thread(desk_consult.consult_targets, c)
    to_check = await asyncio.to_thread(desk_callbacks.waiting_checks, c)
    mine = (await asyncio.to_thread(c.recordings.for_seat, seat)
            if c.recordings is not None and seat else [])
    body = h(
        '<div id="desk" data-seat="{seat}" data-words="{words}">'
        '<header class="desk-head"><h1>{desk} · {seat_w} <span id="seat-no">{seat}</span></h1>'
        '<p>{state_w}: <b id="seat-state">—</b> <span id="seat-since"></span></p>'
        '<div class="buttons">'
        '<button data-seat-action="login">{login}</button>'
        '<button data-seat-action="pause" id="pause">{pause}</button>'
        '<button data-seat-action="resume" id="resume">{resume}</button>'
        '<button data-seat-action="wrapup_done" id="wrapup">{wrapup}</button>'
        '<button data-seat-action="logout">{logout}</button></div></header>'
        '<section id="pop" class="card"><h2 id="pop-title">{waiting_call}</h2>'
        '<p><b>{caller_w}</b>: <span id="pop-caller"></span> <span id="pop-name"></span>'
        ' <span id="pop-kind"></span></p>'
        '<p id="pop-transcript-row"><b>{transcript}</b>: <span id="pop-transcript"></span></p>'
        '<p><b>{tags}</b>: <span id="pop-tags"></span></p>'
        '<div id="pop-elderly" class="elderly-card" hidden><h3>{elderly_w}</h3>'
        '<dl id="pop-elderly-facts"></dl><ol id="pop-elderly-contacts"></ol></div>'
        '<h3>{earlier}</h3><ul id="pop-history"></ul></section>'
        '<form id="case-form" class="card"><h2>{case_w}</h2>'
        '<input type="hidden" name="case_number" id="f-case">'
        '<input type="hidden" name="uniqueid" id="f-uniqueid">'
        '<label>{phone}<input name="caller" id="f-caller" maxlength="32"></label>'
        '<label>{kind}<select name="kind" id="f-kind">{kinds}</select></label>'
        '<label>{topic}<select name="topic" id="f-topic">{topics}</select></label>'
        '<label>{place}<input name="place" id="f-place" maxlength="300"></label>'
        '<label>{text}<textarea name="text" id="f-text" rows="4" maxlength="{max}">'
        '</textarea></label>'
        '<div class="buttons"><button type="submit" name="do" value="save" id="save">{save}'
        '</button><button type="submit" name="do" value="dispatch" id="dispatch">{dispatch}'
        '</button></div><p id="case-result" role="status"></p></form>{transfer}{consult}{check}'
        '{recorded}'
        '<section class="card"><h2>{kb}</h2><form id="kb-form"><input name="q" id="kb-q"'
        ' maxlength="200"><button type="submit">{search}</button></form>'
        '<ol id="kb-hits"></ol></section></div>',
        seat=seat, words=json.dumps(w.as_dict(), ensure_ascii=False), desk=w.desk,
        seat_w=w.seat, state_w=w.state, login=w.seat_login, pause=w.pause, resume=w.resume,
        wrapup=w.wrapup_done, logout=w.seat_logout, waiting_call=w.waiting_call,
        caller_w=w.caller, elderly_w=w.elderly_card, transcript=w.transcript, tags=w.tags,
        earlier=w.earlier_cases,
        case_w=w.case, phone=w.phone, kind=w.kind, kinds=options(kinds, None), topic=w.topic,
        topics=options(topics, None), place=w.place, text=w.text, max=MAX_TEXT,
        save=w.save_case, dispatch=w.dispatch, kb=w.kb, search=w.search,
        transfer=desk_transfer.transfer_card(targets, w),
        consult=desk_consult.consult_card(consulted, w),
        check=desk_callbacks.check_card(request, to_check, w),
        recorded=recordings.desk_card(session, mine, w),
    )
    return page(request, w.desk, body, scripts=["common.js", "desk.js"])


def _case_brief(c: WebContext, case: Any, lang: str) -> dict[str, Any]:
    """An earlier case of the caller, with the catalog's names beside the codes."""
    topic = c.store.catalog.topics.get(case.topic or "")
    return {"number": case.number, "received": case.received_at.strftime("%Y-%m-%d %H:%M"),
            "kind": case.kind, "topic": case.topic, "status": case.status,
            "kind_name": c.store.catalog.kinds.get(case.kind, case.kind),
            "topic_name": topic.name if topic else (case.topic or ""),
            "status_name": word(case.status, lang, STATUS_WORDS), "text": case.text[:120]}


def _named_tags(c: WebContext, tags: dict[str, Any]) -> dict[str, Any]:
    """The tagger's guess with the catalog's names, which the pop shows."""
    topic = c.store.catalog.topics.get(tags.get("topic") or "")
    return {**tags, "kind_name": c.store.catalog.kinds.get(tags.get("kind") or "",
                                                           tags.get("kind") or ""),
            "topic_name": topic.name if topic else (tags.get("topic") or "")}


def _elderly_card(c: WebContext, terminal: str, agent: str) -> dict[str, Any] | None:
    """The profile behind an elderly terminal, for the agent answering it (a logged view)."""
    if c.elderly is None or not terminal:
        return None
    profile = c.elderly.view(terminal, agent, "agent", "desk pop")
    if profile is None:
        return None
    return {"name": profile.name, "address": profile.address, "community": profile.community,
            "health_notes": profile.health_notes, "medicines": profile.medicines,
            "mobility": profile.mobility, "dialect": profile.dialect,
            "worker": f"{profile.worker_name} {profile.worker_phone}".strip(),
            "contacts": [{"name": k.name, "relation": k.relation, "phone": k.phone}
                         for k in profile.contacts]}


def enrich_pop(c: WebContext, pop: dict[str, Any], agent: str = "",
               lang: str = "zh") -> dict[str, Any]:
    """Everything the agent needs for this call, read in one go (runs in a thread)."""
    store = c.store
    caller = str(pop.get("caller") or "")
    history = store.caller_history(caller)[:10] if caller else []
    case = None
    if pop.get("case_number"):
        try:
            case = store.get_case(str(pop["case_number"]))
        except CaseStoreError:
            case = None
    transcript = pop.get("transcript") or (case.transcript if case else "") or ""
    tags = pop.get("tags") or {}
    prefill: dict[str, Any] = {"caller": caller, "text": transcript}
    if case is not None:
        prefill.update(kind=case.kind, topic=case.topic, place=case.place or "", text=case.text)
    elif transcript:
        suggestion = suggest(c, transcript)
        tags = {"kind": tags.get("kind") or suggestion["kind"],
                "topic": tags.get("topic") or suggestion["topic"],
                "confidence": tags.get("confidence") or suggestion["confidence"]}
        prefill.update(kind=tags["kind"], topic=tags["topic"], place=suggestion["place"])
    elif tags:
        prefill.update(kind=tags.get("kind"), topic=tags.get("topic"))
    question = prefill.get("text") or ""
    hits = store.search_knowledge(question) if question else []
    return {"type": "pop", "seat": pop.get("seat"), "kind": pop.get("kind", "live"),
            "uniqueid": pop.get("uniqueid") or "", "callback_id": pop.get("callback_id"),
            "caller": caller, "caller_name": pop.get("caller_name") or "",
            "case_number": case.number if case else "", "transcript": transcript,
            "tags": _named_tags(c, tags), "prefill": prefill,
            "history": [_case_brief(c, x, lang) for x in history],
            "elderly": _elderly_card(c, caller, agent) if pop.get("origin") == "terminal"
            else None,
            "kb": [{"question": x.entry.question, "answer": x.entry.answer,
                    "score": round(x.score, 2)} for x in hits]}


@require("agent")
async def desk_ws(request: web.Request) -> web.WebSocketResponse:
    c = ctx(request)
    seat = request[SESSION].get("seat") or ""
    pop_channel, stats_channel = c.key("pop", seat), c.key("stats")
    snapshot = await AcdService(c).snapshot()

    def seat_msg(snap: dict) -> dict | None:
        entry = (snap.get("per_seat") or {}).get(seat)
        if not entry:
            return None
        return {"type": "seat", "seat": seat, "state": entry.get("state"),
                "since": entry.get("since"), "paused_reason": entry.get("paused_reason"),
                "now": snap.get("at")}

    async def on_message(channel: str, data: Any) -> dict | None:
        if not isinstance(data, dict):
            return None
        if channel == pop_channel:
            return await asyncio.to_thread(enrich_pop, c, data, request[SESSION]["name"],
                                           lang_of(request))
        if channel == stats_channel:
            return seat_msg(data)
        return None

    return await live.serve(request, [pop_channel, stats_channel], seat_msg(snapshot)
                            or {"type": "hello", "seat": seat}, on_message)


def _correct(c: WebContext, agent: str, number: str,
             body: dict[str, Any]) -> tuple[CaseView, dict[str, Any]]:
    """Write the agent's correction; a new topic is taught to the tagger."""
    fields = {k: body[k] for k in CORRECTABLE if k in body}
    before = c.store.get_case(number)
    after = c.store.correct(number, fields, agent)
    changed = [k for k in CORRECTABLE if getattr(before, k) != getattr(after, k)]
    learned: dict[str, Any] = {}
    if c.tagger is not None and after.topic and after.topic != before.topic:
        learned = c.tagger.learn(after.text, after.kind, after.topic).get("topics", {})
    return after, {"corrected": changed,
                   "learned": sorted(w for t in learned.values() for w in t)}


def _save(c: WebContext, agent: str, body: dict[str, Any]) -> dict[str, Any]:
    store = c.store
    number = str(body.get("case_number") or "")
    extra: dict[str, Any] = {}
    if number:
        case, extra = _correct(c, agent, number, body)
    else:
        case = store.create_case(channel="phone", caller=str(body.get("caller") or ""),
                                 text=str(body.get("text") or "").strip(),
                                 kind=str(body.get("kind") or ""),
                                 topic=str(body.get("topic") or "") or None,
                                 place=str(body.get("place") or "").strip()[:300] or None,
                                 call_ref=str(body.get("uniqueid") or "")[:64] or None,
                                 actor=agent)
    if body.get("do") == "dispatch" and case.kind != "emergency":
        case = store.route(case.number, actor=agent)
    return {"number": case.number, "status": case.status, "owner": case.owner,
            "duplicate": case.duplicate, **extra}


@require("agent")
async def save_case(request: web.Request) -> web.Response:
    c = ctx(request)
    body = await json_object(request)
    if len(str(body.get("text") or "")) > MAX_TEXT:
        raise web.HTTPBadRequest(text=f"the text is longer than {MAX_TEXT} characters")
    agent = f"agent:{request[SESSION]['name']}"
    try:
        result = await asyncio.to_thread(_save, c, agent, body)
    except CaseStoreError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    await announce_change(c, result["number"], "desk")
    result["status_name"] = word(result["status"], lang_of(request), STATUS_WORDS)
    return web.json_response(result)


@require("agent")
async def kb_search(request: web.Request) -> web.Response:
    q = request.query.get("q", "")[:200]
    hits = await asyncio.to_thread(ctx(request).store.search_knowledge, q) if q.strip() else []
    return web.json_response([{"question": x.entry.question, "answer": x.entry.answer,
                               "score": round(x.score, 2)} for x in hits])


@require("agent")
async def suggest_tags(request: web.Request) -> web.Response:
    text = request.query.get("text", "")[:MAX_TEXT]
    if not text.strip():
        raise web.HTTPBadRequest(text="give text to tag")
    return web.json_response(await asyncio.to_thread(suggest, ctx(request), text))


@require("agent")
async def seat_action(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    if action not in DESK_SEAT_ACTIONS:
        raise web.HTTPNotFound(text=f"unknown action {action!r}")
    seat = request[SESSION].get("seat") or ""
    body = await json_object(request) if action == "pause" and request.can_read_body else {}
    try:
        result = await AcdService(ctx(request)).seat_action(
            seat, action, str(body.get("reason") or "desk"), DESK_SEAT_ACTIONS)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return web.json_response({"seat": seat, "action": action, "state": str(result)})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/desk", desk_page)
    app.router.add_get("/desk/ws", desk_ws)
    app.router.add_post("/desk/case", save_case)
    app.router.add_get("/desk/kb", kb_search)
    app.router.add_get("/desk/suggest", suggest_tags)
    app.router.add_post("/desk/seat/{action}", seat_action)
    desk_transfer.add_routes(app)
    desk_consult.add_routes(app)
    desk_callbacks.add_routes(app)

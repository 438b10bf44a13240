"""Citizens' channels: the public web form (mobile, Chinese) and SMS / WeChat webhooks.

All create cases through ``case_intake.take`` (tagged by the tagger). The form is public
but CSRF-protected and rate-limited per address; webhooks need an API key of their
channel's scope, and WeChat's must also carry WeChat's signature (``wechat_sign``).
WeChat is answered in its passive reply XML. An SMS is answered by an SMS the hotline
owes in the case store and sends itself (``hotline.outbound``); the webhook's JSON shows
its text. An SMS reading "查询 <case number>" (or "CX <number>") is a progress lookup for
the sender's own case, answered the same way, and creates no case.
"""

from __future__ import annotations

import re
import time
from xml.etree.ElementTree import Element, SubElement, tostring

from aiohttp import web

from case_store.errors import CaseStoreError
from case_store.intake_service import Intake
from hotline.web import csrf, wechat_sign
from hotline.web.auth import require_key
from hotline.web.case_intake import take
from hotline.web.context import WebContext, ctx
from hotline.web.hourly_limit import over_hourly_limit
from hotline.web.html import h
from hotline.web.i18n import Words, lang_of
from hotline.web.payload import form_fields, json_object
from hotline.web.templates import page

FORM_LIMIT = 10  # submissions per address per hour
LOOKUP = re.compile(r"^\s*(查询|查|CX|cx)\s*[:：]?\s*([0-9]{8,20})\s*$")
MAX_TEXT = 2000
MAX_XML = 16 * 1024
_PHONE = re.compile(r"^(\+?86)?1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$")


def _form_html(request: web.Request, w: Words, error: str = "", values: dict | None = None):
    v = values or {}
    return h(
        '<form method="post" action="/report" class="card narrow" id="report-form">'
        "<h1>{}</h1><p>{}</p>{}{}"
        '<label>{}<input name="phone" id="r-phone" type="tel" inputmode="tel" required'
        ' maxlength="20" value="{}"></label>'
        '<label>{}<input name="name" id="r-name" maxlength="50" value="{}"></label>'
        '<label>{}<textarea name="text" id="r-text" rows="6" required maxlength="{}">{}'
        "</textarea></label>"
        '<label>{}<input name="place" id="r-place" maxlength="200" value="{}"></label>'
        '<button type="submit" id="r-submit">{}</button></form>',
        w.report, w.report_intro, h('<p class="error" role="alert">{}</p>', error) if error
        else "", csrf.field(request), w.your_phone, v.get("phone", ""), w.your_name,
        v.get("name", ""), w.your_request, MAX_TEXT, v.get("text", ""), w.place,
        v.get("place", ""), w.submit)


async def report_form(request: web.Request) -> web.Response:
    w = Words(lang_of(request))
    return page(request, w.report, _form_html(request, w))


async def report_submit(request: web.Request) -> web.Response:
    await csrf.check(request)
    c, w = ctx(request), Words(lang_of(request))
    form = await form_fields(request)
    values = {k: str(form.get(k, "")).strip() for k in ("phone", "name", "text", "place")}
    phone = values["phone"].replace(" ", "")
    error = ""
    if not _PHONE.match(phone):
        error = "请填写正确的手机或固定电话号码" if w.lang == "zh" else "Enter a valid phone number"
    elif not values["text"]:
        error = "请填写反映内容" if w.lang == "zh" else "Describe your request"
    elif len(values["text"]) > MAX_TEXT:
        error = f"内容不能超过 {MAX_TEXT} 字" if w.lang == "zh" else "The text is too long"
    elif await over_hourly_limit(c, "report", request.remote or "unknown", FORM_LIMIT):
        error = "提交过于频繁，请稍后再试" if w.lang == "zh" else "Too many requests; try later"
    if error:
        return page(request, w.report, _form_html(request, w, error, values), status=400)
    try:
        result = await take(c, Intake(channel="web", caller=phone, text=values["text"],
                                      caller_name=values["name"][:50] or None,
                                      place=values["place"][:200] or None))
    except CaseStoreError as exc:
        return page(request, w.report, _form_html(request, w, str(exc), values), status=400)
    body = h('<div class="card narrow"><h1>{}</h1><p class="big" id="report-number">{}</p>'
             '<p><a href="/report">{}</a></p></div>', w.report_ok, result.case.number, w.report)
    return page(request, w.report, body)


NOT_FOUND_SMS = "未查到与您手机号相符的该工单，请核对工单号。【8890】"


def _reply_text(number: str, duplicate: bool) -> str:
    if duplicate:
        return f"您的诉求已在办理中，工单号{number}，请勿重复提交。【8890】"
    return f"您的诉求已受理，工单号{number}，我们将尽快办理并回复。【8890】"


async def sms_hook(request: web.Request) -> web.Response:
    """Gateway posts {"from": phone, "text": ..., "id": ...}; gets the reply to send."""
    await require_key(request, "sms")
    c = ctx(request)
    body = await json_object(request)
    sender = str(body.get("from") or "").replace(" ", "")
    text = str(body.get("text") or "").strip()
    if not _PHONE.match(sender):
        raise web.HTTPBadRequest(text="'from' must be the sender's phone number")
    if not text or len(text) > MAX_TEXT:
        raise web.HTTPBadRequest(text=f"'text' must have 1-{MAX_TEXT} characters")
    lookup = LOOKUP.match(text)
    if lookup:
        return await _sms_lookup(c, lookup.group(2), sender)
    try:
        result = await take(c, Intake(channel="sms", caller=sender, text=text,
                                      extras={"sms_id": str(body.get("id") or "")[:64]}))
    except CaseStoreError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    reply = _reply_text(result.case.number, result.case.duplicate)
    await _to_thread(c.store.owe, result.case.number, "receipt", reply)
    return web.json_response({"case": result.case.number, "reply": reply,
                              "duplicate": result.case.duplicate}, status=201)


async def _sms_lookup(c: WebContext, number: str, sender: str) -> web.Response:
    """The sender's own case's progress, owed to them by SMS; else a plain not found
    (sent back only in the answer: nothing is owed on a case that is not theirs)."""
    found = await _to_thread(c.store.owe_progress, number, sender)
    if found is None:
        return web.json_response({"case": None, "reply": NOT_FOUND_SMS}, status=200)
    return web.json_response({"case": found.number, "reply": found.spoken()}, status=200)


def _wechat_reply(to_user: str, from_user: str, text: str) -> web.Response:
    root = Element("xml")
    for key, value in (("ToUserName", to_user), ("FromUserName", from_user),
                       ("CreateTime", str(int(time.time()))), ("MsgType", "text"),
                       ("Content", text)):
        SubElement(root, key).text = value
    return web.Response(body=tostring(root, encoding="unicode"), content_type="application/xml",
                        charset="utf-8")


async def _wechat_signed(request: web.Request) -> None:
    """WeChat's signature over the query (WeChat cannot send our headers), within five
    minutes of its timestamp, each nonce once: else 403."""
    c = ctx(request)
    if not c.wechat_token:
        raise web.HTTPServiceUnavailable(text="the WeChat token is not configured")
    q = request.query
    timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")[:64]
    if not wechat_sign.valid(c.wechat_token, timestamp, nonce, q.get("signature", "")):
        raise web.HTTPForbidden(text="WeChat signature missing or wrong")
    if not wechat_sign.fresh(timestamp, time.time()):
        raise web.HTTPForbidden(text="WeChat request outside its five-minute window")
    if not await c.redis.set(c.key("wechat", "nonce", nonce), "1", nx=True,
                             ex=2 * wechat_sign.WINDOW_S):
        raise web.HTTPForbidden(text="WeChat request replayed (nonce seen before)")


async def wechat_handshake(request: web.Request) -> web.Response:
    """WeChat checks the URL once: a signed GET whose ``echostr`` must come back as is."""
    await _wechat_signed(request)
    echo = request.query.get("echostr", "")
    if not echo or len(echo) > 128:
        raise web.HTTPBadRequest(text="echostr is missing or too long")
    return web.Response(text=echo, content_type="text/plain")


async def wechat_hook(request: web.Request) -> web.Response:
    """WeChat official-account text message in, passive text reply out (same XML shape)."""
    await _wechat_signed(request)
    raw = await request.read()
    if len(raw) > MAX_XML:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_XML, actual_size=len(raw),
                                            text="WeChat messages are at most 16 KiB")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise web.HTTPBadRequest(text="DTDs and entities are not accepted")
    from xml.etree.ElementTree import ParseError, fromstring

    try:
        msg = fromstring(raw)  # noqa: S314 - no DTD/entities (refused above), size-capped
    except ParseError as exc:
        raise web.HTTPBadRequest(text="body is not well-formed XML") from exc
    fields = {child.tag: (child.text or "") for child in msg}
    user, account = fields.get("FromUserName", ""), fields.get("ToUserName", "")
    if not user or not account:
        raise web.HTTPBadRequest(text="FromUserName and ToUserName are required")
    if fields.get("MsgType") != "text":
        return _wechat_reply(user, account, "目前仅支持文字留言，请用文字描述您的诉求。【8890】")
    text = fields.get("Content", "").strip()[:MAX_TEXT]
    from hotline.web.case_intake import suggest

    phone = (await _to_thread(suggest, ctx(request), text)).get("phone", "") if text else ""
    if not phone:
        return _wechat_reply(user, account,
                             "请在留言中附上您的联系电话，以便承办单位与您联系。【8890】")
    try:
        result = await take(ctx(request), Intake(channel="wechat", caller=phone, text=text,
                                                 extras={"wechat_user": user[:64]}))
    except CaseStoreError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return _wechat_reply(user, account, _reply_text(result.case.number, result.case.duplicate))


async def _to_thread(fn, *args):
    import asyncio

    return await asyncio.to_thread(fn, *args)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/report", report_form)
    app.router.add_post("/report", report_submit)
    app.router.add_post("/hooks/sms", sms_hook)
    app.router.add_get("/hooks/wechat", wechat_handshake)
    app.router.add_post("/hooks/wechat", wechat_hook)

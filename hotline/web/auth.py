"""Who is asking: browser sessions (in Redis, shared by every web node) and API keys.

A session is a random token in an HttpOnly cookie; Redis holds only its SHA-256, the
user's role and ties, and the CSRF token. It ends after SESSION_IDLE_S without use, at
SESSION_MAX_S whatever the use, and at once when the user is disabled or their password
changes (the account's stamp no longer matches). Failed logins are counted atomically
per user name and per address; a supervisor or admin can clear a user's lockout.
``require(*roles)`` guards a handler: anonymous browsers are sent to the login page,
scripts get 401, the wrong role gets 403, and every unsafe request must carry the CSRF
token.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from aiohttp import web

from case_store.accounts import KeyView
from hotline.web import csrf
from hotline.web.context import SESSION, ctx
from hotline.web.html import h
from hotline.web.i18n import Words, lang_of
from hotline.web.payload import form_fields, form_or_json
from hotline.web.templates import page

COOKIE = "hl_session"
SESSION_IDLE_S = 4 * 3600
SESSION_MAX_S = 12 * 3600  # a shift: a stolen cookie is not good for ever
MAX_FAILURES = 10  # per user name per FAILURE_WINDOW
MAX_ADDRESS_FAILURES = 30  # per client address (password spraying across names)
FAILURE_WINDOW = 900
HOME = {"agent": "/desk", "supervisor": "/wallboard", "department": "/dept",
        "company": "/company", "admin": "/wallboard", "elderly_centre": "/centre",
        "leader": "/leader"}
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(request: web.Request, user: dict) -> str:
    """Store a new session for ``user`` and return the cookie token."""
    c = ctx(request)
    token = secrets.token_urlsafe(32)
    session = {**user, "csrf": secrets.token_urlsafe(24), "born": time.time()}
    await c.redis.set(c.key("web", "session", _digest(token)), json.dumps(session),
                      ex=SESSION_IDLE_S)
    return token


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach ``request['session']`` when the cookie names a live session."""
    token = request.cookies.get(COOKIE)
    c = ctx(request)
    if token and c.redis is not None and len(token) < 100:
        key = c.key("web", "session", _digest(token))
        raw = await c.redis.get(key)
        session = json.loads(raw) if raw else None
        if session is not None and await _still_valid(c, session):
            request[SESSION] = session
            left = SESSION_MAX_S - (time.time() - float(session.get("born", 0)))
            await c.redis.expire(key, max(1, int(min(SESSION_IDLE_S, left))))
        elif session is not None:
            await c.redis.delete(key)
    return await handler(request)


async def _still_valid(c, session: dict) -> bool:
    """Within its absolute lifetime, and the account unchanged since the login."""
    if time.time() - float(session.get("born", 0)) > SESSION_MAX_S:
        return False
    if c.accounts is None:
        return True
    stamp = await asyncio.to_thread(c.accounts.session_stamp, int(session.get("id", 0)))
    return stamp is not None and stamp == session.get("stamp")


def user_of(request: web.Request) -> dict | None:
    return request.get(SESSION)


def _wants_html(request: web.Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("Accept", "")


def require(*roles: str) -> Callable[[Handler], Handler]:
    """Let through only a logged-in user of one of ``roles`` (CSRF-checked when unsafe)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            session = user_of(request)
            if session is None:
                if _wants_html(request):
                    raise web.HTTPFound("/login?next=" + quote(request.path_qs, safe="/"))
                raise web.HTTPUnauthorized(text="log in first")
            if session["role"] not in roles:
                raise web.HTTPForbidden(text="your role may not use this page")
            if request.method in UNSAFE:
                await csrf.check(request)
            return await handler(request)

        return guarded

    return wrap


def header_key(request: web.Request) -> str:
    """The key of ``X-Api-Key`` or ``Authorization: Bearer``; keys travel in a header,
    never in the URL, where proxies and access logs keep them."""
    key = request.headers.get("X-Api-Key", "")
    auth = request.headers.get("Authorization", "")
    if not key and auth.startswith("Bearer "):
        key = auth[7:].strip()
    return key


async def require_key(request: web.Request, scope: str, form_field: bool = False) -> None:
    """Refuse (401) a webhook or scrape without a valid API key of ``scope``.

    ``form_field``: also the ``api_key`` field of a POSTed form (Open311's GeoReport
    convention). These channels answer every refusal with 401, as they always have."""
    key = header_key(request)
    if not key and form_field and request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        key = (await form_fields(request)).get("api_key", "")
    found = await asyncio.to_thread(ctx(request).accounts.check_api_key, key, scope)
    if found is None:
        raise web.HTTPUnauthorized(text=f"a valid API key with scope {scope!r} is required")


async def require_scope(request: web.Request, *scopes: str) -> KeyView:
    """The machine API's guard: 401 without a valid key, 403 for a valid key of none of
    ``scopes`` (the caller is known, the key just may not do this)."""
    found = await asyncio.to_thread(ctx(request).accounts.find_api_key, header_key(request))
    wanted = " or ".join(repr(s) for s in scopes)
    if found is None:
        raise web.HTTPUnauthorized(text=f"a valid API key with scope {wanted} is required")
    if found.scope not in scopes:
        raise web.HTTPForbidden(text=f"this key has scope {found.scope!r}; {wanted} is needed")
    return found


def _safe_next(target: str | None, role: str) -> str:
    """A same-origin path only. Browsers drop tabs and newlines and read a backslash as a
    slash, so "/\t/evil.com" or "/\\evil.com" would leave the site: refused."""
    if target and _same_origin_path(target):
        return target
    return HOME.get(role, "/")


def _same_origin_path(target: str) -> bool:
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


async def login_page(request: web.Request, error: str = "") -> web.Response:
    w = Words(lang_of(request))
    nxt = request.query.get("next", "")
    body = h(
        '<form method="post" action="/login" class="card narrow" id="login-form">'
        "<h1>{}</h1>{}{}"
        '<input type="hidden" name="next" value="{}">'
        '<label>{}<input name="username" id="username" autocomplete="username" required'
        ' maxlength="64"></label>'
        '<label>{}<input name="password" id="password" type="password" required'
        ' autocomplete="current-password" maxlength="200"></label>'
        '<button type="submit" id="login-button">{}</button></form>',
        w.login, h('<p class="error" role="alert">{}</p>', error) if error else "",
        csrf.field(request), nxt, w.username, w.password, w.login,
    )
    return page(request, w.login, body, status=401 if error else 200)


async def login(request: web.Request) -> web.StreamResponse:
    """Check the form, the CSRF cookie and the failure counter; then open a session."""
    await csrf.check(request)
    c = ctx(request)
    w = Words(lang_of(request))
    form = await form_fields(request)
    name = str(form.get("username", ""))[:64]
    password = str(form.get("password", ""))[:200]
    user_key, address_key = _name_key(c, name), _address_key(c, request.remote or "")
    # Counted before the password is checked: parallel guesses cannot pass the limit.
    async with c.redis.pipeline(transaction=True) as pipe:
        for key in (user_key, address_key):
            pipe.incr(key)
            pipe.expire(key, FAILURE_WINDOW, nx=True)
        user_count, _, address_count, _ = await pipe.execute()
    if user_count > MAX_FAILURES or address_count > MAX_ADDRESS_FAILURES:
        return await login_page(request, w.login_throttled)
    user = await asyncio.to_thread(c.accounts.authenticate, name, password)
    stamp = await asyncio.to_thread(c.accounts.session_stamp, user.id) if user else None
    if user is None or stamp is None:
        return await login_page(request, w.login_failed)
    await c.redis.delete(user_key)
    await c.redis.decr(address_key)  # a good login does not count against the address
    token = await open_session(request, {"id": user.id, "name": user.name, "role": user.role,
                                         "seat": user.seat, "dept": user.dept,
                                         "company": user.company, "stamp": stamp})
    response = web.HTTPFound(_safe_next(str(form.get("next", "")), user.role))
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", path="/",
                        secure=c.secure_cookies, max_age=SESSION_MAX_S)
    raise response


def _name_key(c, name: str) -> str:
    return c.key("web", "login-fail", hashlib.sha256(name.encode()).hexdigest()[:32])


def _address_key(c, address: str) -> str:
    return c.key("web", "login-fail-from", hashlib.sha256(address.encode()).hexdigest()[:32])


@require("supervisor", "admin")
async def clear_lockout(request: web.Request) -> web.Response:
    """A supervisor lets a locked-out agent try again (the address limit stays)."""
    c = ctx(request)
    name = str((await form_or_json(request)).get("username", ""))[:64]
    if not name:
        raise web.HTTPBadRequest(text="give the username whose lockout to clear")
    cleared = bool(await c.redis.delete(_name_key(c, name)))
    return web.json_response({"username": name, "cleared": cleared})


async def logout(request: web.Request) -> web.StreamResponse:
    session = user_of(request)
    if session is not None:
        await csrf.check(request)
        token = request.cookies.get(COOKIE, "")
        await ctx(request).redis.delete(ctx(request).key("web", "session", _digest(token)))
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def set_language(request: web.Request) -> web.StreamResponse:
    lang = request.match_info["lang"]
    back = request.headers.get("Referer", "/")
    response = web.HTTPFound(_safe_next(_path_of(back), "") if back else "/")
    if lang in ("zh", "en"):
        response.set_cookie("hl_lang", lang, path="/", samesite="Lax", max_age=365 * 86400)
    raise response


def _path_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_post("/login/unlock", clear_lockout)
    app.router.add_get("/lang/{lang}", set_language)

"""Who is asking: browser sessions (in Redis, shared by every web node) and API keys.

A session is a random token in an HttpOnly cookie; Redis holds only its SHA-256, the
user's role and ties, and the CSRF token, and forgets it after a day without use.
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
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from hotline.web import csrf
from hotline.web.context import SESSION, ctx
from hotline.web.html import h
from hotline.web.i18n import Words, lang_of
from hotline.web.templates import page

COOKIE = "hl_session"
SESSION_TTL = 24 * 3600
MAX_FAILURES = 10  # per user name per FAILURE_WINDOW
FAILURE_WINDOW = 900
HOME = {"agent": "/desk", "supervisor": "/wallboard", "department": "/dept",
        "company": "/company", "admin": "/wallboard"}
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(request: web.Request, user: dict) -> str:
    """Store a new session for ``user`` and return the cookie token."""
    c = ctx(request)
    token = secrets.token_urlsafe(32)
    session = {**user, "csrf": secrets.token_urlsafe(24)}
    await c.redis.set(c.key("web", "session", _digest(token)), json.dumps(session),
                      ex=SESSION_TTL)
    return token


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach ``request['session']`` when the cookie names a live session."""
    token = request.cookies.get(COOKIE)
    c = ctx(request)
    if token and c.redis is not None and len(token) < 100:
        key = c.key("web", "session", _digest(token))
        raw = await c.redis.get(key)
        if raw:
            request[SESSION] = json.loads(raw)
            await c.redis.expire(key, SESSION_TTL)
    return await handler(request)


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


async def require_key(request: web.Request, scope: str) -> None:
    """Refuse (401) a machine request without a valid API key of ``scope``."""
    key = request.headers.get("X-Api-Key", "")
    auth = request.headers.get("Authorization", "")
    if not key and auth.startswith("Bearer "):
        key = auth[7:].strip()
    if not key:
        key = request.query.get("api_key", "")
        if not key and request.content_type == "application/x-www-form-urlencoded":
            key = str((await request.post()).get("api_key", ""))
    found = await asyncio.to_thread(ctx(request).accounts.check_api_key, key, scope)
    if found is None:
        raise web.HTTPUnauthorized(text=f"a valid API key with scope {scope!r} is required")


def _safe_next(target: str | None, role: str) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME.get(role, "/")


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
    form = await request.post()
    name = str(form.get("username", ""))[:64]
    password = str(form.get("password", ""))[:200]
    fails_key = c.key("web", "login-fail", hashlib.sha256(name.encode()).hexdigest()[:32])
    if int(await c.redis.get(fails_key) or 0) >= MAX_FAILURES:
        return await login_page(request, w.login_throttled)
    user = await asyncio.to_thread(c.accounts.authenticate, name, password)
    if user is None:
        await c.redis.incr(fails_key)
        await c.redis.expire(fails_key, FAILURE_WINDOW)
        return await login_page(request, w.login_failed)
    await c.redis.delete(fails_key)
    token = await open_session(request, {"id": user.id, "name": user.name, "role": user.role,
                                         "seat": user.seat, "dept": user.dept,
                                         "company": user.company})
    response = web.HTTPFound(_safe_next(str(form.get("next", "")), user.role))
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", path="/",
                        secure=c.secure_cookies, max_age=SESSION_TTL)
    raise response


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
    app.router.add_get("/lang/{lang}", set_language)

"""CSRF protection: every unsafe request from a browser carries the session's token.

Logged-in forms carry the token kept in the session; anonymous forms (login, the
citizen form) use a double-submit cookie. Script calls send it as ``X-CSRF-Token``.
Requests authenticated by an API key carry no cookies and need no token.
"""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

from hotline.web.context import NEW_CSRF, SESSION
from hotline.web.html import Safe, h
from hotline.web.payload import form_fields

COOKIE = "hl_csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def anonymous_token(request: web.Request) -> str:
    """The visitor's double-submit token (a new one is set by the middleware if missing)."""
    token = request.cookies.get(COOKIE) or request.get(NEW_CSRF)
    if not token:
        token = secrets.token_urlsafe(24)
        request[NEW_CSRF] = token
    return token


def token_for(request: web.Request) -> str:
    """The token forms on this page must send back."""
    session = request.get(SESSION)
    if session:
        return session["csrf"]
    return anonymous_token(request)


def field(request: web.Request) -> Safe:
    return h('<input type="hidden" name="{}" value="{}">', FIELD, token_for(request))


async def check(request: web.Request) -> None:
    """Refuse (403) an unsafe request whose token is missing or wrong."""
    expected = token_for(request)
    sent = request.headers.get(HEADER, "")
    if not sent and request.content_type in ("application/x-www-form-urlencoded",
                                             "multipart/form-data"):
        sent = (await form_fields(request)).get(FIELD, "")
    if not sent or not hmac.compare_digest(sent, expected):
        raise web.HTTPForbidden(text="CSRF token missing or wrong; reload the page and retry")


@web.middleware
async def cookie_middleware(request: web.Request, handler):
    """Set the double-submit cookie when a page minted one."""
    response = await handler(request)
    minted = request.get(NEW_CSRF)
    if minted and isinstance(response, web.StreamResponse) and not response.prepared:
        response.set_cookie(COOKIE, minted, httponly=True, samesite="Strict", path="/")
    return response

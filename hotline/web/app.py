"""Build the aiohttp application: context, middlewares, routes of every console part.

``create_app(health)`` alone still gives the public status page and /healthz (what the
telephony tests and a bare `hotline run` need); with a case store and Redis it adds
accounts, portals, Open311, intake, the wallboard, the agent desk, the elderly registry,
the machine API (/api/acd, /api/cases) and /metrics.
"""

from __future__ import annotations

import logging
import weakref
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web

from acd.callback_numbers import NumberPlan
from case_store.changes import CaseChanges
from case_store.db import DATABASE_UNREACHABLE
from case_store.intake_service import IntakeService
from hotline.web import auth, csrf, status
from hotline.web.context import CTX, WEBSOCKETS, WS_USERS, HealthSource, WebContext
from hotline.web.html import h
from hotline.web.i18n import Words, lang_of
from hotline.web.pause_reasons import configured_names

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
MAX_BODY = 256 * 1024
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def _machine(request: web.Request) -> bool:
    """API and webhook paths answer errors in JSON; pages answer in HTML."""
    return request.path.startswith(("/open311/", "/hooks/", "/api/", "/metrics")) or \
        "text/html" not in request.headers.get("Accept", "")


def _error_response(request: web.Request, status_code: int, message: str) -> web.Response:
    if _machine(request):
        return web.json_response({"error": message, "status": status_code}, status=status_code)
    from hotline.web.templates import page

    w = Words(lang_of(request))
    title = {403: w.forbidden, 404: w.not_found}.get(status_code, str(status_code))
    body = h('<h1>{}</h1><p class="error" role="alert">{}</p>', title, message)
    return page(request, title, body, status=status_code)


@web.middleware
async def errors_and_headers(request: web.Request, handler) -> web.StreamResponse:
    """Uniform error bodies (never a stack trace) and security headers on every answer."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.text or exc.reason
        if message.startswith(f"{exc.status}: "):
            message = message.split(": ", 1)[1]
        response = _error_response(request, exc.status, message)
    except DATABASE_UNREACHABLE as exc:
        log.warning("database away on %s %s: %s", request.method, request.path,
                    type(exc).__name__)
        response = _error_response(request, 503, Words(lang_of(request)).database_away)
        response.headers["Retry-After"] = "10"
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        response = _error_response(request, 500, "internal error; it has been logged")
    ctx_obj = request.app[CTX]
    ctx_obj.count(f"http_{response.status // 100}xx")
    if not response.prepared:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


async def _close_websockets(app: web.Application) -> None:
    for ws in list(app[WEBSOCKETS]):
        await ws.close(code=1001, message=b"server shutting down")


def create_app(health: HealthSource, *, store: Any = None, redis: Any = None,
               cfg: Any = None, ami: Any = None, accounts: Any = None, tagger: Any = None,
               intake: Any = None, elderly_registry: Any = None,
               wechat_token: str = "", seat_journal: Any = None,
               seats: list[str] | None = None) -> web.Application:
    """The console; parts that need the store or Redis appear only when given them.
    `seats`: the ones `hotline run` resolved (hotline.seats); default the configured range."""
    context = WebContext(health=health, store=store, redis=redis, ami=ami, tagger=tagger,
                         wechat_token=wechat_token, seat_journal=seat_journal)
    if cfg is not None:
        context.prefix = cfg.key_prefix
        context.seats = list(cfg.seats if seats is None else seats)
        context.number_plan = NumberPlan.from_config(cfg)
        context.hotline_number = cfg.hotline_number
        context.secure_cookies = cfg.web_secure_cookies
        context.wrapup_s = cfg.acd_wrapup_s
        context.pause_names = configured_names(cfg.acd_pause_reasons)
        context.recordings_dir = cfg.call_recordings_dir
    context.changes = CaseChanges(redis, context.prefix)
    context.intake = intake or IntakeService(store, tagger, context.changes)
    if store is not None and accounts is None:
        from case_store.accounts import AccountStore

        accounts = AccountStore(store.engine)
    context.accounts = accounts
    if store is not None and elderly_registry is None:
        from case_store.elderly import ElderlyRegistry

        elderly_registry = ElderlyRegistry(store.engine, check_number=context.number_plan.national)
    context.elderly = elderly_registry
    if store is not None and context.recordings_dir is not None:
        from case_store.recordings import CallRecordings

        context.recordings = CallRecordings(store.engine)
    app = web.Application(client_max_size=MAX_BODY, middlewares=[
        errors_and_headers, auth.session_middleware, csrf.cookie_middleware])
    app[CTX] = context
    app[WEBSOCKETS] = weakref.WeakSet()
    app[WS_USERS] = Counter()
    app.on_shutdown.append(_close_websockets)
    status.add_routes(app)
    app.router.add_static("/static", STATIC)
    from hotline.web import metrics

    metrics.add_routes(app)
    if store is not None and redis is not None:
        from hotline.web import (
            acd_api,
            api_doc,
            case_api,
            centre,
            desk,
            elderly,
            intake,
            leader,
            notices,
            open311,
            portals,
            progress,
            recordings,
            reports,
            reports_agents,
            wallboard,
        )

        auth.add_routes(app)
        portals.add_routes(app)
        leader.add_routes(app)
        notices.add_routes(app)
        open311.add_routes(app)
        intake.add_routes(app)
        wallboard.add_routes(app)
        desk.add_routes(app)
        elderly.add_routes(app)
        centre.add_routes(app)
        progress.add_routes(app)
        reports.add_routes(app)
        reports_agents.add_routes(app)
        recordings.add_routes(app)
        acd_api.add_routes(app)
        api_doc.add_routes(app)
        case_api.add_routes(app)
    return app

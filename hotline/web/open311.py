"""Open311 GeoReport v2 over HTTP: the public service list, API-key reads and writes.

JSON and XML (by the ``.json`` / ``.xml`` suffix). Errors are GeoReport error lists
with a 4xx status. Writes go through ``case_intake.take`` like every web channel.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from aiohttp import web

from case_store.errors import CaseStoreError
from case_store.intake_service import Intake
from hotline.web.auth import require_key
from hotline.web.case_intake import take
from hotline.web.context import ctx
from hotline.web.open311_map import (
    Open311Error,
    parse_post,
    request_record,
    services,
    statuses_for,
    to_xml,
)
from hotline.web.openapi import OPENAPI
from hotline.web.payload import form_fields

BASE = "/open311/v2"


def _reply(request: web.Request, root: str, item: str, records: list[dict[str, Any]],
           status: int = 200) -> web.Response:
    if request.match_info.get("fmt") == "xml":
        return web.Response(body=to_xml(root, item, records), status=status,
                            content_type="text/xml", charset="utf-8")
    return web.json_response(records, status=status,
                             dumps=lambda v: json.dumps(v, ensure_ascii=False))


def _errors(request: web.Request, errors: list[dict[str, Any]], status: int) -> web.Response:
    return _reply(request, "errors", "error", errors, status)


async def _keyed(request: web.Request) -> web.Response | None:
    """None when the request carries a writer key, else the 401 GeoReport error."""
    try:
        await require_key(request, "open311", form_field=True)
    except web.HTTPUnauthorized as exc:
        return _errors(request, [{"code": 401, "description": exc.text}], 401)
    return None


async def list_services(request: web.Request) -> web.Response:
    return _reply(request, "services", "service", services(ctx(request).store.catalog))


async def service_definition(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    if code not in ctx(request).store.catalog.topics:
        return _errors(request, [{"code": 404, "description": f"no service {code!r}"}], 404)
    return web.json_response({"service_code": code, "attributes": []})


def _dates(request: web.Request) -> tuple[datetime | None, datetime | None]:
    out = []
    for name in ("start_date", "end_date"):
        raw = request.query.get(name, "")
        if not raw:
            out.append(None)
            continue
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError as exc:
            raise Open311Error([{"code": 400, "description":
                                 f"{name} must be a W3C datetime"}]) from exc
        if moment.tzinfo is None:
            raise Open311Error([{"code": 400, "description": f"{name} needs a time zone"}])
        out.append(moment)
    return out[0], out[1]


async def _records(request: web.Request, **filters: Any) -> list[dict[str, Any]]:
    c = ctx(request)

    def read() -> list[dict[str, Any]]:
        cases = c.store.search_cases(**filters)
        extras = c.store.intake_details([x.number for x in cases])
        owners = c.store.owner_names()
        return [request_record(x, c.store.catalog, extras.get(x.number, {}), owners)
                for x in cases]

    return await asyncio.to_thread(read)


async def list_requests(request: web.Request) -> web.Response:
    refused = await _keyed(request)
    if refused:
        return refused
    q = request.query
    try:
        start, end = _dates(request)
        statuses = statuses_for(q["status"]) if q.get("status") else None
    except Open311Error as exc:
        return _errors(request, exc.errors, exc.status)
    numbers = [n for n in q.get("service_request_id", "").split(",") if n][:100]
    topics = [t for t in q.get("service_code", "").split(",") if t][:50]
    records = await _records(request, numbers=numbers or None, topics=topics or None,
                             statuses=statuses, start=start, end=end)
    return _reply(request, "service_requests", "request", records)


async def get_request(request: web.Request) -> web.Response:
    refused = await _keyed(request)
    if refused:
        return refused
    number = request.match_info["id"]
    records = await _records(request, numbers=[number])
    if not records:
        return _errors(request, [{"code": 404, "description": f"no request {number!r}"}], 404)
    return _reply(request, "service_requests", "request", records)


async def _form(request: web.Request) -> dict[str, str]:
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Open311Error([{"code": 400, "description": "body is not valid JSON"}]) from exc
        if not isinstance(body, dict):
            raise Open311Error([{"code": 400, "description": "body must be a JSON object"}])
        return {str(k): "" if v is None else str(v) for k, v in body.items()}
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            return await form_fields(request)
        except web.HTTPBadRequest as exc:
            raise Open311Error([{"code": 400, "description": exc.text}]) from exc
    raise Open311Error([{"code": 415, "description":
                         "send application/x-www-form-urlencoded or application/json"}], 415)


async def post_request(request: web.Request) -> web.Response:
    try:
        form = await _form(request)
    except Open311Error as exc:
        return _errors(request, exc.errors, exc.status)
    refused = await _keyed(request)
    if refused:
        return refused
    c = ctx(request)
    try:
        posted = parse_post(form, c.store.catalog)
        result = await take(c, Intake(channel="web", caller=posted.phone,
                                      text=posted.description, caller_name=posted.name,
                                      place=posted.address, lat=posted.lat, lon=posted.lon,
                                      topic=posted.service_code,
                                      extras={**posted.extras, "source": "open311"}))
    except Open311Error as exc:
        return _errors(request, exc.errors, exc.status)
    except CaseStoreError as exc:
        return _errors(request, [{"code": 400, "description": str(exc)}], 400)
    notice = "相同诉求已受理" if result.case.duplicate else "已受理"
    return _reply(request, "service_requests", "request",
                  [{"service_request_id": result.case.number, "service_notice": notice,
                    "account_id": posted.extras.get("account_id")}], 201)


async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


def add_routes(app: web.Application) -> None:
    fmt = "{fmt:json|xml}"
    app.router.add_get(f"{BASE}/services.{fmt}", list_services)
    app.router.add_get(f"{BASE}/services/{{code}}.{fmt}", service_definition)
    app.router.add_get(f"{BASE}/requests.{fmt}", list_requests)
    app.router.add_post(f"{BASE}/requests.{fmt}", post_request)
    app.router.add_get(f"{BASE}/requests/{{id}}.{fmt}", get_request)
    app.router.add_get(f"{BASE}/openapi.json", openapi)

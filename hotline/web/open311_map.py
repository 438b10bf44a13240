"""Open311 GeoReport v2 <-> the case store, as pure functions (no I/O).

Services are the catalog's topics (service_code = topic code, group = kind name). A
request's status is "open" until the handler replied, then "closed"; status_notes
carry the finer case status in words. Posting validates every field and reports all
problems at once, as GeoReport error objects.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from case_store.redaction import redact_personal
from case_store.service_catalog import Catalog
from case_store.views import CaseView

OPEN_STATES = ("received", "assigned", "accepted", "in_progress")
CLOSED_STATES = ("replied", "visiting", "closed", "merged")
STATUS_NOTES = {"received": "已受理", "assigned": "已派发至承办单位", "accepted": "承办单位已签收",
                "in_progress": "办理中", "replied": "已答复", "visiting": "回访中",
                "closed": "已办结", "merged": "已与相同诉求合并"}
MAX_DESCRIPTION = 4000
_PHONE = re.compile(r"^\+?[0-9][0-9-]{5,19}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
POST_FIELDS = ("service_code", "lat", "long", "address_string", "address_id", "email",
               "device_id", "account_id", "first_name", "last_name", "phone", "description",
               "media_url", "api_key", "jurisdiction_id")


class Open311Error(ValueError):
    """Bad request input; ``errors`` are GeoReport error objects (code + description)."""

    def __init__(self, errors: list[dict[str, Any]], status: int = 400) -> None:
        super().__init__("; ".join(e["description"] for e in errors))
        self.errors = errors
        self.status = status


def services(catalog: Catalog) -> list[dict[str, Any]]:
    """GeoReport service list: one entry per catalog topic."""
    return [{"service_code": t.code, "service_name": t.name,
             "description": f"{t.name}（{catalog.kinds.get(t.kind, t.kind)}）",
             "metadata": False, "type": "realtime", "keywords": t.kind,
             "group": catalog.kinds.get(t.kind, t.kind)}
            for t in catalog.topics.values()]


def status_of(case_status: str) -> str:
    return "open" if case_status in OPEN_STATES else "closed"


def statuses_for(open311_status: str) -> tuple[str, ...]:
    if open311_status == "open":
        return OPEN_STATES
    if open311_status == "closed":
        return CLOSED_STATES
    raise Open311Error([{"code": 400, "description": "status must be open or closed"}])


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def request_record(case: CaseView, catalog: Catalog, extras: dict[str, Any],
                   owners: dict[str, str]) -> dict[str, Any]:
    """One service request as GeoReport shows it: public, so the description has the
    citizen's phone numbers, ID-card numbers and names hidden (the console shows the full
    text to the roles that handle the case)."""
    topic = catalog.topics.get(case.topic or "")
    notes = STATUS_NOTES.get(case.status, case.status)
    return {
        "service_request_id": case.number,
        "status": status_of(case.status),
        "status_notes": notes,
        "service_name": topic.name if topic else case.kind,
        "service_code": case.topic,
        "description": redact_personal(case.text),
        "agency_responsible": owners.get(case.owner or "", case.owner),
        "service_notice": None,
        "requested_datetime": _iso(case.received_at),
        "updated_datetime": _iso(case.assigned_at or case.received_at),
        "expected_datetime": _iso(case.due_at or case.contact_due_at),
        "address": case.place,
        "address_id": extras.get("address_id"),
        "zipcode": extras.get("zipcode"),
        "lat": extras.get("lat"),
        "long": extras.get("long"),
        "media_url": extras.get("media_url"),
    }


@dataclass(frozen=True)
class PostedRequest:
    service_code: str
    description: str
    phone: str
    name: str | None
    address: str | None
    lat: float | None
    lon: float | None
    extras: dict[str, Any]


def _number(raw: str, name: str, low: float, high: float, errors: list) -> float | None:
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        errors.append({"code": 400, "description": f"{name} must be a number"})
        return None
    if not math.isfinite(value) or not low <= value <= high:
        errors.append({"code": 400, "description": f"{name} must be between {low} and {high}"})
        return None
    return value


def parse_post(form: dict[str, str], catalog: Catalog) -> PostedRequest:
    """Validate a POST requests.json form; raise Open311Error listing every problem."""
    errors: list[dict[str, Any]] = []
    unknown = sorted(set(form) - set(POST_FIELDS) - {"attribute"})
    unknown = [k for k in unknown if not k.startswith("attribute[")]
    if unknown:
        errors.append({"code": 400, "description": f"unknown fields: {', '.join(unknown[:10])}"})
    code = form.get("service_code", "").strip()
    if not code:
        errors.append({"code": 400, "description": "service_code is required"})
    elif code not in catalog.topics:
        errors.append({"code": 404, "description": f"service_code {code!r} not found"})
    description = form.get("description", "").strip()
    if not description:
        errors.append({"code": 400, "description": "description is required"})
    elif len(description) > MAX_DESCRIPTION:
        errors.append({"code": 400, "description":
                       f"description is longer than {MAX_DESCRIPTION} characters"})
    lat = _number(form.get("lat", "").strip(), "lat", -90, 90, errors)
    lon = _number(form.get("long", "").strip(), "long", -180, 180, errors)
    if (lat is None) != (lon is None):
        errors.append({"code": 400, "description": "give both lat and long, or neither"})
    address = form.get("address_string", "").strip()[:300] or None
    if lat is None and lon is None and not address and not form.get("address_id"):
        errors.append({"code": 400, "description":
                       "a location is required: lat and long, address_string or address_id"})
    phone = form.get("phone", "").strip().replace(" ", "")
    if not phone:
        errors.append({"code": 400, "description": "phone is required (the hotline calls back)"})
    elif not _PHONE.match(phone):
        errors.append({"code": 400, "description": "phone is not a phone number"})
    email = form.get("email", "").strip()
    if email and not _EMAIL.match(email):
        errors.append({"code": 400, "description": "email is not an e-mail address"})
    media = form.get("media_url", "").strip()
    if media and not (media.startswith("https://") or media.startswith("http://")):
        errors.append({"code": 400, "description": "media_url must be an http(s) URL"})
    for key in ("first_name", "last_name", "device_id", "account_id", "address_id", "email",
                "media_url"):
        if len(form.get(key, "")) > 300:
            errors.append({"code": 400, "description": f"{key} is too long"})
    if errors:
        raise Open311Error(errors)
    name = " ".join(p for p in (form.get("last_name", "").strip(),
                                form.get("first_name", "").strip()) if p) or None
    extras = {k: form.get(k, "").strip() or None
              for k in ("email", "first_name", "last_name", "device_id", "account_id",
                        "address_id", "media_url")}
    extras.update({"lat": lat, "long": lon})
    return PostedRequest(code, description, phone, name, address, lat, lon, extras)


def to_xml(root: str, item: str, records: list[dict[str, Any]]) -> bytes:
    """GeoReport's XML shape: <root><item><field>value</field>...</item></root>."""
    top = Element(root)
    for record in records:
        node = SubElement(top, item)
        for key, value in record.items():
            child = SubElement(node, key)
            if value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(top, encoding="unicode").encode()

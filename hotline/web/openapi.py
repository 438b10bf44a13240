"""The OpenAPI 3 documents: Open311's (public, served at /open311/v2/openapi.json) and the
console's JSON API for sessions (the elderly registry, at /api/openapi.json to the roles
that use it). Two documents because Open311's is public and lives under its own base
URL; the console's API is neither.

Tests check real responses against the schemas here, so the documents cannot drift
from what the server sends.
"""

from __future__ import annotations

from case_store.elderly import END_OF_DAY

_NULL_STR = {"type": ["string", "null"]}
_NULL_NUM = {"type": ["number", "null"]}

SERVICE = {
    "type": "object",
    "required": ["service_code", "service_name", "description", "metadata", "type",
                 "keywords", "group"],
    "additionalProperties": False,
    "properties": {
        "service_code": {"type": "string"}, "service_name": {"type": "string"},
        "description": {"type": "string"}, "metadata": {"type": "boolean"},
        "type": {"enum": ["realtime", "batch", "blackbox"]},
        "keywords": {"type": "string"}, "group": {"type": "string"},
    },
}

SERVICE_REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "description",
                 "requested_datetime"],
    "additionalProperties": False,
    "properties": {
        "service_request_id": {"type": "string"},
        "status": {"enum": ["open", "closed"]},
        "status_notes": _NULL_STR, "service_name": _NULL_STR, "service_code": _NULL_STR,
        "description": {"type": "string"}, "agency_responsible": _NULL_STR,
        "service_notice": _NULL_STR, "requested_datetime": {"type": "string"},
        "updated_datetime": _NULL_STR, "expected_datetime": _NULL_STR,
        "address": _NULL_STR, "address_id": _NULL_STR, "zipcode": _NULL_STR,
        "lat": _NULL_NUM, "long": _NULL_NUM, "media_url": _NULL_STR,
    },
}

CREATED = {
    "type": "object",
    "required": ["service_request_id", "service_notice"],
    "additionalProperties": False,
    "properties": {"service_request_id": {"type": "string"},
                   "service_notice": {"type": "string"}, "account_id": _NULL_STR},
}

ERROR = {
    "type": "object", "required": ["code", "description"], "additionalProperties": False,
    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
}


def _list(ref: str) -> dict:
    return {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


_ERRORS = {"description": "GeoReport errors", **_json(_list("Error"))}
_KEY = [{"apiKey": []}]
_FIELDS = {name: {"type": "string"} for name in (
    "service_code", "address_string", "address_id", "email", "device_id", "account_id",
    "first_name", "last_name", "phone", "description", "media_url")}
_FIELDS.update({"lat": {"type": "number"}, "long": {"type": "number"}})
_EXAMPLE = {"service_code": "road_damage", "description": "八一北街人行道井盖缺失",
            "address_string": "婺城区八一北街 123 号", "phone": "13812345678"}

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "8890 hotline Open311 GeoReport v2", "version": "2.0"},
    "servers": [{"url": "/open311/v2"}],
    "components": {
        "schemas": {"Service": SERVICE, "ServiceRequest": SERVICE_REQUEST,
                    "Created": CREATED, "Error": ERROR},
        "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}},
    },
    "paths": {
        "/services.json": {"get": {
            "summary": "Service list (public)", "security": [],
            "responses": {"200": {"description": "services", **_json(_list("Service"))}}}},
        "/requests.json": {
            "get": {"summary": "Search service requests", "security": _KEY,
                    "parameters": [{"name": n, "in": "query", "schema": {"type": "string"}}
                                   for n in ("service_request_id", "service_code",
                                             "start_date", "end_date", "status")],
                    "responses": {"200": {"description": "requests",
                                          **_json(_list("ServiceRequest"))},
                                  "400": _ERRORS, "401": _ERRORS}},
            "post": {"summary": "Create a service request", "security": _KEY,
                     "requestBody": {"required": True, "content": {
                         "application/x-www-form-urlencoded": {"schema": {
                             "type": "object", "properties": _FIELDS,
                             "required": ["service_code", "description", "phone"]},
                             "example": _EXAMPLE}}},
                     "responses": {"201": {"description": "created",
                                           **_json(_list("Created"))},
                                   "400": _ERRORS, "401": _ERRORS, "404": _ERRORS,
                                   "413": {"description": "too large"},
                                   "415": _ERRORS}},
        },
        "/requests/{service_request_id}.json": {"get": {
            "summary": "One service request", "security": _KEY,
            "parameters": [{"name": "service_request_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "the request",
                                  **_json(_list("ServiceRequest"))},
                          "401": _ERRORS, "404": _ERRORS}}},
    },
}


_TEXT = {"type": "string"}
_DAYS = {"type": "string", "description": "daily, weekdays, weekends or e.g. mon,wed,fri"}
_TIME = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}
CONTACT = {
    "type": "object", "required": ["name", "relation", "phone"], "additionalProperties": False,
    "properties": {"name": _TEXT, "relation": _TEXT,
                   "phone": {"type": "string", "description": "inside the callback dial "
                             "plan; stored in national form"}},
}
CARE_PLAN_ENTRY = {
    "type": "object", "required": ["service", "days"], "additionalProperties": False,
    "properties": {"service": _TEXT, "days": _DAYS,
                   "time": {"type": "string", "description": "HH:MM or empty"}},
}
CHECKIN_WINDOW = {
    "type": "object", "required": ["start", "end"], "additionalProperties": False,
    "properties": {"days": _DAYS, "start": _TIME,
                   "end": {"anyOf": [_TIME, {"const": END_OF_DAY}]}},
}
_PROFILE_FIELDS = {
    "name": _TEXT, "address": _TEXT, "community": _TEXT, "lat": _NULL_NUM, "lon": _NULL_NUM,
    "health_notes": _TEXT, "medicines": _TEXT, "mobility": _TEXT,
    "dialect": {"enum": ["mandarin", "jinhua"]}, "worker_name": _TEXT, "worker_phone": _TEXT,
    "care_plan": _list("CarePlanEntry"), "checkin_windows": _list("CheckinWindow"),
    "active": {"type": "boolean"}, "contacts": {**_list("Contact"), "maxItems": 3},
}
PROFILE_INPUT = {
    "type": "object", "required": ["name"], "additionalProperties": False,
    "properties": {**_PROFILE_FIELDS, "terminal": _TEXT, "created_at": _NULL_STR,
                   "updated_at": _NULL_STR},
}
PROFILE = {
    "type": "object", "additionalProperties": False,
    "required": ["terminal", *_PROFILE_FIELDS, "created_at", "updated_at"],
    "properties": {**_PROFILE_FIELDS, "terminal": _TEXT, "created_at": _TEXT,
                   "updated_at": _TEXT},
}
PROFILE_SUMMARY = {
    "type": "object", "required": ["terminal", "name", "community", "active"],
    "additionalProperties": False,
    "properties": {"terminal": _TEXT, "name": _TEXT, "community": _TEXT,
                   "active": {"type": "boolean"}},
}
DEACTIVATED = {
    "type": "object", "required": ["terminal", "active"], "additionalProperties": False,
    "properties": {"terminal": _TEXT, "active": {"type": "boolean"}},
}
CONSOLE_ERROR = {
    "type": "object", "required": ["error", "status"], "additionalProperties": False,
    "properties": {"error": _TEXT, "status": {"type": "integer"}},
}
_ERROR = {"description": "refused, with why", **_json({"$ref": "#/components/schemas/Error"})}
_REFUSED = {"400": _ERROR, "401": _ERROR, "403": _ERROR}
_TERMINAL = [{"name": "terminal", "in": "path", "required": True,
              "schema": {"type": "string", "pattern": "^[0-9]{3,20}$"}}]
_SESSION = [{"session": [], "csrf": []}]


def _one(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


CONSOLE_OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "8890 hotline console API", "version": "1.0",
             "description": "For logged-in admin and elderly_centre sessions; unsafe methods "
                            "carry the session's CSRF token in X-CSRF-Token."},
    "servers": [{"url": "/api"}],
    "components": {
        "schemas": {"Profile": PROFILE, "ProfileInput": PROFILE_INPUT,
                    "ProfileSummary": PROFILE_SUMMARY, "Contact": CONTACT,
                    "CarePlanEntry": CARE_PLAN_ENTRY, "CheckinWindow": CHECKIN_WINDOW,
                    "Deactivated": DEACTIVATED, "Error": CONSOLE_ERROR},
        "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "hl_session"},
                            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}},
    },
    "security": _SESSION,
    "paths": {
        "/elderly": {"get": {
            "summary": "Every registered terminal: who, community, active (no view is logged)",
            "responses": {"200": {"description": "profiles", **_json(_list("ProfileSummary"))},
                          **_REFUSED}}},
        "/elderly/{terminal}": {
            "parameters": _TERMINAL,
            "get": {"summary": "One profile with its contacts (logged as an 'api' view)",
                    "responses": {"200": {"description": "the profile",
                                          **_json(_one("Profile"))},
                                  **_REFUSED, "404": _ERROR}},
            "put": {"summary": "Create or replace the whole profile",
                    "requestBody": {"required": True, **_json(_one("ProfileInput"))},
                    "responses": {"200": {"description": "replaced", **_json(_one("Profile"))},
                                  "201": {"description": "created", **_json(_one("Profile"))},
                                  # a path that is no terminal number (3-20 digits)
                                  **_REFUSED, "404": _ERROR}},
            "delete": {"summary": "Deactivate the terminal (the profile and its log stay)",
                       "responses": {"200": {"description": "deactivated",
                                             **_json(_one("Deactivated"))},
                                     **_REFUSED, "404": _ERROR}},
        },
    },
}

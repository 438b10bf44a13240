"""The Open311 API's OpenAPI 3 document, served at /open311/v2/openapi.json.

Tests check real responses against the schemas here, so the document cannot drift
from what the server sends.
"""

from __future__ import annotations

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

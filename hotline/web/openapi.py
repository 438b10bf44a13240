"""The OpenAPI 3 documents: Open311's (public, served at /open311/v2/openapi.json) and the
console's JSON API (at /api/openapi.json): the elderly registry for sessions, and the
machine API for API keys (the ACD for CTI, cases for CRM). Two documents because
Open311's is public and lives under its own base URL; the console's API is neither.

Tests check real responses against the schemas here, so the documents cannot drift
from what the server sends.
"""

from __future__ import annotations

from acd.seat_state import SeatState
from case_store.call_fields import OPEN_CALLBACK_STATUSES
from case_store.creation import CHANNELS
from case_store.elderly import END_OF_DAY
from case_store.lifecycle import STATUSES

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

# -- the machine API (API keys: acd:read/acd:write, cases:read/cases:write) --------------

_INT = {"type": "integer"}
_NUM = {"type": "number"}
_BOOL = {"type": "boolean"}
_OBJ = {"type": "object"}
_MASKED = {"type": "string", "description": "masked: the first 3 and last 4 digits"}
AGENT = {
    "type": "object", "additionalProperties": False,
    "required": ["seat", "state", "name", "calls", "paused_reason", "paused_reason_name",
                 "since", "for_s"],
    "properties": {"seat": _TEXT, "state": {"enum": [str(s) for s in SeatState]},
                   "name": _TEXT, "calls": _INT,
                   "paused_reason": {"type": "string", "description": "break, code<N>, "
                                     "missed, or the desk's words; empty when not paused"},
                   "paused_reason_name": {"type": "string", "description": "the reason's "
                                          "name ([acd] pause_reasons for code<N>)"},
                   "since": _NUM, "for_s": _INT},
}
SEAT_ACTION = {
    "type": "object", "additionalProperties": False,
    "required": ["seat", "action", "state", "paused_reason"],
    "properties": {"seat": _TEXT, "action": {"enum": ["login", "logout", "pause", "unpause"]},
                   "state": {"enum": [str(s) for s in SeatState]},
                   "paused_reason": _NULL_STR},
}
PAUSE = {
    "type": "object", "additionalProperties": True,
    "properties": {"reason": {"type": "string", "pattern": "^(break|code[0-9]{1,6}|[0-9]{1,6})$",
                              "description": "break (*23) or code<N> (*23N); N alone "
                                             "means code<N>; left out: break"}},
}
WAITING = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "kind", "caller", "waited_s", "priority"],
    "properties": {"id": _TEXT, "kind": {"enum": ["live", "callback", "emergency"]},
                   "caller": _MASKED, "waited_s": _INT,
                   "priority": {"type": "integer", "description": "0 elderly terminal, "
                                "1 repeat caller with an urgent open case, 2 normal"}},
}
OWED = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "caller", "callback_number", "status", "priority", "arrived_at",
                 "due_at", "attempts", "next_attempt_at", "case"],
    "properties": {"id": _TEXT, "caller": _MASKED, "callback_number": _MASKED,
                   "status": {"enum": [*OPEN_CALLBACK_STATUSES, "needs_check"]},
                   "priority": _INT,
                   "arrived_at": _TEXT, "due_at": _TEXT, "attempts": _INT,
                   "next_attempt_at": _NULL_STR, "case": _NULL_STR},
}
LIVE_STATS = {
    "type": "object", "additionalProperties": False,
    "required": ["at", "now", "stats", "series", "staffing", "cases"],
    "properties": {"at": _NULL_NUM, "now": _NUM,
                   "stats": {**_OBJ, "description": "today's counters as the wallboard shows "
                             "them (waiting, service_level, asa_s, aht_s, abandoned, ...)"},
                   "series": {"type": "array", "items": _OBJ}, "staffing": _OBJ,
                   "cases": _OBJ},
}
TRANSFER = {
    "type": "object", "additionalProperties": True, "required": ["target"],
    "properties": {"target": {"type": "string", "description": "seat:<seat> or "
                              "company:<code>; never a typed number"},
                   "case_number": _TEXT},
    "example": {"target": "seat:8002"},
}
TRANSFERRED = {
    "type": "object", "additionalProperties": False, "required": ["target", "call", "case"],
    "properties": {"target": _TEXT, "call": _TEXT, "case": _NULL_STR},
}
HUNG_UP = {
    "type": "object", "additionalProperties": False, "required": ["seat", "call", "hung_up"],
    "properties": {"seat": _TEXT, "call": _TEXT, "hung_up": _BOOL},
}
_CASE_FIELDS = {
    "number": _TEXT, "channel": _TEXT, "caller": _MASKED, "text": _TEXT, "kind": _TEXT,
    "topic": _NULL_STR, "place": _NULL_STR, "region": _NULL_STR,
    "status": {"enum": list(STATUSES)}, "priority": _INT, "owner_type": _NULL_STR,
    "owner": _NULL_STR, "call_ref": _NULL_STR, "received_at": _TEXT, "due_at": _NULL_STR,
    "answer": _NULL_STR, "merged_into": _NULL_STR, "duplicate": _BOOL,
}
CASE = {"type": "object", "additionalProperties": False, "required": list(_CASE_FIELDS),
        "properties": _CASE_FIELDS}
CASE_CREATED = {
    "type": "object", "additionalProperties": False, "required": [*_CASE_FIELDS, "tags"],
    "properties": {**_CASE_FIELDS, "tags": {"type": ["object", "null"],
                                            "description": "the tagger's reading, when "
                                            "neither kind nor topic was given"}},
}
CASE_INPUT = {
    "type": "object", "additionalProperties": False, "required": ["caller", "text"],
    "properties": {"caller": _TEXT, "text": _TEXT,
                   "kind": {"type": "string", "description": "a kind code of the catalog; "
                            "left out with the topic: the tagger reads the text"},
                   "topic": {"type": "string", "description": "a topic code of the catalog"},
                   "place": _TEXT, "channel": {"enum": sorted(CHANNELS)},
                   "call_ref": {"type": "string", "description": "the call's Asterisk "
                                "uniqueid, linking the case to the call"},
                   "caller_name": _TEXT},
}
_CASE_EXAMPLE = {"caller": "13812345678", "text": "八一北街人行道井盖缺失", "kind": "affairs",
                 "topic": "road_damage", "place": "婺城区八一北街 123 号"}
_KEYED = [{"apiKey": []}, {"bearer": []}]
_DENIED = {"401": _ERROR, "403": _ERROR}
_SEAT = [{"name": "seat", "in": "path", "required": True,
          "schema": {"type": "string", "pattern": "^[0-9]{1,20}$"}}]
_CALL_REFUSED = {**_DENIED, "400": _ERROR, "404": _ERROR, "409": _ERROR,
                 "502": {**_ERROR, "description": "Asterisk refused the action"},
                 "503": {**_ERROR, "description": "the AMI link is down"}}


def _keyed(summary: str, ok: dict, refused: dict, **more) -> dict:
    return {"summary": summary, "security": _KEYED,
            "responses": {"200": ok, **refused}, **more}


def _seat_action(verb: str, summary: str) -> dict:
    body = {"requestBody": {"required": False, **_json(_one("Pause"))}} if verb == "pause" \
        else {}
    return {"parameters": _SEAT, "post": _keyed(
        f"{summary} (acd:write)", {"description": "the seat's state now",
                                   **_json(_one("SeatAction"))},
        {**_DENIED, "400": _ERROR, "404": _ERROR}, **body)}


_FILTERS = [
    {"name": "status", "in": "query", "schema": _TEXT,
     "description": "comma-separated statuses: " + ", ".join(STATUSES)},
    {"name": "topic", "in": "query", "schema": _TEXT, "description": "comma-separated topics"},
    {"name": "kind", "in": "query", "schema": _TEXT, "description": "comma-separated kinds"},
    {"name": "since", "in": "query", "schema": _TEXT,
     "description": "ISO date or date-time (Beijing time when no zone); default: 90 days "
                    "before until"},
    {"name": "until", "in": "query", "schema": _TEXT, "description": "ISO date or date-time"},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                "maximum": 200}},
]

MACHINE_PATHS = {
    "/acd/agents": {"get": _keyed(
        "Every seat with its state (acd:read)",
        {"description": "seats", **_json(_list("Agent"))}, _DENIED)},
    "/acd/agents/{seat}": {"parameters": _SEAT, "get": _keyed(
        "One seat's state (acd:read)", {"description": "the seat", **_json(_one("Agent"))},
        {**_DENIED, "404": _ERROR})},
    "/acd/agents/{seat}/login": _seat_action("login", "Log the seat in"),
    "/acd/agents/{seat}/logout": _seat_action("logout", "Log the seat out"),
    "/acd/agents/{seat}/pause": _seat_action("pause", "Pause the seat with a reason code"),
    "/acd/agents/{seat}/unpause": _seat_action("unpause", "End the seat's pause"),
    "/acd/queue": {"get": _keyed(
        "Callers waiting for a seat, in rank order, numbers masked (acd:read)",
        {"description": "the line's head", **_json(_list("Waiting"))}, _DENIED)},
    "/acd/callbacks": {"get": _keyed(
        "Callbacks owed (pending or being dialled), numbers masked (acd:read)",
        {"description": "owed callbacks", **_json(_list("Owed"))}, _DENIED)},
    "/acd/stats": {"get": _keyed(
        "Live figures as the wallboard shows them (acd:read)",
        {"description": "figures", **_json(_one("LiveStats"))}, _DENIED)},
    "/acd/calls/{seat}/transfer": {"parameters": _SEAT, "post": _keyed(
        "Blind-transfer the seat's call to a seat or a partner company (acd:write)",
        {"description": "transferred", **_json(_one("TransferResult"))}, _CALL_REFUSED,
        requestBody={"required": True, **_json(_one("Transfer"))})},
    "/acd/calls/{seat}/hangup": {"parameters": _SEAT, "post": _keyed(
        "Hang up the seat's call, as its phone's hang-up key would (acd:write)",
        {"description": "hung up", **_json(_one("HungUp"))}, _CALL_REFUSED)},
    "/cases": {
        "get": _keyed("Search cases, newest first (cases:read)",
                      {"description": "cases", **_json(_list("Case"))},
                      {**_DENIED, "400": _ERROR}, parameters=_FILTERS),
        "post": {"summary": "Create a case through the intake (cases:write)",
                 "security": _KEYED,
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": _one("CaseInput"), "example": _CASE_EXAMPLE}}},
                 "responses": {"201": {"description": "created", **_json(_one("CaseCreated"))},
                               **_DENIED, "400": _ERROR}},
    },
    "/cases/{id}": {"parameters": [{"name": "id", "in": "path", "required": True,
                                    "schema": _TEXT}],
                    "get": _keyed("One case (cases:read)",
                                  {"description": "the case", **_json(_one("Case"))},
                                  {**_DENIED, "404": _ERROR})},
}
MACHINE_SCHEMAS = {"Agent": AGENT, "SeatAction": SEAT_ACTION, "Pause": PAUSE,
                   "Waiting": WAITING, "Owed": OWED, "LiveStats": LIVE_STATS,
                   "Transfer": TRANSFER, "TransferResult": TRANSFERRED, "HungUp": HUNG_UP,
                   "Case": CASE, "CaseCreated": CASE_CREATED, "CaseInput": CASE_INPUT}


CONSOLE_OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "8890 hotline console API", "version": "1.1",
             "description": "/elderly: for logged-in admin and elderly_centre sessions; "
                            "unsafe methods carry the session's CSRF token in X-CSRF-Token. "
                            "/acd and /cases: the machine API, for API keys (X-Api-Key or "
                            "Authorization: Bearer) of scope acd:read, acd:write, cases:read "
                            "or cases:write; a write key also reads. 401: no valid key; "
                            "403: a valid key of another scope."},
    "servers": [{"url": "/api"}],
    "components": {
        "schemas": {"Profile": PROFILE, "ProfileInput": PROFILE_INPUT,
                    "ProfileSummary": PROFILE_SUMMARY, "Contact": CONTACT,
                    "CarePlanEntry": CARE_PLAN_ENTRY, "CheckinWindow": CHECKIN_WINDOW,
                    "Deactivated": DEACTIVATED, "Error": CONSOLE_ERROR, **MACHINE_SCHEMAS},
        "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "hl_session"},
                            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
                            "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                            "bearer": {"type": "http", "scheme": "bearer"}},
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
        **MACHINE_PATHS,
    },
}

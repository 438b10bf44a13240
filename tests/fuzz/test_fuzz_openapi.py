"""The Open311 API and the console's API (the elderly registry for a session, the ACD and
cases machine API for API keys) against their OpenAPI documents: schemathesis generates
valid and invalid requests for every operation from hotline/web/openapi.py and sends them
to the real app (real case store, real Redis) on a loopback port. No answer may be a
5xx, and every answer must be one the document declares, in the shape it declares.

The machine API's call routes need Asterisk's channel list; here the AMI link is that of
an exchange with no calls at all (``IdleAmi``), so a seat's call is always "none" (409).
schemathesis calls over `requests`, so the app's event loop runs in a thread of its own.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine, Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import core, given, settings
from hypothesis import strategies as st
from hypothesis.vendor import pretty
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hotline.web.openapi import CONSOLE_OPENAPI, OPENAPI
from tests.integration.web_support import PASSWORD, WebStack, build_stack, close_stack

# schemathesis swaps Hypothesis' printer for a silent one, process-wide, on import (its
# coverage phase runs faster); every target's falsifying example should still print
core.RepresentationPrinter = pretty.RepresentationPrinter

pytestmark = pytest.mark.integration  # real Redis
SCHEMA = schemathesis.openapi.from_dict(OPENAPI)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
EXAMPLES = 25 if settings.get_current_profile_name() == "ci" else settings.default.max_examples
POST = OPENAPI["paths"]["/requests.json"]["post"]
EXAMPLE = POST["requestBody"]["content"]["application/x-www-form-urlencoded"]["example"]


class IdleAmi:
    """A connected AMI link to an exchange where nobody is on a call."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.connected.set()

    async def action(self, _action: dict, as_list: bool = False) -> Any:
        return [] if as_list else {"Response": "Error", "Message": "No such channel"}


class Served:
    """The web stack on an event loop in a background thread."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.web: WebStack = self.run(build_stack(url, ami=IdleAmi()))
        self.key = self.web.keys["open311"]
        self.base = self.web.base + "/open311/v2"

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def close(self) -> None:
        self.run(close_stack(self.web))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = Served(f"sqlite:///{tmp_path_factory.mktemp('open311') / 'cases.sqlite'}")
    try:
        yield served
    finally:
        served.close()


@pytest.fixture(scope="module")
def known_id(served: Served) -> str:
    """One real request (the document's example), so reads find something to show."""
    created = requests.post(f"{served.base}/requests.json",
                            data={**EXAMPLE, "api_key": served.key}, timeout=10)
    assert created.status_code == 201, created.text
    return created.json()[0]["service_request_id"]


def test_the_app_serves_this_document(served: Served) -> None:
    assert requests.get(f"{served.base}/openapi.json", timeout=10).json() == OPENAPI


def cases(operation: Any, known_id: str) -> st.SearchStrategy:
    """Valid and invalid requests, the document's examples; reads of one request also ask
    for the real one."""
    modes = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
    if "{service_request_id}" in operation.path:
        modes.append(operation.as_strategy(path_parameters={"service_request_id": known_id}))
    return st.one_of([*modes, *operation.get_strategies_from_examples()])


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_operation(served: Served, known_id: str, operation: Any, data: st.DataObject) -> None:
    case = data.draw(cases(operation, known_id), label="case")
    headers = {"X-Api-Key": served.key}
    response = case.call(base_url=served.base, headers=headers, timeout=10)
    case.validate_response(response, checks=CHECKS, headers=headers)


# ---- the console's JSON API (the elderly registry), for a logged-in centre session ----

CONSOLE = schemathesis.openapi.from_dict(CONSOLE_OPENAPI)
CONSOLE_OPERATIONS = [result.ok() for result in CONSOLE.get_all_operations()]
SESSION_OPERATIONS = [op for op in CONSOLE_OPERATIONS if op.path.startswith("/elderly")]
MACHINE_OPERATIONS = [op for op in CONSOLE_OPERATIONS if op not in SESSION_OPERATIONS]


@pytest.fixture(scope="module")
def centre(served: Served) -> requests.Session:
    """A browser-like session of the elderly centre, with its CSRF token as a header."""
    http = requests.Session()
    page = http.get(f"{served.web.base}/login", timeout=10).text
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    http.post(f"{served.web.base}/login", timeout=10, allow_redirects=False,
              data={"username": "centre1", "password": PASSWORD, "csrf_token": token})
    home = http.get(f"{served.web.base}/centre", timeout=10).text
    http.headers["X-CSRF-Token"] = re.search(r'data-csrf="([^"]+)"', home).group(1)
    return http


def test_the_console_serves_its_document(served: Served, centre: requests.Session) -> None:
    assert centre.get(f"{served.web.base}/api/openapi.json", timeout=10).json() \
        == CONSOLE_OPENAPI


@pytest.mark.parametrize("operation", SESSION_OPERATIONS, ids=lambda operation: operation.label)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_console_operation(served: Served, centre: requests.Session, operation: Any,
                           data: st.DataObject) -> None:
    modes = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
    case = data.draw(st.one_of(modes), label="case")
    response = case.call(base_url=f"{served.web.base}/api", session=centre, timeout=10)
    case.validate_response(response, checks=CHECKS)


# ---- the machine API (ACD and cases), with an API key of the scope each route needs ----

CASE_POST = CONSOLE_OPENAPI["paths"]["/cases"]["post"]
CASE_EXAMPLE = CASE_POST["requestBody"]["content"]["application/json"]["example"]


def scope_of(operation: Any) -> str:
    """acd or cases, read for GET, write otherwise (a write key also reads)."""
    area = operation.path.split("/")[1]
    return f"{area}:{'read' if operation.method.upper() == 'GET' else 'write'}"


@pytest.fixture(scope="module")
def known_case(served: Served) -> str:
    """One real case (the document's example), so reads of one case find something."""
    created = requests.post(f"{served.web.base}/api/cases", json=CASE_EXAMPLE, timeout=10,
                            headers={"X-Api-Key": served.web.keys["cases:write"]})
    assert created.status_code == 201, created.text
    return created.json()["number"]


def test_the_console_document_is_served_to_machine_keys(served: Served) -> None:
    for scope in ("acd:read", "cases:write"):
        got = requests.get(f"{served.web.base}/api/openapi.json", timeout=10,
                           headers={"X-Api-Key": served.web.keys[scope]})
        assert got.json() == CONSOLE_OPENAPI, scope
    assert requests.get(f"{served.web.base}/api/openapi.json", timeout=10).status_code == 401


@pytest.mark.parametrize("operation", MACHINE_OPERATIONS, ids=lambda operation: operation.label)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_machine_operation(served: Served, known_case: str, operation: Any,
                           data: st.DataObject) -> None:
    modes = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
    if "{seat}" in operation.path:  # a real seat too, not only numbers nobody has
        modes.append(operation.as_strategy(path_parameters={"seat": "8001"}))
    if "{id}" in operation.path:
        modes.append(operation.as_strategy(path_parameters={"id": known_case}))
    case = data.draw(st.one_of([*modes, *operation.get_strategies_from_examples()]),
                     label="case")
    headers = {"X-Api-Key": served.web.keys[scope_of(operation)]}
    response = case.call(base_url=f"{served.web.base}/api", headers=headers, timeout=10)
    case.validate_response(response, checks=CHECKS, headers=headers)

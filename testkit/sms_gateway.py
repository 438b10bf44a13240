"""Test aid: a local SMS gateway speaking the HTTP protocol `hotline.outbound.sms_http`
uses (bearer token, JSON ``{"to", "text", "ref"}``, ``Idempotency-Key``), on loopback.

It keeps what it was sent, answers a retried key with the first answer (no second SMS),
and can be told to fail the next requests with a status, as a real gateway does when
overloaded (503) or refusing a number (400).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class LocalSmsGateway:
    token: str = "local-sms-token"  # noqa: S105 - the local test gateway's own
    sent: list[dict] = field(default_factory=list)
    requests: int = 0
    failures: list[int] = field(default_factory=list)  # statuses for the next requests
    _by_key: dict[str, dict] = field(default_factory=dict)
    _server: TestServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the gateway first"
        return str(self._server.make_url("/sms/send"))

    def fail_next(self, *statuses: int) -> None:
        self.failures.extend(statuses)

    async def _send(self, request: web.Request) -> web.Response:
        self.requests += 1
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "bad token"}, status=401)
        if self.failures:
            return web.json_response({"error": "injected"}, status=self.failures.pop(0))
        key = request.headers.get("Idempotency-Key", "")
        if key and key in self._by_key:
            return web.json_response(self._by_key[key])
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.json_response({"error": "not JSON"}, status=400)
        if not str(body.get("to", "")).isdigit() or not body.get("text"):
            return web.json_response({"error": "to and text are required"}, status=400)
        self.sent.append(body)
        answer = {"id": f"sms-{len(self.sent)}"}
        if key:
            self._by_key[key] = answer
        return web.json_response(answer)

    async def start(self) -> LocalSmsGateway:
        app = web.Application()
        app.router.add_post("/sms/send", self._send)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

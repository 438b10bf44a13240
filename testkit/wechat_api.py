"""Test aid: a local WeChat official-account API for `hotline.outbound.wechat`:
``/cgi-bin/token`` (app id and secret -> an access token that expires) and
``/cgi-bin/message/custom/send`` with WeChat's errcodes: 40001 for a stale token,
40003 for an unknown openid, 45015 for a user silent for more than 48 hours.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class LocalWechatApi:
    appid: str = "wx-local-app"
    secret: str = "local-wechat-secret"  # noqa: S105 - the local test API's own
    users: set[str] = field(default_factory=set)  # openids that follow the account
    silent: set[str] = field(default_factory=set)  # outside the 48-hour window
    token_life_s: int = 7200
    sent: list[dict] = field(default_factory=list)
    tokens_issued: int = 0
    _tokens: dict[str, float] = field(default_factory=dict)
    _server: TestServer | None = None

    @property
    def base(self) -> str:
        assert self._server is not None, "start() the API first"
        return str(self._server.make_url("")).rstrip("/")

    def expire_tokens(self) -> None:
        self._tokens.clear()

    async def _token(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("appid") != self.appid or q.get("secret") != self.secret:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = secrets.token_hex(8)
        self._tokens[token] = time.monotonic() + self.token_life_s
        self.tokens_issued += 1
        return web.json_response({"access_token": token, "expires_in": self.token_life_s})

    async def _custom_send(self, request: web.Request) -> web.Response:
        until = self._tokens.get(request.query.get("access_token", ""), 0.0)
        if until < time.monotonic():
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        body = json.loads(await request.read())
        user = body.get("touser", "")
        if user not in self.users:
            return web.json_response({"errcode": 40003, "errmsg": "invalid openid"})
        if user in self.silent:
            return web.json_response({"errcode": 45015, "errmsg": "response out of time limit"})
        self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": len(self.sent)})

    async def start(self) -> LocalWechatApi:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

"""Shared set-up for web console tests: a real case store (SQLite file or PostgreSQL schema),
real Redis under a fresh key prefix, the real aiohttp app on a loopback port, one account
per role, API keys, and a logged-in HTTP client per role."""

from __future__ import annotations

import json
import re
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest_asyncio
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from case_store.accounts import SCOPES, AccountStore
from case_store.store import CaseStore
from case_store.tagging.learning import LearningTagger
from hotline.web import create_app
from hotline.web.wechat_sign import signature
from testkit.pg import TEST_CONNINFO, schema_url

PASSWORD = "correct-horse-42"
WECHAT_TOKEN = "test-wechat-token"
USERS = {
    "admin1": ("admin", {}),
    "sup1": ("supervisor", {"seat": "8010"}),
    "agent1": ("agent", {"seat": "8001"}),
    "dept_cm": ("department", {"dept": "city_management"}),
    "dept_env": ("department", {"dept": "environment"}),
    "comp_a": ("company", {"company": "plumbing_wucheng"}),
    "comp_b": ("company", {"company": "plumbing_jindong"}),
    "centre1": ("elderly_centre", {}),
    "leader1": ("leader", {}),
}
_CSRF = re.compile(r'data-csrf="([^"]+)"')


@dataclass
class WebStack:
    server: TestServer
    store: CaseStore
    accounts: AccountStore
    redis: Redis
    prefix: str
    keys: dict[str, str]
    tagger: LearningTagger
    tmp: tempfile.TemporaryDirectory
    clients: list[aiohttp.ClientSession] = field(default_factory=list)

    @property
    def base(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def client(self) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(base_url=self.base,
                                        cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.clients.append(session)
        return session

    async def login(self, name: str) -> Browser:
        browser = Browser(self.client())
        await browser.login(name, PASSWORD)
        return browser

    def wechat_url(self, token: str = WECHAT_TOKEN, timestamp: str = "", **extra: str) -> str:
        """The webhook URL as WeChat calls it: signed, now (or at `timestamp`), with a
        fresh nonce."""
        timestamp, nonce = timestamp or str(int(time.time())), uuid.uuid4().hex[:10]
        query = {"timestamp": timestamp, "nonce": nonce,
                 "signature": signature(token, timestamp, nonce), **extra}
        return "/hooks/wechat?" + "&".join(f"{k}={v}" for k, v in query.items())

    async def publish_stats(self, snapshot: dict) -> None:
        text = json.dumps(snapshot)
        await self.redis.set(f"{self.prefix}:stats:snapshot", text)
        await self.redis.publish(f"{self.prefix}:stats", text)


class Browser:
    """A logged-in HTTP client that sends the CSRF token like the pages' scripts do."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.csrf = ""

    async def page(self, path: str) -> tuple[int, str]:
        async with self.http.get(path, headers={"Accept": "text/html"}) as r:
            text = await r.text()
            found = _CSRF.search(text)
            if found:
                self.csrf = found.group(1)
            return r.status, text

    async def login(self, name: str, password: str) -> int:
        await self.page("/login")
        async with self.http.post("/login", data={"username": name, "password": password,
                                                  "csrf_token": self.csrf},
                                  allow_redirects=False) as r:
            status = r.status
        await self.page("/")  # pick up the session's CSRF token
        return status

    async def form(self, path: str, data: dict) -> tuple[int, str]:
        async with self.http.post(path, data={**data, "csrf_token": self.csrf},
                                  headers={"Accept": "text/html"}) as r:
            return r.status, await r.text()

    async def post_json(self, path: str, body: dict) -> tuple[int, dict]:
        async with self.http.post(path, json=body, headers={"X-CSRF-Token": self.csrf}) as r:
            return r.status, await r.json()


async def _health() -> dict:
    return {"ok": True, "links": {"case_store": True}, "seats": {}}


async def build_stack(url: str, cfg=None, secure_cookies: bool = False,
                      ami=None) -> WebStack:
    store = CaseStore(url)
    store.setup()
    accounts = AccountStore(store.engine)
    for name, (role, ties) in USERS.items():
        accounts.add_user(name, role, PASSWORD, **ties)
    keys = {scope: accounts.add_api_key(f"test {scope}", scope) for scope in SCOPES}
    prefix = f"hotline-webtest:{uuid.uuid4().hex[:10]}"
    redis = Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)

    tmp = tempfile.TemporaryDirectory(prefix="hotline-webtest-")

    class _Cfg:
        key_prefix = prefix
        call_recordings_dir = Path(tmp.name) / "call-recordings"
        seats = [str(8001 + i) for i in range(10)]
        terminals = ["9001"]
        callback_area_code, callback_other_areas, callback_daily_limit = "0579", False, 3
        hotline_number = "88900000"
        web_secure_cookies = secure_cookies
        acd_wrapup_s = 15.0
        acd_pause_reasons = "1=午休,2=培训"

    tagger = LearningTagger(f"{tmp.name}/tagger-additions.json")
    app = create_app(_health, store=store, redis=redis, cfg=cfg or _Cfg(), accounts=accounts,
                     tagger=tagger, wechat_token=WECHAT_TOKEN, ami=ami)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return WebStack(server, store, accounts, redis, prefix, keys, tagger, tmp)


async def close_stack(stack: WebStack) -> None:
    for client in stack.clients:
        await client.close()
    await stack.server.close()
    async for key in stack.redis.scan_iter(match=f"{stack.prefix}:*"):
        await stack.redis.delete(key)
    await stack.redis.aclose()
    stack.store.close()
    stack.tmp.cleanup()


@pytest_asyncio.fixture
async def web(tmp_path):
    stack = await build_stack(f"sqlite:///{tmp_path / 'cases.sqlite'}")
    yield stack
    await close_stack(stack)


def schema_errors(instance, schema: dict, root: dict, path: str = "$") -> list[str]:
    """A small JSON Schema check (type, enum, required, properties, additionalProperties,
    items, $ref) — enough for the Open311 document, without another dependency."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return schema_errors(instance, root["components"]["schemas"][name], root, path)
    errors: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        allowed = kinds if isinstance(kinds, list) else [kinds]
        checks = {"string": lambda v: isinstance(v, str), "null": lambda v: v is None,
                  "boolean": lambda v: isinstance(v, bool),
                  "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
                  "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
                  "object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list)}
        if not any(checks[k](instance) for k in allowed):
            return [f"{path}: {instance!r} is not {allowed}"]
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{path}: {instance!r} not in {schema['enum']}")
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            if key not in instance:
                errors.append(f"{path}: missing {key}")
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            errors += [f"{path}: unexpected {k}" for k in instance if k not in props]
        for key, sub in props.items():
            if key in instance:
                errors += schema_errors(instance[key], sub, root, f"{path}.{key}")
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            errors += schema_errors(item, schema["items"], root, f"{path}[{i}]")
    return errors


def response_schema(path: str, method: str, status: int) -> dict:
    from hotline.web.openapi import OPENAPI

    op = OPENAPI["paths"][path][method]
    return op["responses"][str(status)]["content"]["application/json"]["schema"]


@pytest_asyncio.fixture
async def web_pg():
    """The same stack on PostgreSQL (own schema), for the queries that differ by dialect."""
    import psycopg

    schema = f"web_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(TEST_CONNINFO, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    stack = await build_stack(schema_url(schema))
    try:
        yield stack
    finally:
        await close_stack(stack)
        with psycopg.connect(TEST_CONNINFO, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

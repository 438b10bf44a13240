"""Accounts, sessions, roles and CSRF on the real web app (real Redis and case store)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.integration.web_support import PASSWORD, USERS, Browser, web  # noqa: F401

pytestmark = pytest.mark.integration

HOME = {"admin1": "/wallboard", "sup1": "/wallboard", "agent1": "/desk", "dept_cm": "/dept",
        "comp_a": "/company", "centre1": "/centre"}

# what each role must NOT reach (path -> expected refusal for a logged-in browser)
FORBIDDEN = {
    "agent1": ["/wallboard", "/wallboard.json", "/dept", "/company", "/centre",
               "/reports/departments"],
    "sup1": ["/desk", "/company"],
    "admin1": ["/desk", "/company"],
    "dept_cm": ["/wallboard", "/wallboard.json", "/desk", "/company", "/centre"],
    "comp_a": ["/wallboard", "/wallboard.json", "/desk", "/dept", "/centre",
               "/reports/departments"],
    "centre1": ["/wallboard", "/wallboard.json", "/desk", "/dept", "/company",
                "/reports/my"],
}


@pytest.mark.parametrize("name", sorted(HOME))
async def test_each_role_logs_in_to_its_own_page(web, name):  # noqa: F811
    browser = Browser(web.client())
    await browser.page("/login")
    async with browser.http.post("/login", data={"username": name, "password": PASSWORD,
                                                 "csrf_token": browser.csrf},
                                 allow_redirects=False) as r:
        assert r.status == 302
        assert r.headers["Location"] == HOME[name]
        cookie = r.headers.getall("Set-Cookie")
    assert any("hl_session=" in c and "HttpOnly" in c for c in cookie)
    status, page = await browser.page(HOME[name])
    assert status == 200
    assert name in page


async def test_wrong_password_is_refused_without_saying_which_part_was_wrong(web):  # noqa: F811
    browser = Browser(web.client())
    status = await browser.login("dept_cm", "not-the-password")
    assert status == 401
    unknown = await browser.login("nobody_here", "not-the-password")
    assert unknown == 401
    status, page = await browser.page("/dept")
    assert "用户名或密码错误" not in page and 'name="password"' in page  # back at login


async def test_repeated_failures_lock_the_name_for_a_while(web):  # noqa: F811
    browser = Browser(web.client())
    for _ in range(10):
        await browser.login("dept_env", "guess-guess-guess")
    await browser.page("/login")
    async with browser.http.post("/login", data={"username": "dept_env", "password": PASSWORD,
                                                 "csrf_token": browser.csrf},
                                 allow_redirects=False) as r:
        body = await r.text()
    assert r.status == 401
    assert "登录失败次数过多" in body


@pytest.mark.parametrize("path", ["/wallboard", "/desk", "/dept", "/company", "/case/1"])
async def test_anonymous_browser_is_sent_to_login(web, path):  # noqa: F811
    async with web.client().get(path, headers={"Accept": "text/html"},
                                allow_redirects=False) as r:
        assert r.status == 302
        assert r.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/wallboard.json", "/wallboard/ws", "/desk/ws", "/desk/kb?q=x",
                                  "/open311/v2/requests.json", "/metrics"])
async def test_anonymous_scripts_get_401_with_a_message(web, path):  # noqa: F811
    async with web.client().get(path) as r:
        assert r.status == 401
        body = await r.json()
    assert body["error"] if "error" in body else body[0]["description"]


@pytest.mark.parametrize("name", sorted(FORBIDDEN))
async def test_cross_role_pages_are_refused(web, name):  # noqa: F811
    browser = await web.login(name)
    for path in FORBIDDEN[name]:
        async with browser.http.get(path, allow_redirects=False) as r:
            assert r.status == 403, (name, path, r.status)


async def test_cross_role_actions_are_refused(web):  # noqa: F811
    agent = await web.login("agent1")
    status, body = await agent.post_json("/wallboard/seat/8002/pause", {})
    assert status == 403 and "role" in body["error"]
    company = await web.login("comp_a")
    status, _ = await company.post_json("/desk/case", {"text": "x"})
    assert status == 403
    dept = await web.login("dept_cm")
    status, _ = await dept.post_json("/wallboard/spy", {"target": "8001", "mode": "listen"})
    assert status == 403


async def test_unsafe_requests_without_the_csrf_token_are_refused(web):  # noqa: F811
    browser = Browser(web.client())
    await browser.page("/login")
    async with browser.http.post("/login", data={"username": "sup1", "password": PASSWORD}) as r:
        assert r.status == 403
        assert "CSRF" in await r.text()
    sup = await web.login("sup1")
    async with sup.http.post("/wallboard/seat/8001/pause", json={}) as r:
        assert r.status == 403
    async with sup.http.post("/wallboard/seat/8001/pause", json={},
                             headers={"X-CSRF-Token": "forged"}) as r:
        assert r.status == 403


async def test_logout_ends_the_session(web):  # noqa: F811
    sup = await web.login("sup1")
    status, _ = await sup.page("/wallboard")
    assert status == 200
    status, _ = await sup.form("/logout", {})
    async with sup.http.get("/wallboard.json") as r:
        assert r.status == 401


async def test_api_keys_only_work_for_their_scope(web):  # noqa: F811
    http = web.client()
    async with http.get("/open311/v2/requests.json",
                        headers={"X-Api-Key": web.keys["sms"]}) as r:
        assert r.status == 401
    async with http.get("/open311/v2/requests.json",
                        headers={"X-Api-Key": web.keys["open311"]}) as r:
        assert r.status == 200
    async with http.get("/metrics", headers={"Authorization": "Bearer " + web.keys["open311"]}) \
            as r:
        assert r.status == 401


async def test_passwords_and_keys_are_not_stored_in_clear(web):  # noqa: F811
    with web.store.engine.connect() as conn:
        hashes = [row[0] for row in conn.execute(text("SELECT password_hash FROM web_users"))]
        digests = [row[0] for row in conn.execute(text("SELECT digest FROM api_keys"))]
    assert len(hashes) == len(USERS)
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    assert all(key not in digests for key in web.keys.values())


async def test_pages_send_security_headers(web):  # noqa: F811
    async with web.client().get("/login") as r:
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Frame-Options"] == "DENY"


async def test_status_page_and_healthz_stay_public(web):  # noqa: F811
    http = web.client()
    async with http.get("/healthz") as r:
        assert r.status == 200 and (await r.json())["ok"] is True
    async with http.get("/", headers={"Accept": "text/html"}) as r:
        page = await r.text()
    assert r.status == 200 and "8890" in page and "case_store" in page


async def test_language_switch_to_english(web):  # noqa: F811
    browser = Browser(web.client())
    async with browser.http.get("/lang/en", headers={"Referer": f"{web.base}/login"},
                                allow_redirects=False) as r:
        assert r.headers["Location"] == "/login"
    _, page = await browser.page("/login")
    assert "Log in" in page and 'lang="en"' in page


@pytest.mark.parametrize("target", [
    "//evil.example", "/\t/evil.example", "/%09/evil.example", "/\\evil.example",
    "\\\\evil.example", "https://evil.example/", "/\r\n/evil.example", "javascript:alert(1)",
    " /desk", "/%5Cevil.example",
])
async def test_the_login_redirect_stays_on_site(web, target):  # noqa: F811
    """Known open-redirect bypasses (tabs and newlines browsers drop, backslashes they
    read as slashes) land on the user's own home page instead."""
    from urllib.parse import quote

    browser = Browser(web.client())
    await browser.page("/login?next=" + quote(target, safe=""))
    async with browser.http.post("/login", data={
            "username": "agent1", "password": PASSWORD, "csrf_token": browser.csrf,
            "next": target.replace("%09", "\t")}, allow_redirects=False) as r:
        location = r.headers["Location"]
    if target == "/%5Cevil.example":
        assert location == target  # an encoded backslash is a path on this site
    else:
        assert location == "/desk"


async def test_disabling_a_user_or_changing_the_password_ends_their_sessions(web):  # noqa: F811
    web.accounts.add_user("agent_gone", "agent", PASSWORD, seat="8002")
    web.accounts.add_user("agent_new_pw", "agent", PASSWORD, seat="8003")
    gone, changed = await web.login("agent_gone"), await web.login("agent_new_pw")
    for browser in (gone, changed):
        async with browser.http.get("/desk/callbacks") as r:
            assert r.status == 200
    web.accounts.disable("agent_gone")
    web.accounts.set_password("agent_new_pw", "another-long-password")
    for browser in (gone, changed):
        async with browser.http.get("/desk/callbacks") as r:
            assert r.status == 401  # the old session is gone at once
    again = Browser(web.client())
    assert await again.login("agent_new_pw", "another-long-password") == 302


async def test_a_session_ends_after_its_absolute_lifetime_however_busy(web):  # noqa: F811
    import json
    import time

    from hotline.web.auth import SESSION_MAX_S

    agent = await web.login("agent1")
    [key] = [k async for k in web.redis.scan_iter(match=f"{web.prefix}:web:session:*")]
    session = json.loads(await web.redis.get(key))
    session["born"] = time.time() - SESSION_MAX_S - 60  # logged in 12 h ago, used all along
    await web.redis.set(key, json.dumps(session), ex=600)
    async with agent.http.get("/desk/callbacks") as r:
        assert r.status == 401
    assert not await web.redis.exists(key)


async def test_parallel_guesses_cannot_pass_the_lockout(web):  # noqa: F811
    """Failures are counted before the password is checked: of 15 guesses sent at once
    only 10 reach the password check."""
    import asyncio

    browser = Browser(web.client())
    await browser.page("/login")

    async def guess() -> str:
        async with browser.http.post("/login", data={
                "username": "dept_env", "password": "guess-guess-guess",
                "csrf_token": browser.csrf}, allow_redirects=False) as r:
            return await r.text()
    pages = await asyncio.gather(*(guess() for _ in range(15)))
    assert sum("登录失败次数过多" in p for p in pages) == 5


async def test_password_spraying_from_one_address_is_throttled(web):  # noqa: F811
    from hotline.web.auth import MAX_ADDRESS_FAILURES

    browser = Browser(web.client())
    for n in range(MAX_ADDRESS_FAILURES):
        assert await browser.login(f"user{n}", "Winter2026!") == 401  # one try a name
    assert await browser.login("agent1", PASSWORD) == 401  # this address is throttled now
    status, page = await browser.page("/login")
    assert status == 200


async def test_a_supervisor_clears_an_agents_lockout(web):  # noqa: F811
    attacker = Browser(web.client())
    for _ in range(10):
        await attacker.login("agent1", "guess-guess-guess")
    assert await Browser(web.client()).login("agent1", PASSWORD) == 401  # locked out
    agent = await web.login("agent1")
    status, _ = await agent.post_json("/login/unlock", {"username": "agent1"})
    assert status == 401  # not logged in: the lockout held
    sup = await web.login("sup1")
    status, body = await sup.post_json("/login/unlock", {"username": "agent1"})
    assert (status, body["cleared"]) == (200, True)
    assert await Browser(web.client()).login("agent1", PASSWORD) == 302


async def test_api_keys_in_the_url_are_refused(web):  # noqa: F811
    http = web.client()
    async with http.get("/metrics", params={"api_key": web.keys["metrics"]}) as r:
        assert r.status == 401  # proxies and logs keep URLs: keys go in a header
    async with http.get("/metrics", headers={"X-Api-Key": web.keys["metrics"]}) as r:
        assert r.status == 200


@pytest.mark.parametrize("path", ["/login", "/report", "/open311/v2/requests.json"])
async def test_a_form_body_that_is_not_utf8_gets_400(web, path):  # noqa: F811
    http = web.client()
    async with http.post(path, data=b"username=\xff\xfe&text=\xc3(",
                         headers={"Content-Type": "application/x-www-form-urlencoded",
                                  "X-Api-Key": web.keys["open311"]}) as r:
        body = await r.text()
        assert r.status == 400, body
    assert "UTF-8" in body


async def test_behind_tls_the_session_cookie_is_secure(tmp_path):
    from tests.integration.web_support import build_stack, close_stack

    stack = await build_stack(f"sqlite:///{tmp_path / 'cases.sqlite'}", secure_cookies=True)
    try:
        browser = Browser(stack.client())
        await browser.page("/login")
        async with browser.http.post("/login", data={
                "username": "agent1", "password": PASSWORD, "csrf_token": browser.csrf},
                allow_redirects=False) as r:
            cookies = [c for c in r.headers.getall("Set-Cookie") if "hl_session=" in c]
        assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies)
    finally:
        await close_stack(stack)


async def test_passwords_are_argon2id_and_old_scrypt_hashes_are_upgraded_at_login(web):  # noqa: F811
    import hashlib
    import secrets

    from sqlalchemy import text as sql

    web.accounts.add_user("agent_old", "agent", PASSWORD, seat="8004")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    old = f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"  # as earlier versions stored it
    with web.store.engine.begin() as conn:
        conn.execute(sql("UPDATE web_users SET password_hash = :h WHERE name = 'agent_old'"),
                     {"h": old})
    assert await Browser(web.client()).login("agent_old", PASSWORD) == 302  # still works
    with web.store.engine.begin() as conn:
        stored = conn.execute(sql("SELECT password_hash FROM web_users "
                                  "WHERE name = 'agent_old'")).scalar_one()
    assert stored.startswith("$argon2id$")
    assert await Browser(web.client()).login("agent_old", PASSWORD) == 302
    assert await Browser(web.client()).login("agent_old", "wrong-password-here") == 401

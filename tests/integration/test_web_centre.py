"""The elderly centre's page and its work on an emergency case."""

from __future__ import annotations

import json
import time

import pytest

from tests.integration.web_support import web  # noqa: F401

pytestmark = pytest.mark.integration


async def test_the_centre_sees_an_emergency_acknowledges_it_and_notes_the_120_call(
        web):  # noqa: F811
    case = web.store.create_case(channel="terminal", caller="9003", text="老人按了紧急按钮",
                                 kind="emergency", topic="elderly_emergency", elderly=True)
    other = web.store.create_case(channel="phone", caller="13700000002", text="路灯不亮",
                                  kind="affairs", topic="street_light")
    centre = await web.login("centre1")
    status, text = await centre.page("/centre")
    assert status == 200 and case.number in text and other.number not in text

    status, text = await centre.page(f"/case/{case.number}")
    assert status == 200 and 'id="do-accept"' in text
    status, _ = await centre.form(f"/case/{case.number}/accept", {})
    assert status == 200 and web.store.get_case(case.number).status == "accepted"
    await centre.page(f"/case/{case.number}")  # a fresh CSRF token from the page
    status, _ = await centre.form(f"/case/{case.number}/note",
                                  {"preset": "已拨打120", "message": "救护车10分钟到"})
    assert status == 200
    notes = [e.data.get("message") for e in web.store.events(case.number) if e.action == "note"]
    assert notes == ["已拨打120 救护车10分钟到"]

    status, _ = await centre.page(f"/case/{other.number}")
    assert status == 404  # not the centre's case
    dept = await web.login("dept_cm")
    status, _ = await dept.page(f"/case/{case.number}")
    assert status == 404


async def test_the_centre_page_says_which_terminal_is_offline_and_for_how_long(
        web):  # noqa: F811
    from acd.terminal_presence import TerminalPresence

    presence = TerminalPresence(web.redis, web.prefix, {"9001", "9002"})
    await presence.device("PJSIP/9001", "UNAVAILABLE")
    await presence.device("PJSIP/9002", "NOT_INUSE")
    await presence.device("PJSIP/8001", "UNAVAILABLE")  # a seat: not a terminal
    since = json.loads(await web.redis.hget(presence.key, "9001"))["since"]
    await presence.device("PJSIP/9001", "UNAVAILABLE")  # no change: the time is kept
    assert json.loads(await web.redis.hget(presence.key, "9001"))["since"] == since
    await web.redis.hset(presence.key, "9001", json.dumps(
        {"online": False, "since": time.time() - 2 * 86400 - 60}))
    centre = await web.login("centre1")
    _, text = await centre.page("/centre")
    offline = text.split('id="offline"')[1]
    assert "9001" in offline and "2 天" in offline and "9002" not in offline


async def test_the_day_figures_show_time_to_the_first_human_voice_and_export_as_csv(
        web):  # noqa: F811
    from acd.first_voice import FirstVoice, day_of

    voices = FirstVoice(web.redis, web.prefix)
    now = time.time()
    for n, (waited, via) in enumerate([(4.0, "seat"), (6.0, "seat"), (18.0, "contact"),
                                       (31.0, "agent")]):
        await voices.heard(f"call-{n}", "9003", now - waited, via, at=now)
    await voices.heard("call-0", "9003", now - 99, "agent", at=now)  # only the first counts
    web.store.create_case(channel="terminal", caller="9003", text="紧急求助",
                          kind="emergency", topic="elderly_emergency", elderly=True)
    await web.redis.hset(f"{web.prefix}:checkin:9003:{day_of(now)} 09:00", "answered", "1")
    centre = await web.login("centre1")
    _, text = await centre.page("/centre")
    figures = text.split('id="figures"')[1]
    assert "p50 6.0 s" in figures and "p99 31.0 s" in figures and "max 31.0 s" in figures
    async with centre.http.get(f"/centre/report.csv?day={day_of(now)}") as r:
        assert r.status == 200 and r.content_type == "text/csv"
        report = await r.text()
    assert "first_voice_p50_s,6.0" in report and "emergencies,1" in report
    assert "checkins_answered,1" in report and "紧急求助" in report
    async with centre.http.get("/centre/report.csv?day=yesterday") as r:
        assert r.status == 400
    agent = await web.login("agent1")
    async with agent.http.get("/centre/report.csv") as r:
        assert r.status == 403


async def test_the_day_report_holds_only_that_days_emergencies(web):  # noqa: F811
    from datetime import timedelta

    from sqlalchemy import update

    from acd.first_voice import day_of
    from case_store.models import Case

    old = web.store.create_case(channel="terminal", caller="9003", text="昨天的求助",
                                kind="emergency", topic="elderly_emergency", elderly=True)
    web.store.create_case(channel="terminal", caller="9003", text="今天的求助",
                          kind="emergency", topic="elderly_emergency", elderly=True)
    received = web.store.get_case(old.number).received_at - timedelta(days=1)
    with web.store.engine.begin() as conn:
        conn.execute(update(Case).where(Case.number == old.number)
                     .values(received_at=received))
    centre = await web.login("centre1")
    for day, text, other in ((day_of(time.time()), "今天的求助", "昨天的求助"),
                             (day_of(received.timestamp()), "昨天的求助", "今天的求助")):
        async with centre.http.get(f"/centre/report.csv?day={day}") as r:
            report = await r.text()
        assert "emergencies,1" in report and text in report and other not in report

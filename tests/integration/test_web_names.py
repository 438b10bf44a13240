"""Every console page speaks the catalog's and the console's words: no topic, kind,
status, action or role code is left in what a user reads (the desk was fixed first)."""

from __future__ import annotations

import html
import re

import pytest

from hotline.web.i18n import STATUS_WORDS
from tests.integration.report_support import seed_month
from tests.integration.web_support import web  # noqa: F401

pytestmark = pytest.mark.integration

CODES_ALSO = {"create", "assign", "accept", "reassign", "supervisor", "department",
              "company", "agent", "leader", "elderly_centre", "admin"}


def visible(page: str) -> str:
    """The text a reader sees: no scripts, styles, tags or attributes."""
    text = re.sub(r"(?s)<(script|style)[^>]*>.*?</\1>", " ", page)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", text))


async def test_no_page_shows_a_raw_code(web):  # noqa: F811
    store = web.store
    catalog = store.catalog
    codes = {*catalog.topics, *catalog.kinds, *STATUS_WORDS, *CODES_ALSO}
    dept_case = store.route(store.create_case(channel="phone", caller="13900000001",
                                              text="八一北街井盖缺失", kind="affairs",
                                              topic="road_damage").number)
    store.transition(dept_case.number, "accept", "dept_cm")
    company_case = store.route(store.create_case(channel="phone", caller="13900000009",
                                                 text="厨房下水道堵了", kind="life",
                                                 topic="drain", lat=29.08, lon=119.65).number)
    seed_month(store)
    pages = {"sup1": ["/wallboard", f"/case/{dept_case.number}", f"/case/{company_case.number}",
                      "/reports/departments?month=2026-11"],
             "dept_cm": ["/dept", f"/case/{dept_case.number}", "/reports/my"],
             "comp_a": ["/company", f"/case/{company_case.number}"],
             "centre1": ["/centre", "/elderly"], "leader1": ["/leader"], "agent1": ["/desk"]}
    raw = {}
    for user, paths in pages.items():
        browser = await web.login(user)
        for path in paths:
            status, page = await browser.page(path)
            assert status == 200, (user, path)
            left = sorted({w for w in re.findall(r"\w+", visible(page)) if w in codes})
            if left:
                raw[f"{user} {path}"] = left
    assert raw == {}
    sup = await web.login("sup1")
    _, page = await sup.page(f"/case/{dept_case.number}")
    history = visible(page.split('id="history"', 1)[1])
    # what was done, by whom it was handled, by when: the page's words
    assert "派发" in history and "签收" in history and "市综合行政执法局" in history
    _, board = await sup.page("/wallboard")
    assert "回电" in html.unescape(board)  # the line's callbacks are named, not "callback"


async def test_pause_reasons_and_statuses_leave_the_console_by_name(web):  # noqa: F811
    """*23N's code, the hotline's own reasons and a case status read as names on the
    wallboard, the agents' day and the centre's CSV; machines keep the codes beside."""
    import csv
    import io
    import time
    from datetime import UTC, datetime

    from acd.first_voice import day_of

    now = time.time()
    await web.publish_stats({"at": now, "per_seat": {
        "8001": {"state": "paused", "since": now - 60, "paused_reason": "code2"},
        "8002": {"state": "paused", "since": now - 60, "paused_reason": "missed"},
        "8003": {"state": "paused", "since": now - 60, "paused_reason": "supervisor sup1"},
        "8004": {"state": "paused", "since": now - 60, "paused_reason": "陪同检查"}}})
    sup = await web.login("sup1")
    async with sup.http.get("/wallboard.json") as r:
        seats = {s["seat"]: s for s in (await r.json())["seats"]}
    assert {seat: (s["paused_reason"], s["paused_reason_name"]) for seat, s in seats.items()} \
        == {"8001": ("code2", "培训"), "8002": ("missed", "连续未接自动示忙"),
            "8003": ("supervisor sup1", "班长示忙 sup1"), "8004": ("陪同检查", "陪同检查")}

    for n, (event, reason, hour) in enumerate((("login", "", 1), ("pause", "code1", 2),
                                               ("unpause", "code1", 3), ("logout", "", 4))):
        web.store.add_agent_event(f"n{n}", "8005", event, reason,
                                  datetime(2026, 11, 4, hour, tzinfo=UTC))
    _, text = await sup.page("/reports/agents?day=2026-11-04")
    row = visible(text.split("<td>8005</td>", 1)[1].split("</tr>", 1)[0])
    assert "午休 1:00:00" in row and "code1" not in row

    case = web.store.create_case(channel="terminal", caller="9003", text="紧急求助",
                                 kind="emergency", topic="elderly_emergency", elderly=True)
    centre = await web.login("centre1")
    async with centre.http.get(f"/centre/report.csv?day={day_of(now)}") as r:
        rows = list(csv.reader(io.StringIO(await r.text())))
    header = rows.index(["case", "received", "status", "status_name", "text"])
    emergency = dict(zip(rows[header], rows[header + 1], strict=True))
    status = web.store.get_case(case.number).status
    assert (emergency["case"], emergency["status"]) == (case.number, status)
    assert emergency["status_name"] == STATUS_WORDS[status][0] != status

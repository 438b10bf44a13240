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

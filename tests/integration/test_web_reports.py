"""The department report pages on the real app: a supervisor sees the ranking and the
charts and downloads the rows; a department sees only its own card; others are refused."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from hotline.web.i18n import Words
from tests.integration.report_support import seed_month
from tests.integration.web_support import web  # noqa: F401

pytestmark = pytest.mark.integration
MONTH = "/reports/departments?month=2026-11"


@pytest.fixture
async def seeded(web):  # noqa: F811
    return seed_month(web.store)


def ranking_names(text: str) -> list[str]:
    ranking = text.split('id="ranking"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr class=\"\"><td>\d+</td><td>([^<]+)</td>", ranking)


async def test_a_supervisor_sees_the_ranking_the_city_and_the_charts(web, seeded):  # noqa: F811
    sup = await web.login("sup1")
    status, text = await sup.page(MONTH)
    assert status == 200
    assert ranking_names(text) == ["市综合行政执法局", "婺城区综合行政执法局", "市园林局"]
    city = text.split('id="city"', 1)[1].split("</table>", 1)[0]
    assert "80.0%" in city and "4 / 5" in city and "75.0%" in city and "3 / 4" in city
    chart = text.split('id="chart-satisfaction"', 1)[1].split("</svg>", 1)[0]
    assert chart.count("<rect") == 2  # the park bureau's only visit was unreachable
    assert "<title>婺城区综合行政执法局: 50.0%</title>" in chart
    assert 'class="bar low"' in chart  # below the platform's 98%
    assert 'href="/case/' + seeded["D"] in text.split('id="overdue"', 1)[1]
    assert "<script>" not in text and "style=" not in text  # the CSP allows neither
    async with sup.http.get("/static/app.css") as r:  # printing drops the nav and the forms
        assert re.search(r"@media print\{\s*nav,\.no-print\{display:none\}", await r.text())


async def test_the_region_view_shows_that_regions_departments(web, seeded):  # noqa: F811
    sup = await web.login("admin1")
    status, text = await sup.page(MONTH + "&region=wucheng")
    assert status == 200
    assert ranking_names(text) == ["婺城区综合行政执法局"]
    assert "部门排名 — 婺城区" in text


async def test_the_csv_and_the_workbook_hold_one_row_per_department(web, seeded):  # noqa: F811
    sup = await web.login("sup1")
    async with sup.http.get("/reports/departments.csv?month=2026-11") as r:
        assert r.status == 200 and r.content_type == "text/csv"
        assert "departments-2026-11.csv" in r.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(await r.text())))
    assert rows[0][:5] == ["rank", "code", "name", "region", "assigned"]
    assert [(r[0], r[1], r[4]) for r in rows[1:]] == [
        ("1", "city_management", "3"), ("2", "wucheng_city_management", "1"),
        ("3", "parks", "1")]
    wucheng = dict(zip(rows[0], rows[2], strict=True))
    assert (wucheng["send_back_rate"], wucheng["satisfaction_rate"]) == ("0.5", "0.5")
    assert dict(zip(rows[0], rows[3], strict=True))["satisfaction_rate"] == ""  # unreachable
    async with sup.http.get("/reports/departments.xlsx?month=2026-11") as r:
        assert r.status == 200
        book = load_workbook(io.BytesIO(await r.read()))
    assert [row[1] for row in book["departments"].iter_rows(min_row=2, values_only=True)] == \
        ["city_management", "wucheng_city_management", "parks"]
    overdue = list(book["overdue"].iter_rows(min_row=2, values_only=True))
    assert [(o[0], o[1]) for o in overdue] == [("city_management", seeded["D"])]
    status, name = overdue[0][2], overdue[0][3]
    assert name == Words("zh").status(status) and name != status  # 已派发 beside the code


async def test_a_department_sees_only_its_own_card(web, seeded):  # noqa: F811
    dept = await web.login("dept_cm")
    for path in (MONTH, "/reports/my?month=2026-11"):
        status, text = await dept.page(path)
        assert status == 200
        assert "市综合行政执法局" in text and 'id="chart-own"' in text
        assert "婺城区综合行政执法局" not in text and "市园林局" not in text
        assert 'id="ranking"' not in text and 'id="city"' not in text
    async with dept.http.get("/reports/departments.csv?month=2026-11") as r:
        rows = list(csv.reader(io.StringIO(await r.text())))
    assert [r[1] for r in rows[1:]] == ["city_management"]
    quiet = await web.login("dept_env")
    _, text = await quiet.page(MONTH)
    assert "本期没有本部门的工单" in text


async def test_agents_companies_and_the_centre_are_refused(web, seeded):  # noqa: F811
    for name in ("agent1", "comp_a", "centre1"):
        user = await web.login(name)
        for path in (MONTH, "/reports/departments.csv", "/reports/my"):
            status, _ = await user.page(path)
            assert status == 403, (name, path)


async def test_a_period_that_cannot_be_read_is_a_clear_400(web):  # noqa: F811
    sup = await web.login("sup1")
    status, text = await sup.page("/reports/departments?month=2026-13")
    assert status == 400 and "month=YYYY-MM" in text
    status, _ = await sup.page("/reports/departments?from=2026-11-01&to=2026-11-30")
    assert status == 200


async def test_a_supervisor_sees_each_agents_day_and_agents_are_refused(web):  # noqa: F811
    from datetime import UTC, datetime

    store = web.store
    for n, (event, reason, hour) in enumerate((("login", "", 1), ("pause", "培训", 2),
                                               ("unpause", "培训", 3), ("logout", "", 9))):
        store.add_agent_event(f"k{n}", "8004", event, reason,
                              datetime(2026, 11, 3, hour, tzinfo=UTC))
    store.record_call("u-agents-1", caller="13900000001", origin="trunk",
                      arrived_at=datetime(2026, 11, 3, 4, 0, tzinfo=UTC),
                      answered_at=datetime(2026, 11, 3, 4, 0, 10, tzinfo=UTC),
                      ended_at=datetime(2026, 11, 3, 4, 5, 10, tzinfo=UTC), seat="8004")
    sup = await web.login("sup1")
    status, text = await sup.page("/reports/agents?day=2026-11-03")
    assert status == 200
    row = text.split("<td>8004</td>", 1)[1].split("</tr>", 1)[0]
    # 8 h logged in, 1 h paused for training, a 5-minute call and 15 s of wrap-up
    assert re.findall(r"<td>([^<]*)</td>", row) == [
        "8:00:00", "1:00:00", "0:05:00", "0:00:15", "1", "培训 1:00:00"]
    status, text = await sup.page("/reports/agents?day=2026-13-01")
    assert status == 400
    for name in ("agent1", "dept_cm"):
        user = await web.login(name)
        status, _ = await user.page("/reports/agents")
        assert status == 403, name

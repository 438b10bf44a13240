"""The department report pages: supervisors and admins see every department ranked, the
regions, the companies and the city, with bar charts, a per-region view and CSV/XLSX
downloads; a department sees its own card only (at the same addresses, or /reports/my).
The page prints as the monthly report (print rules in static/app.css).

The period is ``?month=YYYY-MM`` or ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (both days
included); the current month in Asia/Shanghai by default.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from case_store.reports import Period, own_card
from case_store.workdays import SHANGHAI
from hotline.web import report_files
from hotline.web.auth import require
from hotline.web.context import SESSION, ctx
from hotline.web.html import Safe, h, join, table
from hotline.web.i18n import Words, lang_of
from hotline.web.report_charts import bar_chart, percent
from hotline.web.templates import page

ROLES = ("supervisor", "admin", "department")
PLATFORM_GOAL = 0.98  # the completion and satisfaction rates the 8890 platform reports
RATES = (("timely_acceptance_rate", "report_timely_acceptance"),  # (figure, its word)
         ("on_time_completion_rate", "report_on_time"), ("repeat_dispatch_rate", "report_repeat"),
         ("send_back_rate", "report_send_back"), ("satisfaction_rate", "report_satisfaction"),
         ("visit_coverage", "report_visit_coverage"))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def period_of(request: web.Request) -> Period:
    """The period the query asks for, or 400 saying how to ask."""
    q = request.query
    try:
        if q.get("from") or q.get("to"):
            return Period.days(date.fromisoformat(q.get("from", "")),
                               date.fromisoformat(q.get("to", "")))
        return Period.month(q.get("month") or datetime.now(SHANGHAI).strftime("%Y-%m"))
    except ValueError as exc:
        raise web.HTTPBadRequest(
            text="give month=YYYY-MM, or from=YYYY-MM-DD and to=YYYY-MM-DD") from exc


def visible(report: dict[str, Any], session: dict, region: str = "") -> dict[str, Any]:
    """What the user may see: a department its own card only; others everything, or one
    region's departments."""
    if session["role"] == "department":
        card = own_card(report, session.get("dept") or "")
        own = [card] if card else []
        return {"period": report["period"], "departments": own, "ranking": [],
                "regions": [], "companies": [], "city": None}
    if region:
        codes = {d["code"] for d in report["departments"] if d["region"] == region}
        return {**report, "departments": [d for d in report["departments"]
                                          if d["code"] in codes],
                "ranking": [r for r in report["ranking"] if r["code"] in codes],
                "regions": [r for r in report["regions"] if r["code"] == region]}
    return report


async def _report(request: web.Request) -> tuple[Period, dict[str, Any]]:
    period = period_of(request)
    report = await asyncio.to_thread(ctx(request).store.department_report, period)
    return period, visible(report, request[SESSION], request.query.get("region", "")[:64])


def _query(request: web.Request) -> str:
    keep = {k: request.query[k][:64] for k in ("month", "from", "to", "region")
            if request.query.get(k)}
    return "?" + urlencode(keep) if keep else ""


def _period_form(request: web.Request, period: Period, w: Words) -> Safe:
    month = request.query.get("month", "" if request.query.get("from") else
                              period.start.strftime("%Y-%m"))
    return h('<form method="get" action="{}" class="card period no-print">'
             '<label>{}<input type="month" name="month" value="{}"></label>'
             '<button type="submit" id="show-month">{}</button></form>'
             '<form method="get" action="{}" class="card period no-print">'
             '<label>{}<input type="date" name="from" value="{}"></label>'
             '<label>{}<input type="date" name="to" value="{}"></label>'
             '<button type="submit" id="show-days">{}</button></form>',
             request.path, w.report_month, month[:7], w.report_show, request.path,
             w.report_from, request.query.get("from", "")[:10], w.report_to,
             request.query.get("to", "")[:10], w.report_show)


def _figure_row(card: dict[str, Any], name: Any) -> list[Any]:
    return [name, card["assigned"], *(percent(card[k]) for k, _ in RATES),
            card["supervision_notices"], card["overdue_count"]]


def _figure_heads(w: Words, first: str) -> list[str]:
    return [first, w.report_assigned, *(w(word) for _, word in RATES), w.report_notices,
            w.report_overdue]


def _overdue(report: dict[str, Any], w: Words) -> Safe:
    rows = [[d["name"], h('<a href="/case/{}">{}</a>', c["number"], c["number"]),
             w.status(c["status"]), c["due_at"][:16].replace("T", " "), c["overdue_hours"]]
            for d in report["departments"] for c in d["overdue"]]
    if not rows:
        return h('<p class="empty">{}</p>', w.report_no_overdue)
    return table([w.report_department, w.case_no, w.status_word, w.due,
                  w.report_overdue_hours], rows)


def _city(city: dict[str, Any], w: Words) -> Safe:
    rows = [[w.report_completion, percent(city["completion_rate"]),
             f"{city['cases_completed']} / {city['cases_taken']}"],
            [w.report_satisfaction, percent(city["satisfaction_rate"]),
             f"{city['satisfied']} / {city['visits_answered']}"],
            [w.report_visit_coverage, percent(city["visit_coverage"]),
             f"{city['cases_visited']} / {city['cases_replied']}"]]
    return table([w.report_figure, "", ""], rows, table_class="facts")


def _supervisor_body(request: web.Request, report: dict[str, Any], w: Words) -> Safe:
    depts = {d["code"]: d for d in report["departments"]}
    ranked = [depts[r["code"]] for r in report["ranking"]]
    region = request.query.get("region", "")
    base = {k: v for k, v in request.query.items() if k in ("month", "from", "to")}
    region_rows = [_figure_row(r, h('<a href="?{}">{}</a>', urlencode({**base, "region":
                                                                       r["code"]}), r["name"]))
                   for r in report["regions"]]
    company_rows = [[c["name"], c["visits_answered"], percent(c["satisfaction_rate"]),
                     c["cases_replied"], percent(c["visit_coverage"])]
                    for c in report["companies"]]
    charts = join([
        bar_chart(w.report_satisfaction, [(d["name"], d["satisfaction_rate"]) for d in ranked],
                  "chart-satisfaction", PLATFORM_GOAL),
        bar_chart(w.report_on_time, [(d["name"], d["on_time_completion_rate"])
                                     for d in ranked], "chart-on-time", PLATFORM_GOAL),
        bar_chart(f"{w.report_regions} · {w.report_satisfaction}",
                  [(r["name"], r["satisfaction_rate"]) for r in report["regions"]],
                  "chart-regions", PLATFORM_GOAL)])
    rank_rows = [[r["rank"], *_figure_row(depts[r["code"]], r["name"])]
                 for r in report["ranking"]]
    region_name = next((r["name"] for r in report["regions"] if r["code"] == region), region)
    ranking = h("{} — {}", w.report_ranking, region_name) if region else w.report_ranking
    everywhere = h(' <a href="/reports/departments{}" id="all-regions">{}</a>',
                   "?" + urlencode(base) if base else "", w.report_all_regions)
    return h('{}<h2>{}</h2><div id="city">{}</div><div class="charts">{}</div>'
             '<h2>{}</h2><div id="ranking">{}</div><h2>{}</h2><div id="regions">{}</div>'
             '<h2>{}</h2><div id="companies">{}</div><h2>{}</h2><div id="overdue">{}</div>',
             _downloads(request, w, everywhere if region else ""), w.report_city,
             _city(report["city"], w), charts, ranking,
             table([w.report_rank, *_figure_heads(w, w.report_department)], rank_rows),
             w.report_regions, table(_figure_heads(w, w.report_region), region_rows),
             w.report_companies,
             table([w.report_company, w.report_visits, w.report_satisfaction,
                    w.report_replied, w.report_visit_coverage], company_rows),
             w.report_overdue_list, _overdue(report, w))


def _downloads(request: web.Request, w: Words, more: Safe | str = "") -> Safe:
    qs = _query(request)
    return h('<p class="no-print downloads"><a href="/reports/departments.csv{}" id="csv">'
             'CSV</a> <a href="/reports/departments.xlsx{}" id="xlsx">Excel</a>{} '
             '<span class="hint">{}</span></p>', qs, qs, more, w.report_print_hint)


def _department_body(request: web.Request, report: dict[str, Any], w: Words) -> Safe:
    if not report["departments"]:
        return h('<p class="empty" id="own">{}</p>', w.report_nothing)
    card = report["departments"][0]
    facts = table(_figure_heads(w, w.report_department), [_figure_row(card, card["name"])],
                  table_class="facts")
    chart = bar_chart(card["name"], [(w(word), card[k]) for k, word in RATES],
                      "chart-own")
    return h('{}<div id="own">{}</div><div class="charts">{}</div><h2>{}</h2>'
             '<div id="overdue">{}</div>', _downloads(request, w), facts, chart,
             w.report_overdue_list, _overdue(report, w))


@require(*ROLES)
async def departments_page(request: web.Request) -> web.Response:
    w = Words(lang_of(request))
    period, report = await _report(request)
    body = (_department_body(request, report, w) if request[SESSION]["role"] == "department"
            else _supervisor_body(request, report, w))
    title = h("{} {}", w.report_title, period.label)
    return page(request, title, h('<h1>{}</h1><p class="hint">{} {}</p>{}{}', title,
                                  w.report_as_of, report["period"]["as_of"][:16]
                                  .replace("T", " "), _period_form(request, period, w),
                                  body), body_class="report")


@require(*ROLES)
async def departments_csv(request: web.Request) -> web.Response:
    period, report = await _report(request)
    return web.Response(text=report_files.to_csv(report), content_type="text/csv",
                        charset="utf-8", headers=_attachment(period, "csv"))


@require(*ROLES)
async def departments_xlsx(request: web.Request) -> web.Response:
    period, report = await _report(request)
    body = await asyncio.to_thread(report_files.to_xlsx, report,
                                   Words(lang_of(request)).status)
    return web.Response(body=body, content_type=XLSX, headers=_attachment(period, "xlsx"))


def _attachment(period: Period, ext: str) -> dict[str, str]:
    name = period.label.replace("..", "_")
    return {"Content-Disposition": f'attachment; filename="departments-{name}.{ext}"'}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/reports/departments", departments_page)
    app.router.add_get("/reports/my", departments_page)
    app.router.add_get("/reports/departments.csv", departments_csv)
    app.router.add_get("/reports/departments.xlsx", departments_xlsx)

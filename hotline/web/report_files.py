"""The department report as files to download: CSV (one row per department) and XLSX
(a sheet each for departments, regions, companies and overdue cases). Rates stay the
fractions of the JSON (0.98), so a spreadsheet can compute with them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

FIGURES = ("assigned", "timely_acceptance_rate", "on_time_completion_rate",
           "repeat_dispatch_rate", "send_back_rate", "satisfaction_rate", "visit_coverage",
           "supervision_notices", "overdue_count")
COMPANY_FIGURES = ("visits_answered", "satisfaction_rate", "cases_replied", "visit_coverage")


def department_rows(report: dict[str, Any]) -> list[list[Any]]:
    """Header, then the departments in rank order (rank empty when not ranked)."""
    rank = {r["code"]: r["rank"] for r in report.get("ranking", [])}
    ordered = sorted(report["departments"], key=lambda d: (rank.get(d["code"], 0), d["code"]))
    return [["rank", "code", "name", "region", *FIGURES],
            *([rank.get(d["code"], ""), d["code"], d["name"], d["region"],
               *(_cell(d[k]) for k in FIGURES)] for d in ordered)]


def _cell(value: Any) -> Any:
    return "" if value is None else value


def to_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(department_rows(report))
    return out.getvalue()


def to_xlsx(report: dict[str, Any], status_name: Callable[[str], str] = str) -> bytes:
    """A workbook with what the report holds (a department's own report: one sheet);
    an overdue case's status keeps its code, with ``status_name`` of it beside."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "departments"
    for row in department_rows(report):
        sheet.append(row)
    if report.get("regions"):
        regions = book.create_sheet("regions")
        regions.append(["code", "name", *FIGURES])
        for r in report["regions"]:
            regions.append([r["code"], r["name"], *(_cell(r[k]) for k in FIGURES)])
    if report.get("companies"):
        firms = book.create_sheet("companies")
        firms.append(["code", "name", *COMPANY_FIGURES])
        for c in report["companies"]:
            firms.append([c["code"], c["name"], *(_cell(c[k]) for k in COMPANY_FIGURES)])
    late = book.create_sheet("overdue")
    late.append(["department", "case", "status", "status_name", "due_at", "overdue_hours"])
    for d in report["departments"]:
        for case in d["overdue"]:
            late.append([d["code"], case["number"], case["status"],
                         status_name(case["status"]), case["due_at"], case["overdue_hours"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""`hotline report departments`: the month's (or any days') department report from the
operator's shell, as a table to read or one line of JSON for a script; `hotline report
agents --day`: each agent's (seat's) day, logged in, paused by reason, talking, wrap-up
and calls.

Exit codes: 0 ok, 2 a period that cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from typing import Any

from case_store.reports import Period
from case_store.workdays import SHANGHAI

COLUMNS = (  # (heading, key) of the readable table
    ("assigned", "assigned"), ("accept", "timely_acceptance_rate"),
    ("on-time", "on_time_completion_rate"), ("repeat", "repeat_dispatch_rate"),
    ("sent-back", "send_back_rate"), ("satisfied", "satisfaction_rate"),
    ("visited", "visit_coverage"), ("notices", "supervision_notices"),
    ("overdue", "overdue_count"),
)


def period_of(args: argparse.Namespace) -> Period:
    """--month, or --from and --to (both days included); the current month by default."""
    if args.month and (args.start or args.end):
        raise ValueError("give --month or --from/--to, not both")
    if args.start or args.end:
        if not (args.start and args.end):
            raise ValueError("--from and --to go together")
        return Period.days(date.fromisoformat(args.start), date.fromisoformat(args.end))
    if args.month:
        return Period.month(args.month)
    return Period.month(datetime.now(SHANGHAI).strftime("%Y-%m"))


def cell(value: Any) -> str:
    """A rate as a percentage, a count as itself, nothing as a dash."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value * 100:.1f}%"
    return str(value)


def table(report: dict[str, Any]) -> str:
    """Departments by rank, then regions, then the city line."""
    rank = {r["code"]: r["rank"] for r in report["ranking"]}
    head = "\t".join(["rank", "department", *(h for h, _ in COLUMNS)])
    lines = [f"department report {report['period']['label']}", head]
    for d in sorted(report["departments"], key=lambda d: rank[d["code"]]):
        lines.append("\t".join([str(rank[d["code"]]), d["code"],
                                *(cell(d[k]) for _, k in COLUMNS)]))
    lines.append("")
    lines.append("\t".join(["", "region", *(h for h, _ in COLUMNS)]))
    for r in report["regions"]:
        lines.append("\t".join(["", r["code"], *(cell(r[k]) for _, k in COLUMNS)]))
    city = report["city"]
    lines.append("")
    lines.append(f"city: completion {cell(city['completion_rate'])} "
                 f"({city['cases_completed']}/{city['cases_taken']}), "
                 f"satisfaction {cell(city['satisfaction_rate'])} "
                 f"({city['satisfied']}/{city['visits_answered']}), "
                 f"visit coverage {cell(city['visit_coverage'])}")
    return "\n".join(lines)


def _departments(args: argparse.Namespace) -> int:
    try:
        period = period_of(args)
    except ValueError as exc:
        print(f"hotline report: {exc}", file=sys.stderr)
        return 2
    from hotline.cli.case import open_store

    store = open_store(args)
    try:
        report = store.department_report(period)
    finally:
        store.close()
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(table(report))
    return 0


def hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def agents_table(day: str, rows: list[dict[str, Any]]) -> str:
    lines = [f"agents {day}", "\t".join(["seat", "logged-in", "paused", "talking", "wrap-up",
                                           "calls", "paused by reason"])]
    for row in rows:
        reasons = ", ".join(f"{k} {hms(v)}" for k, v in row["paused_s"].items()) or "-"
        lines.append("\t".join([row["seat"], hms(row["logged_in_s"]),
                                hms(row["paused_total_s"]), hms(row["talking_s"]),
                                hms(row["wrapup_s"]), str(row["calls"]), reasons]))
    return "\n".join(lines)


def _agents(args: argparse.Namespace) -> int:
    try:
        day = date.fromisoformat(args.day) if args.day else datetime.now(SHANGHAI).date()
    except ValueError as exc:
        print(f"hotline report: {exc}", file=sys.stderr)
        return 2
    from hotline.cli.case import open_store
    from hotline.config import load_config
    from hotline.seats import seat_numbers

    cfg = load_config(args.config)
    store = open_store(args)
    try:
        rows = store.agent_day_report(day, cfg.acd_wrapup_s, seat_numbers(cfg, store.engine))
    finally:
        store.close()
    if args.json:
        print(json.dumps({"day": day.isoformat(), "agents": rows}, ensure_ascii=False))
    else:
        print(agents_table(day.isoformat(), rows))
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``report departments`` and ``report agents``."""
    report = subparsers.add_parser("report", help="periodic reports")
    sub = report.add_subparsers(dest="report_cmd", required=True)
    deps = sub.add_parser("departments",
                          help="departments, regions, companies and the city over a period")
    deps.add_argument("--month", help="YYYY-MM (Asia/Shanghai; default this month)")
    deps.add_argument("--from", dest="start", help="first day YYYY-MM-DD")
    deps.add_argument("--to", dest="end", help="last day YYYY-MM-DD (included)")
    deps.add_argument("--json", action="store_true", help="one line of JSON")
    deps.set_defaults(handler=_departments)
    agents = sub.add_parser("agents", help="each agent's day: logged in, paused by reason, "
                                           "talking, wrap-up, calls")
    agents.add_argument("--day", help="YYYY-MM-DD (Asia/Shanghai; default today)")
    agents.add_argument("--json", action="store_true", help="one line of JSON")
    agents.set_defaults(handler=_agents)

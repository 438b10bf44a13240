"""`hotline case ...`: look at and steer cases from the operator's shell.

The lead wires ``add_case_commands`` into ``hotline.cli``; handlers return exit codes
(0 ok, 1 not found or refused, 2 bad input) and print errors to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from case_store.errors import CaseNotFoundError, CaseStoreError
from case_store.workdays import SHANGHAI

_CLOCK_KINDS = ("consult", "affairs", "complaint", "suggestion", "life", "emergency")


def _store(args: argparse.Namespace):  # noqa: ANN202 - CaseStore, imported lazily
    from case_store.store import CaseStore
    from hotline.config import load_config

    store = CaseStore(load_config(args.config).effective_database_url)
    store.setup()
    return store


def _case_json(view) -> dict:  # noqa: ANN001 - CaseView
    out = {}
    for key, value in view.__dict__.items():
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    out["cohandlers"] = list(view.cohandlers)
    return out


def _show(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        case = store.get_case(args.number)
        events = [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                   "to": e.to_status, "data": e.data} for e in store.events(args.number)]
    finally:
        store.close()
    print(json.dumps({**_case_json(case), "events": events}, ensure_ascii=False, indent=2))
    return 0


def _list(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        cases = store.list_cases(overdue=args.overdue, owner=args.owner)
    finally:
        store.close()
    for c in cases:
        due = c.due_at.isoformat() if c.due_at else "-"
        print(f"{c.number}\t{c.status}\t{c.kind}\t{c.owner or '-'}\t{due}")
    return 0


def _reassign(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        case = store.transition(args.number, "reassign", args.actor, to=args.to)
    finally:
        store.close()
    print(f"{case.number} -> {case.owner} (due {case.due_at.isoformat() if case.due_at else '-'})")
    return 0


def _deadline(args: argparse.Namespace) -> int:
    """Due time for a kind assigned at --at (no database needed)."""
    from case_store import sla
    from case_store.workdays import WorkCalendar

    try:
        at = datetime.fromisoformat(args.at)
    except ValueError:
        print(f"hotline case deadline: --at {args.at!r} is not an ISO 8601 time",
              file=sys.stderr)
        return 2
    if at.tzinfo is None:
        at = at.replace(tzinfo=SHANGHAI)
    if args.kind == "life":
        print(sla.contact_due(at).astimezone(SHANGHAI).isoformat())
        return 0
    if args.kind == "emergency":
        print(at.astimezone(SHANGHAI).isoformat())
        return 0
    due = sla.handling_due(WorkCalendar(), args.kind, at)
    assert due is not None
    print(due.at.isoformat() + (" provisional" if due.provisional else ""))
    return 0


def _guard(handler):  # noqa: ANN001, ANN202 - wraps a handler with the error policy
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except CaseNotFoundError as exc:
            print(f"hotline case: {exc}", file=sys.stderr)
            return 1
        except CaseStoreError as exc:
            print(f"hotline case: {exc}", file=sys.stderr)
            return 2

    return run


def add_case_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``case show|list|reassign|deadline`` on the top-level subparsers."""
    case = subparsers.add_parser("case", help="inspect and steer citizen cases")
    sub = case.add_subparsers(dest="case_cmd", required=True)

    show = sub.add_parser("show", help="a case with its full event log (JSON)")
    show.add_argument("number")
    show.set_defaults(handler=_guard(_show))

    lst = sub.add_parser("list", help="open cases")
    lst.add_argument("--overdue", action="store_true", help="only cases past their deadline")
    lst.add_argument("--owner", help="only cases of this department or company")
    lst.set_defaults(handler=_guard(_list))

    re_ = sub.add_parser("reassign", help="hand a case to another department")
    re_.add_argument("number")
    re_.add_argument("--to", required=True, help="department code")
    re_.add_argument("--actor", default="operator")
    re_.set_defaults(handler=_guard(_reassign))

    dl = sub.add_parser("deadline", help="due time of a kind assigned at a moment")
    dl.add_argument("--kind", required=True, choices=_CLOCK_KINDS)
    dl.add_argument("--at", required=True, help="ISO 8601 time (default zone Asia/Shanghai)")
    dl.set_defaults(handler=_guard(_deadline))

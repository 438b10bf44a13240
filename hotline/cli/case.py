"""`hotline case ...`: look at and steer cases from the operator's shell.

``hotline.cli`` adds these with ``add_commands``; handlers return exit codes
(0 ok, 1 no such case, 2 bad input or a step the rules refuse) and print errors to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from case_store.errors import CaseNotFoundError, CaseStoreError
from case_store.workdays import SHANGHAI
from hotline.cli.listing import add_json_flag, emit

_CLOCK_KINDS = ("consult", "affairs", "complaint", "suggestion", "life", "emergency")
# the columns (TSV header) and JSON keys of the listings, in order
CASE_COLUMNS = ("number", "status", "kind", "owner", "due_at")
COMPANY_COLUMNS = ("code", "trade", "standing", "suspended_until", "rating")
VISIT_COLUMNS = ("number", "caller", "owner_type", "owner", "handed_over_at")


def open_store(args: argparse.Namespace):
    """The case store the config names, migrated and seeded (every command opens it so)."""
    from case_store.policy import CasePolicy
    from case_store.store import CaseStore
    from hotline.config import load_config

    cfg = load_config(args.config)
    store = CaseStore(cfg.effective_database_url, policy=CasePolicy.from_config(cfg))
    store.setup()
    return store


def _plain(view) -> dict:
    return {key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in view.__dict__.items()}


def _case_json(view) -> dict:
    return {**_plain(view), "cohandlers": list(view.cohandlers)}


def _show(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        case = store.get_case(args.number)
        events = [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                   "to": e.to_status, "data": e.data} for e in store.events(args.number)]
    finally:
        store.close()
    print(json.dumps({**_case_json(case), "events": events}, ensure_ascii=False, indent=2))
    return 0


def _list(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        cases = store.list_cases(overdue=args.overdue, owner=args.owner)
    finally:
        store.close()
    emit(CASE_COLUMNS, [{"number": c.number, "status": c.status, "kind": c.kind,
                         "owner": c.owner or None, "due_at": c.due_at} for c in cases],
         as_json=args.json)
    return 0


def _reassign(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        case = store.transition(args.number, "reassign", args.actor, to=args.to)
    finally:
        store.close()
    print(f"{case.number} -> {case.owner} (due {case.due_at.isoformat() if case.due_at else '-'})")
    return 0


def _companies(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        rows = store.companies(trade=args.trade)
    finally:
        store.close()
    emit(COMPANY_COLUMNS, [{"code": c.code, "trade": c.trade, "standing": c.standing,
                            "suspended_until": c.suspended_until, "rating": c.rating}
                           for c in rows],
         as_json=args.json, cells={"rating": lambda r: f"{r:.1f}"})
    return 0


def _company(args: argparse.Namespace) -> int:
    """Show a company's standing, figures and log; or lift a penalty / carry out a
    termination proposal."""
    store = open_store(args)
    try:
        if args.lift:
            store.lift_penalty(args.code, args.actor, args.reason or "")
        elif args.terminate:
            store.terminate_company(args.code, args.actor, args.reason or "")
        view, figures, log = store.company_record(args.code)
    finally:
        store.close()
    print(json.dumps({**_plain(view), "figures": figures, "log": [_plain(e) for e in log]},
                     ensure_ascii=False, indent=2))
    return 0


def _visits(args: argparse.Namespace) -> int:
    """Follow-up visits handed to agents after the automatic calls failed."""
    store = open_store(args)
    try:
        visits = store.agent_followups()
    finally:
        store.close()
    emit(VISIT_COLUMNS, [{"number": v.case_number, "caller": v.caller,
                          "owner_type": v.owner_type, "owner": v.owner,
                          "handed_over_at": v.handed_over_at} for v in visits],
         as_json=args.json)
    return 0


def _visit(args: argparse.Namespace) -> int:
    """An agent records the answer of a visit made by hand."""
    store = open_store(args)
    try:
        if args.unreachable:
            case = store.record_unreachable(args.number, actor=args.actor,
                                            note=args.note or "")
        else:
            case = store.record_followup(args.number, args.answer, company_time=args.time,
                                         company_quality=args.quality,
                                         company_price=args.price,
                                         note=args.note or "agent visit", actor=args.actor)
    finally:
        store.close()
    print(f"{case.number}\t{case.status}\t{case.owner or '-'}")
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


def _guard(handler):
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


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``case show|list|reassign|deadline|companies|company|visits|visit``."""
    case = subparsers.add_parser("case", help="inspect and steer citizen cases")
    sub = case.add_subparsers(dest="case_cmd", required=True)

    show = sub.add_parser("show", help="a case with its full event log (JSON)")
    show.add_argument("number")
    show.set_defaults(handler=_guard(_show))

    lst = sub.add_parser("list", help="open cases")
    lst.add_argument("--overdue", action="store_true", help="only cases past their deadline")
    lst.add_argument("--owner", help="only cases of this department or company")
    add_json_flag(lst)
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

    cos = sub.add_parser("companies", help="partner companies and their standing")
    cos.add_argument("--trade", help="only companies of this trade")
    add_json_flag(cos)
    cos.set_defaults(handler=_guard(_companies))

    co = sub.add_parser("company", help="a company's standing, figures and log (JSON)")
    co.add_argument("code")
    act = co.add_mutually_exclusive_group()
    act.add_argument("--lift", action="store_true",
                     help="end a yellow card, suspension or termination proposal (--reason)")
    act.add_argument("--terminate", action="store_true",
                     help="carry out a termination proposal (--actor supervision_office)")
    co.add_argument("--reason")
    co.add_argument("--actor", default="operator")
    co.set_defaults(handler=_guard(_company))

    vs = sub.add_parser("visits", help="follow-up visits waiting for an agent")
    add_json_flag(vs)
    vs.set_defaults(handler=_guard(_visits))

    answers = (1, 2, 3)
    vi = sub.add_parser("visit", help="record the answer of an agent's follow-up visit")
    vi.add_argument("number")
    given = vi.add_mutually_exclusive_group(required=True)
    given.add_argument("--answer", type=int, choices=answers,
                       help="1 satisfied, 2 basically, 3 not satisfied (sends the case back)")
    given.add_argument("--unreachable", action="store_true",
                       help="the citizen could not be reached: the visit ends unanswered")
    vi.add_argument("--time", type=int, choices=answers, help="company: on time? (1-3)")
    vi.add_argument("--quality", type=int, choices=answers, help="company: quality (1-3)")
    vi.add_argument("--price", type=int, choices=answers, help="company: price (1-3)")
    vi.add_argument("--note")
    vi.add_argument("--actor", required=True, help="the agent who made the visit")
    vi.set_defaults(handler=_guard(_visit))

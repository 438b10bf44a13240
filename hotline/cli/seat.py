"""`hotline seat add|remove|enable|disable|list|import`: the seats as data.

Once the seat table lists a seat, its enabled seats replace the configured range
(`[seat] first`/`count`). A change takes effect with `hotline asterisk up` (PJSIP
endpoints re-rendered and reloaded) and a restart of `hotline run` (one process at a
time when two run), which read the seats once as they start.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hotline.cli.listing import add_json_flag, emit, json_value

SEAT_COLUMNS = ("number", "name", "site", "enabled", "created_at")  # TSV header, JSON keys
TAKES_EFFECT = "takes effect after `hotline asterisk up` and a restart of `hotline run`"


def _roster(args: argparse.Namespace):
    from hotline.cli.case import open_store
    from hotline.config import load_config
    from hotline.seats import seat_roster

    store = open_store(args)  # migrated: the seat table exists
    return seat_roster(load_config(args.config), store.engine)


def _row(seat) -> dict:
    return {"number": seat.number, "name": seat.name, "site": seat.site,
            "enabled": seat.enabled, "created_at": seat.created_at}


def _seat(args: argparse.Namespace) -> int:
    from case_store.errors import CaseStoreError

    try:
        if args.action != "list" and not args.target:
            raise ValueError(f"`seat {args.action}` needs a "
                             f"{'CSV file' if args.action == 'import' else 'seat number'}")
        roster = _roster(args)
        if args.action == "list":
            emit(SEAT_COLUMNS, [_row(s) for s in roster.list_seats()], as_json=args.json,
                 cells={"enabled": lambda v: "yes" if v else "no"})
            return 0
        if args.action == "add":
            result = {"seat": _row(roster.add(args.target, args.name, args.site))}
        elif args.action == "remove":
            roster.remove(args.target)
            result = {"seat": args.target, "removed": True}
        elif args.action in ("enable", "disable"):
            result = {"seat": _row(roster.set_enabled(args.target, args.action == "enable"))}
        else:
            seats = roster.import_csv(Path(args.target))
            result = {"imported": len(seats)}
        result["note"] = TAKES_EFFECT
        print(json.dumps(result, ensure_ascii=False, default=json_value))
        return 0
    except (CaseStoreError, ValueError, OSError) as exc:
        print(f"hotline seat {args.action}: {exc}", file=sys.stderr)
        return 1


def add_commands(sub: argparse._SubParsersAction) -> None:
    seat = sub.add_parser("seat", help="the seats (PJSIP endpoints the ACD rings), as data")
    seat.add_argument("action", choices=["add", "remove", "enable", "disable", "list",
                                         "import"],
                      help="import FILE.csv: number,name,site rows (header optional), "
                           "all or nothing")
    seat.add_argument("target", nargs="?", default="", help="seat number, or the CSV file")
    seat.add_argument("--name", default="", help="display name (add)")
    seat.add_argument("--site", default=None, help="site (add)")
    add_json_flag(seat)  # for `list`
    seat.set_defaults(handler=_seat)

"""`hotline user ...` and `hotline apikey ...`: bootstrap web console accounts and API keys.

The password is read from standard input (one line) when it is not a terminal, prompted
for when it is, or generated and printed once with ``--generate``; it never appears on
the command line, where other users could read it from the process list.
"""

from __future__ import annotations

import argparse
import getpass
import json
import secrets
import sys

from hotline.cli.listing import add_json_flag, emit
from hotline.config import load_config

USER_COLUMNS = ("name", "role", "seat", "dept", "company", "state")  # TSV header, JSON keys


def _accounts(args: argparse.Namespace):
    from case_store import CaseStore
    from case_store.accounts import AccountStore

    store = CaseStore(load_config(args.config).effective_database_url)
    store.setup(seed=True)
    return AccountStore(store.engine)


def _read_password(generate: bool) -> tuple[str, bool]:
    if generate:
        return secrets.token_urlsafe(15), True
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            raise ValueError("the two passwords differ")
        return first, False
    return sys.stdin.readline().rstrip("\n"), False


def _user(args: argparse.Namespace) -> int:
    from case_store.errors import CaseStoreError

    try:
        accounts = _accounts(args)
        if args.action == "list":
            emit(USER_COLUMNS, [{"name": u.name, "role": u.role, "seat": u.seat,
                                 "dept": u.dept, "company": u.company, "state": u.state}
                                for u in accounts.list_users()], as_json=args.json)
            return 0
        if args.action == "delete":
            removal = accounts.remove(args.name)
            print(json.dumps({"user": removal.name, "outcome": removal.outcome,
                              "history_references": removal.references}))
            return 0
        if args.action == "disable":
            accounts.disable(args.name)
            print(json.dumps({"user": args.name, "disabled": True}))
            return 0
        password, generated = _read_password(args.generate)
        if args.action == "passwd":
            accounts.set_password(args.name, password)
            user = {"user": args.name, "password_changed": True}
        else:
            view = accounts.add_user(args.name, args.role, password, seat=args.seat,
                                     dept=args.dept, company=args.company)
            user = {"user": view.name, "role": view.role, "seat": view.seat, "dept": view.dept,
                    "company": view.company}
        if generated:
            user["password"] = password
        print(json.dumps(user, ensure_ascii=False))
        return 0
    except (CaseStoreError, ValueError) as exc:
        print(f"hotline user {args.action}: {exc}", file=sys.stderr)
        return 1


def _apikey(args: argparse.Namespace) -> int:
    from case_store.errors import CaseStoreError

    try:
        accounts = _accounts(args)
        if args.action != "list" and not args.label:
            raise ValueError("a label (add) or a key id (revoke) is needed")
        if args.action == "revoke":
            accounts.revoke_api_key(int(args.label))
            print(json.dumps({"revoked": int(args.label)}))
            return 0
        if args.action == "list":
            emit(("id", "label", "scope", "created_at", "revoked_at"), accounts.api_keys(),
                 as_json=args.json)
            return 0
        key_id, key = accounts.add_api_key_with_id(args.label, args.scope)
        print(json.dumps({"id": key_id, "label": args.label, "scope": args.scope, "key": key}))
        return 0
    except (CaseStoreError, ValueError) as exc:
        print(f"hotline apikey {args.action}: {exc}", file=sys.stderr)
        return 1


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `user` and `apikey` on the main parser's subcommands."""
    from case_store.accounts import ROLES, SCOPES

    user = sub.add_parser("user", help="web console accounts")
    user.add_argument("action", choices=["add", "passwd", "disable", "delete", "list"],
                      help="delete: removed, or retired (disabled, no password, no seat) "
                           "when case logs or audit rows name the user; sessions end")
    user.add_argument("name", nargs="?", default="")
    user.add_argument("--role", choices=ROLES, default="agent",
                      help="leader: 领导批办, instructs the cases supervisors mark for them")
    user.add_argument("--seat", help="seat extension (agent, supervisor)")
    user.add_argument("--dept", help="department code (department role)")
    user.add_argument("--company", help="company code (company role)")
    user.add_argument("--generate", action="store_true",
                      help="generate a password and print it once")
    add_json_flag(user)  # for `list`
    user.set_defaults(handler=_user)

    key = sub.add_parser("apikey", help="API keys for Open311, SMS, WeChat, metrics and the "
                         "machine API (acd:read, acd:write, cases:read, cases:write)")
    key.add_argument("action", choices=["add", "revoke", "list"])
    key.add_argument("label", nargs="?", default="",
                     help="what the key is for (add) or the key id (revoke)")
    key.add_argument("--scope", choices=SCOPES, default="open311")
    add_json_flag(key)  # for `list`
    key.set_defaults(handler=_apikey)

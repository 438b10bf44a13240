"""`hotline asterisk up|down|status|cli CMD`: provision and control this instance's Asterisk."""

from __future__ import annotations

import argparse
import json
import sys

from hotline.config import load_config


def _asterisk(args: argparse.Namespace) -> int:
    from asterisk_conf.sandbox import SandboxError
    from hotline.asterisk import sandbox_for

    if args.action == "cli" and not args.command:
        print("hotline asterisk cli: give a command, e.g. \"core show version\"", file=sys.stderr)
        return 2
    sandbox = sandbox_for(load_config(args.config), log=lambda m: print(m, file=sys.stderr))
    try:
        if args.action == "up":
            print(json.dumps({"asterisk": "up", **sandbox.up()}))
            return 0
        if args.action == "down":
            print(json.dumps({"asterisk": "down", "was_running": sandbox.down()}))
            return 0
        if args.action == "status":
            running = sandbox.running()
            print(json.dumps({"asterisk": "running" if running else "stopped",
                              "root": str(sandbox.layout.root),
                              "chrooted": sandbox.layout.chrooted}))
            return 0 if running else 3
        result = sandbox.rx(" ".join(args.command))
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        return result.returncode
    except SandboxError as exc:
        print(f"hotline asterisk {args.action}: {exc}", file=sys.stderr)
        return 1


def add_commands(sub: argparse._SubParsersAction) -> None:
    ast = sub.add_parser("asterisk", help="provision and control the Asterisk sandbox")
    ast.add_argument("action", choices=["up", "down", "status", "cli"])
    ast.add_argument("command", nargs="*", help="CLI command for `cli`")
    ast.set_defaults(handler=_asterisk)

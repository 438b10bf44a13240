"""`hotline ...`: the operator's command line, one module a command group.

Groups outside the product (the test kit's `bench`) join through the entry-point group
``hotline.commands``: each entry is ``add_commands(subparsers)``, so the product never
imports them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, entry_points, version

from hotline.config import ConfigError

Handler = Callable[[argparse.Namespace], int]
PLUGIN_GROUP = "hotline.commands"
DISTRIBUTION = "hotline-8890"  # setup.cfg [metadata] name


def package_version() -> str:
    """The installed distribution's version (setup.cfg), or a note that it is not installed."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed)"


def _plugin_commands(sub: argparse._SubParsersAction) -> None:
    for entry in entry_points(group=PLUGIN_GROUP):
        try:
            add_commands = entry.load()
        except ImportError:  # the tooling is not installed here: its commands are absent
            continue
        add_commands(sub)


def build_parser() -> argparse.ArgumentParser:
    from hotline.cli import asterisk, call, case, redis, report, run, seat, speech, tag, user

    parser = argparse.ArgumentParser(prog="hotline", description="8890 citizen hotline")
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    parser.add_argument("--config", help="TOML config file (default ./hotline.toml)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    for group in (asterisk, redis, run, call, case, report, seat, speech, tag, user):
        group.add_commands(sub)
    _plugin_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"hotline: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `hotline tag < big.txt | head`: the reader left, not an error
        sys.stderr.close()
        return 0

"""`hotline run`: the FastAGI IVR, the ACD's AMI link, the case workers and the web console."""

from __future__ import annotations

import argparse

from hotline.config import load_config


def _run(args: argparse.Namespace) -> int:
    from hotline.service import run_service

    return run_service(load_config(args.config), role=args.role)


def add_commands(sub: argparse._SubParsersAction) -> None:
    from hotline.service import ROLES

    run = sub.add_parser("run", help="run the hotline: FastAGI IVR, ACD AMI link, web console")
    run.add_argument("--role", choices=ROLES, default="all",
                     help="all (default), or acd: a further ACD and FastAGI process beside "
                          "the first, serving only /healthz on its web port")
    run.set_defaults(handler=_run)

"""`hotline run`: the FastAGI IVR, the ACD's AMI link, the case workers and the web console."""

from __future__ import annotations

import argparse

from hotline.config import load_config


def _run(args: argparse.Namespace) -> int:
    from hotline.service import run_service

    return run_service(load_config(args.config))


def add_commands(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run the hotline: FastAGI IVR, ACD AMI link, web console")
    run.set_defaults(handler=_run)

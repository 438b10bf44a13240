"""`hotline redis up|down|status`: the hotline's own Redis (loopback, password, AOF)."""

from __future__ import annotations

import argparse
import json
import sys

from hotline.config import load_config


def _redis(args: argparse.Namespace) -> int:
    from hotline.own_redis import OwnRedis, OwnRedisError

    own = OwnRedis(load_config(args.config))
    try:
        if args.action == "up":
            own.up()
            print(json.dumps({"redis": "up", "port": own.cfg.redis_port}))
            return 0
        if args.action == "down":
            print(json.dumps({"redis": "down", "was_running": own.down()}))
            return 0
        running = own.running()
        print(json.dumps({"redis": "running" if running else "stopped",
                          "port": own.cfg.redis_port}))
        return 0 if running else 3
    except OwnRedisError as exc:
        print(f"hotline redis {args.action}: {exc}", file=sys.stderr)
        return 1


def add_commands(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("redis", help="the hotline's own Redis (with no [redis] url)")
    cmd.add_argument("action", choices=["up", "down", "status"])
    cmd.set_defaults(handler=_redis)

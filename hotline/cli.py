"""`hotline ...`: the operator's command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from hotline.config import ConfigError, load_config

Handler = Callable[[argparse.Namespace], int]


def _asterisk(args: argparse.Namespace) -> int:
    from hotline.asterisk_sandbox import Sandbox, SandboxError

    sandbox = Sandbox(load_config(args.config), log=lambda m: print(m, file=sys.stderr))
    try:
        if args.action == "up":
            timings = sandbox.up()
            print(json.dumps({"asterisk": "up", **timings}))
            return 0
        if args.action == "down":
            was_running = sandbox.down()
            print(json.dumps({"asterisk": "down", "was_running": was_running}))
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


def _run(args: argparse.Namespace) -> int:
    from hotline.service import run_service

    return run_service(load_config(args.config))


def _call(args: argparse.Namespace) -> int:
    from hotline.test_call import place_call

    return place_call(load_config(args.config), args.number, args.caller, args.wav)


def _bench(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    if args.what == "store":
        from hotline.bench_store import run_store_bench

        report = run_store_bench(cfg)
    elif args.what == "acd":
        from hotline.bench_acd import run_acd_bench

        report = run_acd_bench(cfg, calls=args.calls, compress=args.compress)
    else:
        from hotline.bench_speech import run_speech_bench

        report = run_speech_bench(cfg)
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description="8890 citizen hotline")
    parser.add_argument("--config", help="TOML config file (default ./hotline.toml)")
    sub = parser.add_subparsers(dest="cmd", required=True)

    ast = sub.add_parser("asterisk", help="provision and control the Asterisk sandbox")
    ast.add_argument("action", choices=["up", "down", "status", "cli"])
    ast.add_argument("command", nargs="*", help="CLI command for `cli`")
    ast.set_defaults(handler=_asterisk)

    run = sub.add_parser("run", help="run the hotline: FastAGI IVR, ACD AMI link, web console")
    run.set_defaults(handler=_run)

    call = sub.add_parser("call", help="place a test call into the running hotline")
    call.add_argument("number", help="number to dial, e.g. 88900000")
    call.add_argument("--from", dest="caller", default="13800138000", help="caller ID")
    call.add_argument("--wav", help="WAV file the caller plays after being answered")
    call.set_defaults(handler=_call)

    bench = sub.add_parser("bench", help="benchmarks; print JSON")
    bench.add_argument("what", choices=["store", "speech", "acd"])
    bench.add_argument("--calls", type=int, default=60, help="acd: calls per run (default 60)")
    bench.add_argument("--compress", type=float, default=10.0,
                       help="acd: time compression factor K (default 10)")
    bench.add_argument("--json", action="store_true", help="one line of JSON")
    bench.set_defaults(handler=_bench)

    from hotline.case_cli import add_case_commands
    from hotline.tag_cli import add_tag_commands
    from hotline.user_cli import add_user_commands

    add_case_commands(sub)
    add_tag_commands(sub)
    add_user_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.cmd == "asterisk" and args.action == "cli" and not args.command:
        print("hotline asterisk cli: give a command, e.g. \"core show version\"", file=sys.stderr)
        return 2
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


if __name__ == "__main__":
    sys.exit(main())

"""`hotline bench ...` and `hotline demo` (testkit/demo.py), registered through the
`hotline.commands` entry point.

The product CLI (`hotline.cli`) never imports testkit: it asks setuptools for the
entry points of group ``hotline.commands`` and calls each `add_commands(subparsers)`.
setup.cfg names this one: ``bench = testkit.commands:add_commands``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from hotline.config import load_config


def _simulate(args: argparse.Namespace) -> dict[str, Any]:
    """`bench acd --simulate`: no Asterisk, no Redis, the product's default settings."""
    from testkit.bench.acd_sim_report import (
        CALLS,
        LOADS,
        REPLICATIONS,
        parse_variant,
        run_sim_bench,
    )

    loads = [float(x) for x in args.loads.split(",") if x.strip()] if args.loads else LOADS
    return run_sim_bench(calls=args.calls or CALLS,
                         replications=args.replications or REPLICATIONS, loads=loads,
                         variants=[parse_variant(v) for v in args.slack or []],
                         plot=args.plot or None)


def _bench(args: argparse.Namespace) -> int:
    if args.what == "acd" and args.simulate:
        print(json.dumps(_simulate(args), ensure_ascii=False, indent=None if args.json else 2))
        return 0
    if args.simulate:
        raise SystemExit("--simulate is for `bench acd` only")
    if args.what == "tagging":  # no services: the tagger and the evaluation set only
        from testkit.bench.tagging import run_tagging_bench

        report = run_tagging_bench(kfold=not args.no_kfold)
        print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))
        return 0
    cfg = load_config(args.config)
    if cfg.redis_url == cfg.own_redis_url:  # no [redis] url: the hotline's own, up
        from hotline.own_redis import OwnRedis

        OwnRedis(cfg).up()
    report: dict[str, Any]
    if args.what == "store":
        from testkit.bench.store import run_store_bench

        report = run_store_bench(cfg)
    elif args.what == "chaos":
        from testkit.bench.chaos import run_chaos_bench

        faults = [f for f in (args.faults or "").split(",") if f] or None
        report = run_chaos_bench(cfg, faults, calls=args.calls or 60, rate=args.rate,
                                 outage_s=args.outage_s, settle_s=args.settle_s)
    elif args.what == "acd":
        from testkit.bench.acd import REPLICATIONS, run_acd_bench

        report = run_acd_bench(cfg, calls=args.calls or 60, compress=args.compress or 10.0,
                               replications=args.replications or REPLICATIONS)
    elif args.what == "claims":
        from testkit.bench.claims import run_claims_bench

        report = run_claims_bench(cfg)
    elif args.what == "soak":
        from testkit.bench.soak import run_soak_bench

        report = run_soak_bench(cfg, hours=args.hours, load=args.load,
                                compress=args.compress or 12.0)
    else:
        from testkit.bench.speech import run_speech_bench

        report = run_speech_bench(cfg)
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))
    return 0


def add_commands(sub: Any) -> None:
    """Add `bench` and `demo` to the `hotline` sub-parsers (argparse's _SubParsersAction).
    One entry point for both, so an installed checkout gains `demo` without reinstalling."""
    from testkit.demo import add_commands as add_demo

    add_demo(sub)
    bench = sub.add_parser("bench", help="benchmarks; print JSON")
    bench.add_argument("what", choices=["store", "speech", "acd", "chaos", "soak", "tagging",
                                        "claims"])
    bench.add_argument("--calls", type=int, default=None,
                       help="acd: calls per run (default 60; --simulate: 10000 per load and "
                            "replication); chaos: calls per fault (default 60)")
    bench.add_argument("--faults", default="",
                       help="chaos: comma-separated faults (default: all; see FAULTS)")
    bench.add_argument("--rate", type=float, default=1.0,
                       help="chaos: arrivals per second (4 seats take about 0.73)")
    bench.add_argument("--outage-s", type=float, default=None,
                       help="chaos: how long Redis, PostgreSQL or AMI stays away "
                            "(default 30, 60, 30 s)")
    bench.add_argument("--settle-s", type=float, default=60.0,
                       help="chaos: seconds after the load before the figures are read")
    bench.add_argument("--compress", type=float, default=None,
                       help="acd, soak: time compression factor K (default 10, soak 12)")
    bench.add_argument("--hours", type=float, default=2.0, help="soak: real hours of calls")
    bench.add_argument("--load", type=float, default=1.2,
                       help="soak: times the seed's call rate (default 1.2)")
    bench.add_argument("--replications", type=int, default=None,
                       help="acd: paired replications per load (the same draws for every "
                            "engine inside one, new draws across them), reported as means "
                            "with 95%% intervals and paired verdicts (default 1, about 25 min "
                            "at 60 calls; --simulate: 5)")
    bench.add_argument("--simulate", action="store_true",
                       help="acd: a discrete-event simulation on a virtual clock running the "
                            "real routing policy (no Asterisk, seconds)")
    bench.add_argument("--loads", default="",
                       help="acd --simulate: comma-separated load factors "
                            "(default 0.5,0.75,1,1.25,1.5)")
    bench.add_argument("--plot", default="acd-sim.svg",
                       help="acd --simulate: SVG written here (default acd-sim.svg)")
    bench.add_argument("--slack", action="append", default=None,
                       help="acd --simulate: also run a hotline variant, e.g. "
                            "due_lead_s=180,reserve_seats=2,min_ring_s=2 (repeatable), paired "
                            "against the defaults")
    bench.add_argument("--no-kfold", action="store_true",
                       help="tagging: skip the development part's k-fold (about 30 s)")
    bench.add_argument("--json", action="store_true", help="one line of JSON")
    bench.set_defaults(handler=_bench)

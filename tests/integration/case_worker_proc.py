"""A routing worker run as a separate process, which the crash test kills mid-routing."""

from __future__ import annotations

import sys
import time

import redis

from case_store.store import CaseStore
from case_store.streams import RoutingWorker


def main(url: str, prefix: str) -> None:
    def stall(number: str) -> None:
        print(f"routing {number}", flush=True)
        time.sleep(600)  # "mid-routing": the test kills us here

    store = CaseStore(url)
    worker = RoutingWorker(store, redis.Redis.from_url("redis://127.0.0.1:6379/0"), prefix,
                           consumer="doomed", before_route=stall)
    worker.poll(count=1, block_ms=20_000)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

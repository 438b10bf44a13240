"""Background work of the case store inside `hotline run`: outbox relay, routing, sweeps.

The case store is synchronous (SQLAlchemy sessions, redis-py), so this runs in one
thread: relay written cases to the routing stream, route what the stream delivers
(redelivered after a crash of any worker), and sweep deadlines twice a minute
(missed 10-minute contacts move on, overdue cases get a supervision notice).
Every process routes (the stream's consumer group shares the work); the relay and the
sweep run in one process at a time, the holder of the "case-workers" singleton lock.
"""

from __future__ import annotations

import logging
import threading
import time

import redis

from case_store.singleton import SingletonLock, process_owner
from case_store.streams import RoutingWorker, relay_outbox

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 30.0


class CaseWorkers:
    def __init__(self, store, client: redis.Redis, prefix: str) -> None:
        """``client``: this thread's own (blocking) Redis client; closed by ``stop``."""
        self.store = store
        self.client = client
        self.prefix = prefix
        self.worker = RoutingWorker(store, self.client, prefix,
                                    consumer=f"{process_owner()}-{id(self):x}")
        self.lock = SingletonLock(self.client, prefix, "case-workers")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="case-workers", daemon=True)
        self.routed = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.client.close()

    def _run(self) -> None:
        next_sweep = 0.0
        while not self._stop.is_set():
            try:
                leader = self.lock.held()
                if leader:
                    relay_outbox(self.store, self.client, self.prefix)
                self.routed += len(self.worker.poll(block_ms=500))
                if leader and time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + SWEEP_EVERY_S
                    self.store.sweep()
                    self.worker.forget_gone_consumers()
            except Exception:  # Redis or the database restarting: try again shortly
                log.exception("case workers: pass failed; retrying")
                self._stop.wait(1.0)

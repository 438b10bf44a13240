"""`hotline run`: every feature wired into one event loop, and stopped in reverse order."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from hotline.asterisk import layout_for
from hotline.config import Config
from hotline.features import FEATURES

log = logging.getLogger(__name__)

STOP_STEP_S = 5.0
ROLES = ("all", "acd")  # acd: no console, so several may run beside one "all"


class HotlineService:
    """Everything `hotline run` starts; the features fill in the parts they own."""

    def __init__(self, cfg: Config, role: str = "all") -> None:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        self.cfg = cfg
        self.role = role
        self.layout = layout_for(cfg)
        self.store: Any = None  # case_store.CaseStore
        self.seats: list[str] = []  # the seat table's, else the configured range (at start)
        self.redis: Any = None  # redis.asyncio.Redis, the telephony pool
        self.tagger: Any = None
        self.intake: Any = None  # case_store.intake_service.IntakeService
        self.records: Any = None  # acd.records.StoreWriter: SQL, or the durable spool
        self.acd: Any = None  # acd.engine.Acd
        self.ami: Any = None  # acd.ami_link.AmiLink
        self.recognizer: Any = None
        self.phone_intake: Any = None
        self.spoken: Any = None  # ivr.spoken.SpokenTexts: summaries, escalation messages
        self.agi: Any = None  # ivr.fastagi.FastAgiServer
        self.agi_server: asyncio.AbstractServer | None = None
        self.incoming: Any = None  # ivr.incoming.IncomingRoute
        self.elderly: Any = None  # case_store.elderly.ElderlyRegistry
        self.emergency: Any = None  # acd.emergency.EmergencyDialler
        self.presence: Any = None  # acd.terminal_presence.TerminalPresence
        self.seat_journal: Any = None  # acd.seat_journal.SeatJournal: login/pause history
        self.queue_log_file: Any = None  # acd.queue_log_file.QueueLogFile, when enabled
        self._stops: list[tuple[str, Callable[[], Any], bool]] = []

    def on_stop(self, name: str, step: Callable[[], Awaitable[Any] | Any],
                sync: bool = False) -> None:
        """Register how to stop what was just started (``sync``: a plain call)."""
        self._stops.append((name, step, sync))

    async def start(self) -> None:
        for wire in FEATURES:
            await wire(self)
        cfg = self.cfg
        log.info("hotline up (role %s): FastAGI %s:%d, web http://%s:%d/, AMI %s:%d",
                 self.role, cfg.agi_host, cfg.agi_port, cfg.web_host, cfg.web_port,
                 cfg.ami_host, cfg.ami_port)

    async def stop(self) -> None:
        """Stop in reverse order; a step that hangs is left behind after a few seconds."""
        while self._stops:
            name, step, sync = self._stops.pop()
            started = time.monotonic()
            try:
                if sync:
                    step()
                else:
                    await self._bounded(name, step)
            except Exception:
                log.exception("stopping %s failed", name)
            log.debug("stopped %s in %.2f s", name, time.monotonic() - started)

    @staticmethod
    async def _bounded(name: str, step: Callable[[], Awaitable[Any]]) -> None:
        """Await one step for at most STOP_STEP_S; past that it is cancelled and not
        waited for (``wait_for`` would wait on a step that ignores its cancellation)."""
        task = asyncio.ensure_future(step())
        done, _ = await asyncio.wait({task}, timeout=STOP_STEP_S)
        if not done:
            task.cancel()
            log.warning("stopping %s took over %.0f s; left behind", name, STOP_STEP_S)
            return
        task.result()

    async def originate(self, action: dict) -> dict:
        """AMI Originate for callbacks and follow-ups; an error reply while AMI is down."""
        if self.ami is None or not self.ami.connected.is_set():
            return {"Response": "Error", "Message": "AMI not connected"}
        try:
            return await self.ami.originate(action)
        except (TimeoutError, OSError) as exc:
            return {"Response": "Error", "Message": str(exc)}

    async def health(self) -> dict:
        redis_ok = True
        seats: dict[str, dict] = {}
        try:
            seats = await self.acd.board.all()
        except Exception:
            redis_ok = False
        links = {
            "case_store": await self._store_ok(),
            "ami": bool(self.ami and self.ami.connected.is_set()),
            "redis": redis_ok,
            "fastagi": self.agi_server is not None and self.agi_server.is_serving(),
        }
        spool = self.records.status() if self.records else {}
        if spool and self.phone_intake and self.phone_intake.spool:
            spool["cases_waiting"] = self.phone_intake.spool.depth()
        return {"ok": all(links.values()), "links": links, "seats": seats, "spool": spool}

    async def _store_ok(self) -> bool:
        if self.store is None:
            return False
        try:
            await asyncio.to_thread(self.store.calls, limit=1)
        except Exception:
            return False
        return True


async def _serve(cfg: Config, role: str) -> None:
    service = HotlineService(cfg, role)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await service.start()
        await stop.wait()
    finally:
        log.info("hotline stopping")
        await service.stop()


PRIVATE_UMASK = 0o077  # the database, spools and secrets hold personal data: owner only


def run_service(cfg: Config, role: str = "all") -> int:
    logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.umask(PRIVATE_UMASK)
    try:
        asyncio.run(_serve(cfg, role))
    except OSError as exc:
        log.error("cannot start: %s", exc)
        return 1
    return 0

"""`hotline run`: wire the FastAGI IVR, the AMI link, the case store and the web console."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web
from redis.asyncio import Redis

from acd.ami_link import AmiLink
from acd.seat_board import SeatBoard
from hotline.config import Config
from hotline.web import create_app
from ivr.fastagi import FastAgiServer
from ivr.incoming import IncomingRoute, RedisArrivals

log = logging.getLogger(__name__)


class HotlineService:
    """Everything `hotline run` starts, startable and stoppable inside one event loop."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.redis: Redis | None = None
        self.ami: AmiLink | None = None
        self.agi: FastAgiServer | None = None
        self.incoming: IncomingRoute | None = None
        self._agi_server: asyncio.AbstractServer | None = None
        self._web_runner: web.AppRunner | None = None
        self.store = None

    async def start(self) -> None:
        cfg = self.cfg
        from case_store import CaseStore

        cfg.instance_dir.mkdir(parents=True, exist_ok=True)
        self.store = CaseStore(cfg.effective_database_url)
        await asyncio.to_thread(self.store.setup, seed=True)
        self.redis = Redis.from_url(cfg.redis_url, decode_responses=True,
                                    health_check_interval=10, retry_on_timeout=True)
        board = SeatBoard(self.redis, cfg.key_prefix)
        self.ami = AmiLink(cfg.ami_host, cfg.ami_port, cfg.ami_user, cfg.ami_secret,
                           cfg.seats, board)
        await self.ami.start()
        self.agi = FastAgiServer()
        self.incoming = IncomingRoute(board, [RedisArrivals(self.redis, cfg.key_prefix)])
        self.agi.add_route("incoming", self.incoming.handle)
        self._agi_server = await self.agi.serve(cfg.agi_host, cfg.agi_port)
        self._web_runner = web.AppRunner(create_app(self.health))
        await self._web_runner.setup()
        await web.TCPSite(self._web_runner, cfg.web_host, cfg.web_port).start()
        log.info("hotline up: FastAGI %s:%d, web http://%s:%d/, AMI %s:%d",
                 cfg.agi_host, cfg.agi_port, cfg.web_host, cfg.web_port,
                 cfg.ami_host, cfg.ami_port)

    async def health(self) -> dict:
        redis_ok = True
        seats: dict[str, dict] = {}
        try:
            seats = await SeatBoard(self.redis, self.cfg.key_prefix).all()
        except Exception:
            redis_ok = False
        links = {
            "case_store": await self._store_ok(),
            "ami": bool(self.ami and self.ami.connected.is_set()),
            "redis": redis_ok,
            "fastagi": self._agi_server is not None and self._agi_server.is_serving(),
        }
        return {"ok": all(links.values()), "links": links, "seats": seats}

    async def _store_ok(self) -> bool:
        if self.store is None:
            return False
        try:
            await asyncio.to_thread(self.store.list_cases, overdue=True)
        except Exception:
            return False
        return True

    async def stop(self) -> None:
        if self._web_runner:
            await self._web_runner.cleanup()
        if self._agi_server:
            self._agi_server.close()
            await self._agi_server.wait_closed()
        if self.ami:
            await self.ami.stop()
        if self.redis:
            await self.redis.aclose()
        if self.store:
            self.store.close()


async def _serve(cfg: Config) -> None:
    service = HotlineService(cfg)
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


def run_service(cfg: Config) -> int:
    logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(_serve(cfg))
    except OSError as exc:
        log.error("cannot start: %s", exc)
        return 1
    return 0

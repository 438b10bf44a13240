"""`hotline run`: wire the FastAGI IVR, the AMI link, the case store and the web console."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web
from redis.asyncio import Redis

from acd.ami_link import AmiLink
from acd.control import SeatControl, SeatControlError
from acd.engine import Acd, AcdSettings
from hotline.acd_records import SqlCallbackLedger, SqlCallRecorder, UrgentCases
from hotline.asterisk_sandbox import layout_for
from hotline.case_workers import CaseWorkers
from hotline.config import Config
from hotline.followup_caller import FollowupCaller
from hotline.followups import FollowupSettings
from hotline.phone_intake import PhoneIntake
from hotline.tag_learning import ADDITIONS_FILE, LearningTagger
from hotline.web import create_app
from ivr.fastagi import FastAgiServer
from ivr.followup import FollowupRoute
from ivr.incoming import IncomingRoute, RedisArrivals

log = logging.getLogger(__name__)

STOP_STEP_S = 5.0


class HotlineService:
    """Everything `hotline run` starts, startable and stoppable inside one event loop."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.redis: Redis | None = None
        self.ami: AmiLink | None = None
        self.acd: Acd | None = None
        self.call_records: SqlCallRecorder | None = None
        self.intake: PhoneIntake | None = None
        self.recognizer = None
        self.case_workers: CaseWorkers | None = None
        self.agi: FastAgiServer | None = None
        self.incoming: IncomingRoute | None = None
        self.followups: FollowupCaller | None = None
        self._agi_server: asyncio.AbstractServer | None = None
        self._web_runner: web.AppRunner | None = None
        self.store = None

    async def start(self) -> None:
        cfg = self.cfg
        from case_store import CaseStore
        from case_store.policy import CasePolicy

        cfg.instance_dir.mkdir(parents=True, exist_ok=True)
        self.store = CaseStore(cfg.effective_database_url, policy=CasePolicy.from_config(cfg))
        await asyncio.to_thread(self.store.setup, seed=True)
        self.redis = Redis.from_url(cfg.redis_url, decode_responses=True,
                                    health_check_interval=10, retry_on_timeout=True,
                                    max_connections=2000)
        layout = layout_for(cfg)
        self.call_records = SqlCallRecorder(self.store)
        self.acd = Acd(self.redis, cfg.key_prefix, cfg.seats, AcdSettings.from_config(cfg),
                       originate=self._originate, ledger=SqlCallbackLedger(self.store),
                       record_call=self.call_records,
                       urgent_lookup=UrgentCases(self.store),
                       fallback_spool=layout.host(f"{layout.spool_dir}/callbacks"))
        self.ami = AmiLink(cfg.ami_host, cfg.ami_port, cfg.ami_user, cfg.ami_secret,
                           cfg.seats, self.acd.board)
        self.ami.listeners.append(self.acd.callbacks.on_event)
        self.ami.listeners.append(self._seat_feature)
        self.acd.on_state_lost.append(self.ami.resync)
        await self.ami.start()
        await self.acd.start()
        self.case_workers = CaseWorkers(self.store, cfg.redis_url, cfg.key_prefix)
        self.case_workers.start()
        self.recognizer = await self._recognizer()
        # one tagger for phone and web, learning from agents' corrections
        tagger = await asyncio.to_thread(LearningTagger, cfg.instance_dir / ADDITIONS_FILE)
        self.intake = PhoneIntake(self.store, self.acd, self.recognizer, tagger, layout.host)
        self.agi = FastAgiServer()
        self.incoming = IncomingRoute(self.acd, [RedisArrivals(self.redis, cfg.key_prefix)],
                                      recordings_dir=layout.recordings_dir,
                                      intake=self.intake)
        self.agi.add_route("incoming", self.incoming.handle)
        self.agi.add_route("followup", FollowupRoute(self.store).handle)
        self._agi_server = await self.agi.serve(cfg.agi_host, cfg.agi_port)
        self.followups = FollowupCaller(self.store, self.redis, cfg.key_prefix,
                                        self._originate, FollowupSettings.from_config(cfg),
                                        cfg.hotline_number)
        self.ami.listeners.append(self.followups.on_event)
        await self.followups.start()
        self._web_runner = web.AppRunner(create_app(
            self.health, store=self.store, redis=self.redis, cfg=cfg, ami=self.ami,
            tagger=tagger, wechat_token=cfg.wechat_token))
        await self._web_runner.setup()
        await web.TCPSite(self._web_runner, cfg.web_host, cfg.web_port).start()
        log.info("hotline up: FastAGI %s:%d, web http://%s:%d/, AMI %s:%d",
                 cfg.agi_host, cfg.agi_port, cfg.web_host, cfg.web_port,
                 cfg.ami_host, cfg.ami_port)

    async def _originate(self, action: dict) -> dict:
        if self.ami is None or not self.ami.connected.is_set():
            return {"Response": "Error", "Message": "AMI not connected"}
        try:
            return await self.ami.originate(action)
        except (TimeoutError, OSError) as exc:
            return {"Response": "Error", "Message": str(exc)}

    async def _seat_feature(self, event: dict) -> None:
        """Feature codes dialled on a seat phone (*21 login ... *25 wrap-up done)."""
        if event.get("Event") != "UserEvent" or event.get("UserEvent") != "HotlineSeat":
            return
        control = SeatControl(self.redis, self.cfg.key_prefix, self.cfg.seats)
        seat, action = event.get("Seat", ""), event.get("Action", "")
        try:
            if action == "pause":
                await control.pause(seat, event.get("Reason", "") or "break")
            elif action in ("login", "logout", "resume", "wrapup_done"):
                await getattr(control, action)(seat)
        except SeatControlError as exc:
            log.warning("feature code refused: %s", exc)

    async def _recognizer(self):
        """Speech recognition if a model is configured or packaged; else cases say so."""
        from ivr.speech import ModelNotFound, SpeechRecognizer, resolve_model_path

        try:
            resolve_model_path(self.cfg.vosk_model)
        except ModelNotFound as exc:
            log.warning("no speech model: %s", exc)
            return None
        recognizer = SpeechRecognizer(self.cfg.vosk_model)
        asyncio.get_running_loop().create_task(recognizer.warm_up())
        return recognizer

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
            "fastagi": self._agi_server is not None and self._agi_server.is_serving(),
        }
        return {"ok": all(links.values()), "links": links, "seats": seats}

    async def _store_ok(self) -> bool:
        if self.store is None:
            return False
        try:
            await asyncio.to_thread(self.store.calls, limit=1)
        except Exception:
            return False
        return True

    async def stop(self) -> None:
        """Stop in reverse order; a step that hangs is abandoned after a few seconds."""
        steps = [
            ("web", self._web_runner.cleanup() if self._web_runner else None),
            ("follow-ups", self.followups.stop() if self.followups else None),
            ("fastagi", self._close_agi()),
            ("intake", self.intake.drain() if self.intake else None),
            ("call records", self.call_records.drain() if self.call_records else None),
            ("acd", self.acd.stop() if self.acd else None),
            ("ami", self.ami.stop() if self.ami else None),
            ("case workers", asyncio.to_thread(self.case_workers.stop)
             if self.case_workers else None),
            ("redis", self.redis.aclose() if self.redis else None),
        ]
        for name, step in steps:
            if step is None:
                continue
            try:
                await asyncio.wait_for(step, STOP_STEP_S)
            except TimeoutError:
                log.warning("stopping %s took over %.0f s; left behind", name, STOP_STEP_S)
            except Exception:
                log.exception("stopping %s failed", name)
        if self.recognizer:
            self.recognizer.close()
        if self.store:
            self.store.close()

    async def _close_agi(self) -> None:
        if self._agi_server is None:
            return
        self._agi_server.close()
        if self.agi is not None:
            await self.agi.cancel_sessions()


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

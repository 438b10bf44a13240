"""`hotline run`, feature by feature: each function wires one feature into the running
service and registers how to stop it (stopped in reverse order of wiring)."""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from hotline.redis_client import async_client, sync_client
from hotline.redis_keys import adopt_untagged_keys
from hotline.seats import seat_numbers

if TYPE_CHECKING:
    from hotline.service import HotlineService

log = logging.getLogger(__name__)
WEB_REDIS_CONNECTIONS = 600  # above the console's websocket cap (hotline.web.live)
CARE_ORDERS_EVERY_S = 60.0  # how often the care plans are looked at
RECORDINGS_EVERY_S = 2.0  # finished call recordings are taken into the store this often
RECORDINGS_PASS_S = 60.0  # one pass of the collector or the retention sweep at most
RECORDINGS_LEASE_S = 90.0  # longer than a pass: no second process starts the same files
RETENTION_EVERY_S = 3600.0


async def wire_cases(svc: HotlineService) -> None:
    """The case store, its background workers, the learning tagger and the intake service."""
    from acd.callback_numbers import NumberPlan
    from case_store import CaseStore
    from case_store.changes import CaseChanges
    from case_store.elderly import ElderlyRegistry
    from case_store.intake_service import IntakeService
    from case_store.policy import CasePolicy
    from case_store.tagging.learning import ADDITIONS_FILE, LearningTagger
    from case_store.workers import CaseWorkers

    cfg = svc.cfg
    cfg.instance_dir.mkdir(parents=True, exist_ok=True)
    svc.store = CaseStore(cfg.effective_database_url, policy=CasePolicy.from_config(cfg))
    svc.on_stop("case store", svc.store.close, sync=True)
    await asyncio.to_thread(svc.store.setup, seed=True)
    # resolved once: a change to the seat table takes effect with a restart
    svc.seats = await asyncio.to_thread(seat_numbers, cfg, svc.store.engine)
    log.info("serving %d seats", len(svc.seats))
    svc.redis = async_client(cfg.redis_url, decode_responses=True, health_check_interval=10,
                             retry_on_timeout=True, max_connections=2000)
    svc.on_stop("redis", svc.redis.aclose)
    await warn_without_persistence(svc.redis)
    await _adopt_old_key_names(svc.redis, cfg.key_prefix)
    workers = CaseWorkers(svc.store, sync_client(cfg.redis_url), cfg.key_prefix)
    workers.start()
    svc.on_stop("case workers", lambda: asyncio.to_thread(workers.stop))
    # one tagger for phone and web, learning from agents' corrections
    svc.tagger = await asyncio.to_thread(LearningTagger, cfg.instance_dir / ADDITIONS_FILE)
    svc.intake = IntakeService(svc.store, svc.tagger, CaseChanges(svc.redis, cfg.key_prefix))
    # the people behind the elderly terminals; their contacts must be in the dial plan
    svc.elderly = ElderlyRegistry(svc.store.engine,
                                  check_number=NumberPlan.from_config(cfg).national)


async def wire_acd(svc: HotlineService) -> None:
    """The ACD on its Redis line, the AMI link, and seat feature codes from the phones."""
    from acd.ami_link import AmiLink
    from acd.control import SeatControl, SeatControlError
    from acd.engine import Acd, AcdSettings
    from acd.records import (
        SqlAgentEvents,
        SqlCallbackLedger,
        SqlCallRecorder,
        SqlSeatFacts,
        StoreWriter,
        UrgentCases,
        replay_forever,
    )
    from acd.seat_journal import SeatJournal
    from acd.spool import DurableSpool
    from acd.terminal_presence import TerminalPresence
    from hotline.asterisk import registered_terminals

    cfg = svc.cfg
    svc.records = StoreWriter(svc.store, DurableSpool(cfg.durable_spool_dir / "records",
                                                      cfg.spool_limit))
    replayer = asyncio.get_running_loop().create_task(replay_forever(svc.records.replay))
    svc.on_stop("spool replay", lambda: _cancel(replayer))
    call_records = SqlCallRecorder(svc.records)
    svc.on_stop("call records", call_records.drain)
    settings = AcdSettings.from_config(cfg)
    terminals = settings.number_plan.terminals | frozenset(
        await asyncio.to_thread(registered_terminals, svc.elderly.terminals))
    # registered terminals are called back on their own endpoints, like the configured
    settings = replace(settings, number_plan=replace(settings.number_plan, terminals=terminals))
    svc.acd = Acd(svc.redis, cfg.key_prefix, svc.seats, settings,
                  originate=svc.originate, ledger=SqlCallbackLedger(svc.records),
                  record_call=call_records, urgent_lookup=UrgentCases(svc.store),
                  fallback_spool=svc.layout.host(svc.layout.callback_spool_dir),
                  seat_record=SqlSeatFacts(svc.records), fallback_key=cfg.spool_secret)
    svc.ami = AmiLink(cfg.ami_host, cfg.ami_port, cfg.ami_user, cfg.ami_secret, svc.seats,
                      svc.acd.board)
    svc.presence = TerminalPresence(svc.redis, cfg.key_prefix, set(terminals))
    svc.ami.device_watchers.append(svc.presence.device)
    svc.on_stop("ami", svc.ami.stop)
    svc.acd.queue_log = svc.acd.callbacks.queue_log = await _queue_log(svc)
    svc.seat_journal = SeatJournal(svc.acd.queue_log, SqlAgentEvents(svc.records))
    svc.acd.seat_journal = svc.seat_journal
    if svc.acd.seat_mirror is not None:
        svc.acd.seat_mirror.journal = svc.seat_journal
    control = SeatControl(svc.redis, cfg.key_prefix, svc.seats, journal=svc.seat_journal)

    async def seat_feature(event: dict) -> None:
        """Feature codes dialled on a seat phone (*21 login ... *25 wrap-up done)."""
        if event.get("Event") != "UserEvent" or event.get("UserEvent") != "HotlineSeat":
            return
        try:
            await control.apply(event.get("Seat", ""), event.get("Action", ""),
                                event.get("Reason", ""))
        except SeatControlError as exc:
            log.warning("feature code refused: %s", exc)

    svc.ami.listeners += [svc.acd.callbacks.on_event, seat_feature]
    svc.acd.channel_up = svc.ami.channel_up
    svc.acd.callbacks.marks = svc.ami
    svc.acd.spool_status = svc.records.status
    svc.acd.on_state_lost.append(svc.ami.resync)
    await svc.ami.start()
    await svc.acd.start()
    svc.on_stop("acd", svc.acd.stop)
    keep_for(svc, "settled safety-net requests", svc.acd.fallback_spool, ("*.done", "*.bad"),
             cfg.spool_retention_days)


async def _queue_log(svc: HotlineService):
    """The app_queue-style queue_log, written off the call path by a supervised task
    (a null sink when `[queue_log] enabled = no`)."""
    from acd.queue_log import QueueLog
    from acd.queue_log_file import QueueLogFile

    cfg = svc.cfg
    if not cfg.queue_log_enabled:
        return QueueLog(lambda _line: None, cfg.queue_log_queue)
    sink = QueueLogFile(cfg.queue_log_file, int(cfg.queue_log_max_mb * 1_000_000),
                        cfg.queue_log_keep)
    sink.start()
    svc.queue_log_file = sink
    svc.on_stop("queue_log", sink.stop)
    queue_log = QueueLog(sink, cfg.queue_log_queue)
    queue_log.started()
    return queue_log


async def wire_call_recordings(svc: HotlineService) -> None:
    """Answered conversations from Asterisk's spool into the hotline's own store, linked
    to their call and case; the retention pass (one process at a time, by a lease)."""
    from case_store.recordings import CallRecordings
    from case_store.singleton import AsyncSingletonLock, run_while_held
    from ivr.call_recordings import CollectorSettings, RecordingCollector

    cfg = svc.cfg
    recordings = CallRecordings(svc.store.engine)
    store_dir = cfg.call_recordings_dir
    store_dir.mkdir(parents=True, exist_ok=True)
    collector = RecordingCollector(svc.layout.host(svc.layout.call_recordings_dir), store_dir,
                                   recordings, CollectorSettings.from_config(cfg))
    loop = asyncio.get_running_loop()
    collecting = loop.create_task(run_while_held(
        # per machine: each Asterisk box's spool is collected by a process beside it
        AsyncSingletonLock(svc.redis, cfg.key_prefix, f"call-recordings:{socket.gethostname()}",
                           lease_s=RECORDINGS_LEASE_S), collector.run_once,
        RECORDINGS_EVERY_S, RECORDINGS_PASS_S, "call recordings"))
    svc.on_stop("call recordings", lambda: _cancel(collecting))

    async def sweep() -> None:
        await asyncio.to_thread(recordings.sweep, store_dir, cfg.call_recording_retention_days,
                                cfg.call_recording_max_mb * 1024 * 1024)

    sweeping = loop.create_task(run_while_held(
        AsyncSingletonLock(svc.redis, cfg.key_prefix, "call-recording-retention",
                           lease_s=RECORDINGS_LEASE_S), sweep,
        RETENTION_EVERY_S, RECORDINGS_PASS_S, "call recording retention"))
    svc.on_stop("call recording retention", lambda: _cancel(sweeping))


def keep_for(svc: HotlineService, what: str, folder: Path, patterns: tuple[str, ...],
             days: float) -> None:
    """A retention job for a folder's settled files: hourly, off the event loop."""
    from acd.spool import prune_forever

    job = asyncio.get_running_loop().create_task(prune_forever(folder, patterns, days * 86400))
    svc.on_stop(f"{what} retention", lambda: _cancel(job))


async def wire_ivr(svc: HotlineService) -> None:
    """Speech, phone intake and the FastAGI server with the `incoming` route."""
    from acd.records import replay_forever
    from acd.spool import DurableSpool
    from ivr.fastagi import FastAgiServer
    from ivr.incoming import IncomingRoute, RedisArrivals
    from ivr.phone_intake import PhoneIntake
    from ivr.speech import open_recognizer
    from ivr.spoken import SpokenTexts

    cfg = svc.cfg
    svc.recognizer = open_recognizer(cfg)
    svc.spoken = SpokenTexts(svc.layout.host(svc.layout.summaries_dir), "hotline/emergency")
    if svc.recognizer is not None:
        svc.on_stop("speech", svc.recognizer.close, sync=True)
        warm_up = asyncio.get_running_loop().create_task(svc.recognizer.warm_up())
        svc.on_stop("speech warm-up", lambda: _cancel(warm_up))
    svc.phone_intake = PhoneIntake(svc.intake, svc.acd, svc.recognizer, svc.layout.host,
                                   DurableSpool(cfg.durable_spool_dir / "cases",
                                                cfg.spool_limit))
    svc.acd.on_fallback_request.append(svc.phone_intake.file_recording)
    cases_replayer = asyncio.get_running_loop().create_task(
        replay_forever(svc.phone_intake.replay))
    svc.on_stop("case spool replay", lambda: _cancel(cases_replayer))
    svc.on_stop("phone intake", svc.phone_intake.drain)
    keep_for(svc, "recordings", svc.layout.host(svc.layout.recordings_dir), ("*.*",),
             cfg.recording_retention_days)
    svc.agi = FastAgiServer()
    svc.incoming = IncomingRoute(svc.acd, [RedisArrivals(svc.redis, cfg.key_prefix)],
                                 recordings_dir=svc.layout.recordings_dir,
                                 intake=svc.phone_intake, emergency=_emergency_path(svc),
                                 recording=cfg.call_recording_enabled,
                                 recording_notice=cfg.call_recording_notice,
                                 notice_s=_prompt_seconds(svc, "call_recorded"))
    svc.agi.add_route("incoming", svc.incoming.handle)
    server = await svc.agi.serve(cfg.agi_host, cfg.agi_port)
    svc.agi_server = server

    async def close_agi() -> None:
        server.close()
        await svc.agi.cancel_sessions()

    svc.on_stop("fastagi", close_agi)


def _prompt_seconds(svc: HotlineService, name: str) -> float:
    """How long a generated prompt plays (0 when it is not there)."""
    import wave

    path = svc.layout.host(svc.layout.sounds_dir) / f"{name}.wav"
    try:
        with wave.open(str(path)) as prompt:
            return prompt.getnframes() / prompt.getframerate()
    except (OSError, EOFError, wave.Error):
        return 0.0


def _emergency_path(svc: HotlineService):
    """An elderly terminal no person answered: its contacts called into its room."""
    from acd.alarms import EmergencyAlarms
    from acd.emergency import Contact, EmergencyDialler, Person
    from acd.emergency_seats import EmergencySeats
    from acd.first_voice import FirstVoice
    from ivr.emergency import EmergencyPath

    async def person(terminal: str) -> Person | None:
        profile = await asyncio.to_thread(svc.elderly.profile, terminal)
        if profile is None:
            return None
        return Person(profile.name, profile.address,
                      tuple(Contact(c.name, c.phone) for c in profile.contacts))

    settings = svc.acd.settings
    first_voice = FirstVoice(svc.redis, svc.cfg.key_prefix)
    svc.acd.first_voice = first_voice
    seats = EmergencySeats(svc.ami.originate_and_wait, svc.acd.line, svc.acd.board,
                           svc.acd.leases, settings.seat_ring_s, settings.wrapup_s, first_voice)
    svc.acd.emergency_seats = seats  # its reaper puts back a dead process's seat call
    svc.acd.dispatcher.on_claim["emergency"] = seats.place
    svc.emergency = EmergencyDialler(
        svc.ami.originate_and_wait, svc.ami.hangup, person, settings.number_plan,
        svc.spoken.speak, svc.spoken.forget, svc.cfg.hotline_number,
        EmergencyAlarms(svc.redis, svc.cfg.key_prefix), seats, first_voice)
    svc.on_stop("emergency contacts", svc.emergency.stop)
    return EmergencyPath(svc.emergency, svc.phone_intake.understand, svc.phone_intake,
                         recordings_dir=svc.layout.recordings_dir)


async def wire_followup(svc: HotlineService) -> None:
    """The follow-up dialler and the `followup` FastAGI route its calls reach."""
    from case_store.singleton import AsyncSingletonLock
    from ivr.followup.dialler import FollowupCaller
    from ivr.followup.route import FollowupRoute
    from ivr.followup.rules import FollowupSettings

    cfg = svc.cfg
    settings = FollowupSettings.from_config(cfg)
    svc.agi.add_route("followup", FollowupRoute(svc.store, settings).handle)
    dialler = FollowupCaller(svc.store, svc.redis, cfg.key_prefix, svc.originate,
                             settings, cfg.hotline_number,
                             lock=AsyncSingletonLock(svc.redis, cfg.key_prefix,
                                                     "followup-dialler"),
                             terminals=svc.acd.settings.number_plan.terminals)
    svc.ami.listeners.append(dialler.on_event)
    await dialler.start()
    svc.on_stop("follow-ups", dialler.stop)


async def wire_outbound(svc: HotlineService) -> None:
    """Messages owed to citizens go out (SMS gateway, WeChat, a call that reads them),
    and the `reply` and `progress` FastAGI routes those calls and lookups reach."""
    import aiohttp

    from case_store.singleton import run_while_held
    from hotline.outbound.sender import OutboundSender, SenderSettings
    from hotline.outbound.sms_http import HttpSms
    from hotline.outbound.voice import VoiceReply
    from hotline.outbound.wechat import WechatMessages
    from ivr.followup.dialler import line_key
    from ivr.progress import ProgressRoute
    from ivr.reply_call import ReplyCallRoute

    cfg = svc.cfg

    async def release_line(number: str) -> None:
        await svc.redis.delete(line_key(cfg.key_prefix, number))

    svc.agi.add_route("reply", ReplyCallRoute(svc.store, svc.spoken.speak, svc.spoken.forget,
                                              release_line).handle)
    svc.agi.add_route("progress", ProgressRoute(svc.store, svc.spoken.speak,
                                                svc.spoken.forget).handle)
    settings = SenderSettings.from_config(cfg)
    http = aiohttp.ClientSession()
    svc.on_stop("outbound http", http.close)
    adapters: list = []
    if cfg.outbound_sms_url:
        adapters.append(HttpSms(cfg.outbound_sms_url, cfg.outbound_sms_token, http))
    else:
        log.warning("no SMS gateway configured ([outbound] sms_url): SMS replies wait")
    if cfg.outbound_wechat_appid:
        adapters.append(WechatMessages(cfg.outbound_wechat_api, cfg.outbound_wechat_appid,
                                       cfg.outbound_wechat_secret, http))
    if cfg.outbound_voice:
        adapters.append(VoiceReply(svc.ami.originate_and_wait, svc.acd.settings.number_plan,
                                   svc.redis, cfg.key_prefix, settings.ring_s,
                                   cfg.hotline_number))
    sender = OutboundSender(svc.store, adapters, settings)
    job = asyncio.get_running_loop().create_task(run_while_held(
        None, sender.run_once, settings.interval_s, settings.lease_s, "outbound sender"))
    async def stop_sender() -> None:
        await _cancel(job)
        await sender.release()

    svc.on_stop("outbound sender", stop_sender)


async def wire_elderly_care(svc: HotlineService) -> None:
    """Elderly people's check-in calls (and the `checkin` FastAGI route they reach), and
    the services of their care plans ordered from partner companies."""
    from case_store.care_orders import CareOrders
    from case_store.singleton import AsyncSingletonLock, run_while_held
    from ivr.checkin.dialler import CheckinCaller
    from ivr.checkin.route import CheckinRoute
    from ivr.checkin.rules import CheckinSettings

    cfg, layout = svc.cfg, svc.layout
    svc.agi.add_route("checkin", CheckinRoute(svc.store, svc.redis, cfg.key_prefix,
                                              svc.phone_intake.understand,
                                              layout.recordings_dir).handle)
    caller = CheckinCaller(
        svc.elderly, svc.store, svc.redis, cfg.key_prefix, svc.ami.originate_and_wait,
        svc.spoken, CheckinSettings.from_config(cfg), cfg.hotline_number,
        lock=AsyncSingletonLock(svc.redis, cfg.key_prefix, "checkin-dialler"))
    await caller.start()
    svc.on_stop("check-ins", caller.stop)
    orders = CareOrders(svc.elderly, svc.store, svc.redis, cfg.key_prefix)
    job = asyncio.get_running_loop().create_task(run_while_held(
        AsyncSingletonLock(svc.redis, cfg.key_prefix, "care-orders"),
        lambda: orders.run_once(datetime.now(UTC)), CARE_ORDERS_EVERY_S, CARE_ORDERS_EVERY_S,
        "care-plan orders"))
    svc.on_stop("care-plan orders", lambda: _cancel(job))


async def wire_web(svc: HotlineService) -> None:
    """The web console on its own address; an `acd` process serves only its health."""
    from hotline.web import create_app

    cfg = svc.cfg
    if svc.role == "acd":
        await _serve_web(svc, create_app(svc.health))
        return
    # The console's own pool: browsers (a websocket holds a connection) can exhaust it,
    # never the telephony pool the call path uses.
    web_redis = async_client(cfg.redis_url, decode_responses=True, health_check_interval=10,
                             max_connections=WEB_REDIS_CONNECTIONS)
    svc.on_stop("web redis", web_redis.aclose)
    await _serve_web(svc, create_app(
        svc.health, store=svc.store, redis=web_redis, cfg=cfg, ami=svc.ami, tagger=svc.tagger,
        intake=svc.intake, elderly_registry=svc.elderly, wechat_token=cfg.wechat_token,
        seat_journal=svc.seat_journal, seats=svc.seats))


async def _serve_web(svc: HotlineService, app: web.Application) -> None:
    from hotline.web.access_log import RedactingAccessLogger

    runner = web.AppRunner(app, access_log_class=RedactingAccessLogger)
    await runner.setup()
    svc.on_stop("web", runner.cleanup)
    await web.TCPSite(runner, svc.cfg.web_host, svc.cfg.web_port).start()


async def _adopt_old_key_names(redis: Redis, prefix: str) -> None:
    """Live state under the names of earlier releases (see hotline.redis_keys); a Redis
    that is down now is the ACD's to survive, not a reason not to start."""
    try:
        await adopt_untagged_keys(redis, prefix)
    except RedisError as exc:
        log.warning("could not look for Redis keys under their old names (%s)", exc)


async def warn_without_persistence(redis: Redis) -> str:
    """Seats' logins and pauses and callbacks being placed live in Redis: without the
    append-only file a Redis restart forgets them. Say so at start."""
    try:
        mode = (await redis.config_get("appendonly")).get("appendonly", "")
    except Exception as exc:  # CONFIG may be refused to a least-privilege account
        log.warning("cannot tell whether Redis persists its data (%s)", exc)
        return "unknown"
    if mode != "yes":
        log.warning("Redis runs without persistence (appendonly %s): a Redis restart loses "
                    "live seat state; run it with appendonly yes, appendfsync everysec "
                    "(see README, Operations)", mode or "?")
    return mode

async def _cancel(task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


FEATURES = (wire_cases, wire_acd, wire_ivr, wire_followup, wire_outbound, wire_elderly_care,
            wire_call_recordings, wire_web)

"""The subprocess side of the seat-phone farm: real pjsua2 SIP phones driven by JSON lines.

pjsua2 wants every call from one thread and its own event loop, which does not mix
with asyncio, so the phones live in their own process (``python -m testkit.phones``)
and talk to the test or benchmark over stdin/stdout. Every pjsua2 call happens on the
main thread: a helper thread only reads stdin into a queue.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import queue
import random
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pjsua2 as pj

from hotline.config import Config, ConfigError, load_config
from testkit.phones.behaviour import (
    NEVER,
    Behaviour,
    CommandError,
    parse_answer_after,
    parse_talk,
    tone_wav,
)
from testkit.phones.protocol import MAX_SEATS_PER_PROCESS, MODULE, TRUNK

_events_out = sys.stdout


def claim_stdout() -> None:
    """Keep fd 1 for events only: pjlib prints its banner to fd 1 before any log config."""
    global _events_out
    _events_out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)


def emit(event: str, **fields: Any) -> None:
    """One JSON line per event, flushed, so the parent sees it at once."""
    record = {"event": event, **fields, "t": time.time()}
    _events_out.write(json.dumps(record) + "\n")
    _events_out.flush()


class SeatCall(pj.Call):
    """One incoming call on a seat; forwards pjsua2 callbacks to the farm."""

    def __init__(self, farm: Farm, seat: str, acc: pj.Account, call_id: int, number: int):
        super().__init__(acc, call_id)
        self.farm = farm
        self.seat = seat
        self.number = number
        self.answered = False
        self.rejected = False
        self.ended = False
        self.hangup_reason = "remote"
        self.player: pj.AudioMediaPlayer | None = None

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED and not self.answered:
            self.answered = True
            emit("answered", seat=self.seat, call=self.number)
            self.farm.schedule_talk_end(self)
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED and not self.ended:
            self.ended = True
            if not self.rejected:
                emit("hangup", seat=self.seat, call=self.number, reason=self.hangup_reason,
                     answered=self.answered, code=info.lastStatusCode,
                     sip_reason=info.lastReason)
            self.farm.call_ended(self)

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        if self.player is not None:
            return
        info = self.getInfo()
        for index, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                player = pj.AudioMediaPlayer()
                player.createPlayer(str(self.farm.wav), 0)  # 0 = loop
                player.startTransmit(self.getAudioMedia(index))
                self.player = player
                return


class SeatAccount(pj.Account):
    """One seat's registration; reports registration changes and incoming calls."""

    def __init__(self, farm: Farm, seat: str):
        super().__init__()
        self.farm = farm
        self.seat = seat

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        self.farm.reg_waiters.discard(self.seat)
        if prm.code // 100 == 2 and prm.expiration > 0:
            emit("registered", seat=self.seat, expires=prm.expiration)
        elif prm.code // 100 == 2:
            emit("unregistered", seat=self.seat)
        else:
            emit("register_failed", seat=self.seat, code=prm.code, reason=prm.reason)

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        self.farm.incoming(self, prm.callId)


class Farm:
    """All seats of this process: accounts, calls, timers and the command loop."""

    def __init__(self, cfg: Config, seats: list[str], defaults: Behaviour, wav: Path,
                 seed: int | None = None, trunk: bool = False):
        self.cfg = cfg
        self.trunk = trunk  # citizens' phones behind the trunk: any number, many calls
        self.rng = random.Random(seed)  # noqa: S311 (talk times for a load test, not crypto)
        self.seats = seats
        self.wav = wav
        self.behaviour = {s: Behaviour(defaults.answer_after, defaults.talk) for s in seats}
        self.accounts: dict[str, SeatAccount] = {}
        self.calls: dict[str, SeatCall] = {}  # the seat's current call
        self.live: dict[int, SeatCall] = {}  # every call not yet disconnected, by number
        # A pjsua2 Call keeps its slot id after DISCONNECTED and its destructor clears and
        # hangs up whatever call uses that slot then, so a dead Call must be dropped before
        # pjsua can reuse the slot: the loop drops these right after the event batch.
        self.ended: list[SeatCall] = []
        self.timers: list[tuple[float, Callable[[int], None], int]] = []
        self.commands: queue.Queue[str | None] = queue.Queue()
        self.stopping = False
        self.reg_waiters: set[str] = set()
        self.call_numbers = 0
        self.ep = pj.Endpoint()

    # ---- setup and teardown ----
    def start(self) -> None:
        self.ep.libCreate()
        ep_cfg = pj.EpConfig()
        ep_cfg.uaConfig.mainThreadOnly = True
        ep_cfg.uaConfig.threadCnt = 0
        # The wheel's compiled-in limit: a 5th simultaneous INVITE gets 486 from pjsua.
        ep_cfg.uaConfig.maxCalls = MAX_SEATS_PER_PROCESS
        ep_cfg.uaConfig.userAgent = "hotline-seat-phone"
        ep_cfg.logConfig.level = 1
        ep_cfg.logConfig.consoleLevel = 0
        self.ep.libInit(ep_cfg)
        self.ep.audDevManager().setNullDev()
        tp_cfg = pj.TransportConfig()
        tp_cfg.boundAddress = "127.0.0.1"
        tp_cfg.port = self.cfg.trunk_port if self.trunk else 0
        transport = self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tp_cfg)
        self.ep.libStart()
        port = self.ep.transportGetInfo(transport).localName
        emit("started", seats=self.seats, transport=port,
             registrar=f"{self.cfg.sip_host}:{self.cfg.sip_port}")
        if self.trunk:
            self.accounts[TRUNK] = self._trunk_account(transport)
            emit("listening", seat=TRUNK, port=self.cfg.trunk_port)
            return
        for seat in self.seats:
            self.accounts[seat] = self._account(seat, transport)

    def _trunk_account(self, transport: int) -> SeatAccount:
        """No registration: Asterisk sends the trunk's calls to this address, and every
        call, whatever number it is for, lands on this one account."""
        acc_cfg = pj.AccountConfig()
        acc_cfg.idUri = f"sip:citizens@127.0.0.1:{self.cfg.trunk_port}"
        acc_cfg.sipConfig.transportId = transport
        acc_cfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
        acc_cfg.mediaConfig.transportConfig.port = 0
        account = SeatAccount(self, TRUNK)
        account.create(acc_cfg, True)
        return account

    def _account(self, seat: str, transport: int) -> SeatAccount:
        server = f"{self.cfg.sip_host}:{self.cfg.sip_port}"
        acc_cfg = pj.AccountConfig()
        acc_cfg.idUri = f"sip:{seat}@{server}"
        acc_cfg.regConfig.registrarUri = f"sip:{server}"
        acc_cfg.regConfig.retryIntervalSec = 5
        acc_cfg.sipConfig.transportId = transport
        acc_cfg.sipConfig.authCreds.append(
            pj.AuthCredInfo("digest", "*", seat, 0, self.cfg.seat_password(seat)))
        acc_cfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
        acc_cfg.mediaConfig.transportConfig.port = 0
        acc_cfg.natConfig.sipOutboundUse = 0  # plain REGISTER; Asterisk rewrites the contact
        account = SeatAccount(self, seat)
        account.create(acc_cfg)
        return account

    def shutdown(self) -> None:
        """Hang up, unregister (waiting briefly for the 200s), then destroy the library."""
        if self.live:
            self._hangup_all("shutdown")
            self.pump(0.2)  # let the BYEs/final responses go out
        pending = set()
        for seat, account in self.accounts.items():
            if account.getInfo().regIsActive:
                account.setRegistration(False)
                pending.add(seat)
        self.reg_waiters = pending
        deadline = time.monotonic() + 2.0
        while pending and time.monotonic() < deadline:
            self.poll()
        # Every pjsua2 object must die before libDestroy, or its destructor asserts.
        self.timers.clear()
        self.calls.clear()
        self.live.clear()
        self.ended.clear()
        for account in self.accounts.values():
            account.shutdown()
        self.accounts.clear()
        gc.collect()
        self.ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)  # we already unregistered
        emit("stopped")

    # ---- calls ----
    def _hangup_all(self, reason: str) -> None:
        """A method of its own so no loop variable keeps a Call alive into libDestroy."""
        for call in list(self.live.values()):
            self.hangup_call(call, reason)

    def incoming(self, account: SeatAccount, call_id: int) -> None:
        self.call_numbers += 1
        call = SeatCall(self, account.seat, account, call_id, self.call_numbers)
        info = call.getInfo()
        caller = re.search(r"sips?:([^@;>]+)@", info.remoteUri)
        called = re.search(r"sips?:([^@;>]+)@", info.localUri)
        fields = {"seat": account.seat, "call": call.number, "from": info.remoteUri,
                  "caller": caller.group(1) if caller else "", "sip_call_id": info.callIdString,
                  "number": called.group(1) if called else ""}
        prm = pj.CallOpParam()
        if account.seat in self.calls and not self.trunk:
            prm.statusCode = 486  # one agent, one call: Asterisk should not ask, but be honest
            emit("rejected", code=486, **fields)
            call.rejected = True
            self.live[call.number] = call
            call.hangup(prm)
            return
        self.calls[account.seat] = call
        self.live[call.number] = call
        prm.statusCode = 180
        call.answer(prm)
        emit("ringing", **fields)
        delay = self.behaviour[account.seat].answer_after
        if delay is not None:
            self.after(delay, self._answer, call.number)

    def _answer(self, number: int) -> None:
        call = self.live.get(number)
        if call is None or call.ended:
            return
        prm = pj.CallOpParam()
        prm.statusCode = 200
        call.answer(prm)

    def schedule_talk_end(self, call: SeatCall) -> None:
        talk = self.behaviour[call.seat].talk
        if talk is not None:
            self.after(self.rng.uniform(*talk), self._talk_done, call.number)

    def _talk_done(self, number: int) -> None:
        call = self.live.get(number)
        if call is not None:
            self.hangup_call(call, "talk_done")

    def hangup_call(self, call: SeatCall, reason: str) -> None:
        if call.ended:
            return
        call.hangup_reason = reason
        try:
            call.hangup(pj.CallOpParam())
        except pj.Error:
            pass  # already on its way down

    def call_ended(self, call: SeatCall) -> None:
        """Drop every reference soon after DISCONNECTED (see `ended`)."""
        if self.calls.get(call.seat) is call:
            del self.calls[call.seat]
        self.live.pop(call.number, None)
        call.player = None
        self.ended.append(call)

    # ---- timers and loop ----
    def after(self, delay: float, action: Callable[[int], None], number: int) -> None:
        """Timers name calls by number: a stale pjsua2 Call object is dangerous (see `ended`)."""
        self.timers.append((time.monotonic() + delay, action, number))

    def _run_due_timers(self) -> None:
        now = time.monotonic()
        due = [t for t in self.timers if t[0] <= now]
        if due:
            self.timers = [t for t in self.timers if t[0] > now]
            for _, action, number in sorted(due, key=lambda t: t[0]):
                action(number)

    def poll(self) -> None:
        """One pjsua2 event batch, then drop the Calls it ended."""
        self.ep.libHandleEvents(10)
        self.ended.clear()

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.poll()

    def run(self) -> None:
        threading.Thread(target=self._read_stdin, daemon=True).start()
        while not self.stopping:
            self.poll()
            self._run_due_timers()
            while not self.commands.empty():
                line = self.commands.get_nowait()
                if line is None:
                    self.stopping = True
                    break
                self.handle_line(line)

    def _read_stdin(self) -> None:
        for line in sys.stdin:
            if line.strip():
                self.commands.put(line)
        self.commands.put(None)

    # ---- commands ----
    def handle_line(self, line: str) -> None:
        command: Any = None
        try:
            command = json.loads(line)
            if not isinstance(command, dict):
                raise CommandError("a command is a JSON object")
            self.handle(command)
        except (CommandError, json.JSONDecodeError) as exc:
            ref = command.get("id") if isinstance(command, dict) else None
            emit("error", error=str(exc), line=line.strip()[:200], id=ref)
            return
        if "id" in command:
            emit("done", cmd=command.get("cmd"), seat=command.get("seat"), id=command["id"])

    def _seats_of(self, command: dict[str, Any]) -> list[str]:
        seat = command.get("seat")
        if seat in (None, "*"):
            return list(self.seats)
        if str(seat) not in self.accounts:
            raise CommandError(f"seat {seat!r} is not in this farm")
        return [str(seat)]

    def _one_seat(self, command: dict[str, Any]) -> str:
        seats = self._seats_of(command)
        if len(seats) != 1:
            raise CommandError("dial needs one seat")
        return seats[0]

    def dial(self, seat: str, number: str) -> None:
        """The agent dials from the seat phone: feature codes (*21 ... *25) or a number."""
        if not re.fullmatch(r"[0-9*#]{1,32}", number):
            raise CommandError(f"dial: {number!r} is not digits, * or #")
        if seat in self.calls:
            raise CommandError(f"dial: seat {seat} is on a call")
        self.call_numbers += 1
        call = SeatCall(self, seat, self.accounts[seat], pj.PJSUA_INVALID_ID, self.call_numbers)
        self.calls[seat] = call
        self.live[call.number] = call
        call.makeCall(f"sip:{number}@{self.cfg.sip_host}:{self.cfg.sip_port}", pj.CallOpParam(True))
        emit("dialing", seat=seat, call=call.number, number=number)

    def send_dtmf(self, seat: str, digits: str) -> None:
        """Key digits on the seat's current call (RFC 4733 events, as a desk phone does)."""
        if not re.fullmatch(r"[0-9*#]{1,32}", digits):
            raise CommandError(f"dtmf: {digits!r} is not digits, * or #")
        call = self.calls.get(seat)
        if call is None or not call.answered:
            raise CommandError(f"dtmf: seat {seat} has no call in progress")
        call.dialDtmf(digits)

    def handle(self, command: dict[str, Any]) -> None:
        name = command.get("cmd")
        if name == "quit":
            self.stopping = True
        elif name == "set":
            answer = command.get("answer_after", ...)
            talk = command.get("talk", ...)
            new_answer = parse_answer_after(answer) if answer is not ... else ...
            new_talk = parse_talk(talk) if talk is not ... else ...
            for seat in self._seats_of(command):
                if new_answer is not ...:
                    self.behaviour[seat].answer_after = new_answer
                if new_talk is not ...:
                    self.behaviour[seat].talk = new_talk
        elif name in ("register", "unregister"):
            for seat in self._seats_of(command):
                self.accounts[seat].setRegistration(name == "register")
        elif name == "dial":
            self.dial(self._one_seat(command), str(command.get("number", "")))
        elif name == "dtmf":
            self.send_dtmf(self._one_seat(command), str(command.get("digits", "")))
        elif name == "hangup":
            for seat in self._seats_of(command):
                if seat in self.calls:
                    self.hangup_call(self.calls[seat], "command")
        else:
            raise CommandError(f"unknown cmd {name!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}",
                                     description="farm of SIP seat phones, JSON lines on stdio")
    parser.add_argument("--config", help="TOML config file (default: HOTLINE_CONFIG/hotline.toml)")
    parser.add_argument("--seats", help="comma-separated seat extensions (default: all seats)")
    parser.add_argument("--answer-after", default="0.5", help="seconds or 'never' (default 0.5)")
    parser.add_argument("--talk", default=NEVER,
                        help="seconds, 'min,max' or 'never' = until the far end hangs up")
    parser.add_argument("--seed", type=int, help="seed for random talk times (reproducible runs)")
    parser.add_argument("--wav", help="WAV file played after answering (default: 440 Hz tone)")
    parser.add_argument("--trunk", action="store_true",
                        help="be the citizens' phones behind the trunk (its port, any number)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    claim_stdout()
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        print(f"softphones: configuration error: {exc}", file=sys.stderr)
        return 2
    seats = [s.strip() for s in args.seats.split(",") if s.strip()] if args.seats else cfg.seats
    if args.trunk:
        seats = [TRUNK]
    if not seats or len(seats) > MAX_SEATS_PER_PROCESS or len(set(seats)) != len(seats):
        print(f"softphones: give 1 to {MAX_SEATS_PER_PROCESS} distinct seats per process "
              "(pjsua's call limit); SeatPhones splits bigger farms", file=sys.stderr)
        return 2
    try:
        defaults = Behaviour(parse_answer_after(args.answer_after), parse_talk(args.talk))
    except CommandError as exc:
        print(f"softphones: {exc}", file=sys.stderr)
        return 2
    wav = Path(args.wav) if args.wav else tone_wav()
    if not wav.is_file():
        print(f"softphones: no WAV file at {wav}", file=sys.stderr)
        return 2
    farm = Farm(cfg, seats, defaults, wav, args.seed, trunk=args.trunk)
    signal.signal(signal.SIGTERM, lambda *_: setattr(farm, "stopping", True))
    signal.signal(signal.SIGINT, lambda *_: setattr(farm, "stopping", True))
    farm.start()
    try:
        farm.run()
    finally:
        farm.shutdown()
    return 0

"""`hotline demo`: a newcomer's first ten minutes on a hotline `make run` started.

It plays both sides of a small call centre against the running hotline: scripted seat
phones (pjsua2, `testkit.phones`) register and log in with *21 as agents do, a
supervisor and an agent web login are created (passwords printed once), a few citizens
call 88900000 and speak Mandarin requests (espeak-ng, through `hotline call --wav`'s
machinery), each agent ends wrap-up with *25 after a call, and the wallboard and desk
URLs are printed. Ctrl-C or SIGTERM (or the end of the calls with --once) hangs the
phones up and unregisters them, removes the logins and the staged sounds.

It is tooling, never imported by the product: it joins the `hotline` command through
the `hotline.commands` entry point (testkit/commands.py). It does not start a hotline:
two terminals (`make run`, then `hotline demo`) keep the service's log apart from the
demo's story, and Ctrl-C here leaves the hotline running.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import shutil
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hotline.config import Config, load_config

REQUESTS = (  # what the demo's citizens say (Mandarin, spoken by espeak-ng)
    "你好，人民路十二号门口的路灯坏了好几天了，晚上很黑，请尽快派人来修。",
    "我想问一下，老年卡要到哪里办理，需要带什么材料？",
    "我们小区楼下每天半夜还在施工，噪音太大了，根本睡不着。",
)
GREETING = "您好，这里是8890便民服务热线，请讲。"
GREETING_QUIET_S = 5.0  # the seat phone loops its file: the greeting, then quiet to listen
CALLER_BASE = 13800138000  # the demo's citizens: 13800138001, 13800138002, ...
LOGINS = (("supervisor", "demo-supervisor"), ("agent", "demo-agent"))
RING_WAIT_S = 25.0  # longer than the three-ring window: after it the IVR has the caller
CALL_WAIT_S = 120.0  # a call in progress ends within this (the seat hangs up after --talk)
GAP_S = 2.0  # between two calls placed at once, so the wallboard shows them arrive

Say = Callable[[str], None]


class DemoError(RuntimeError):
    """The demo cannot run here (no hotline, no espeak-ng, a phone that will not register)."""


@dataclass(frozen=True)
class CallOutcome:
    """How one of the demo's calls went."""

    number: str
    seat: str | None  # the demo seat that answered; None: the IVR took the request
    rang_s: float | None = None


def say(line: str) -> None:
    print(line, flush=True)


def caller_number(index: int) -> str:
    return str(CALLER_BASE + index)


def hotline_up(cfg: Config, timeout: float = 3.0) -> bool:
    """Is a running hotline's web console answering on this machine?"""
    url = f"http://{cfg.web_host}:{cfg.web_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:  # it answers, if degraded (Redis away): it is running
        return True
    except OSError:
        return False


# ---- web logins ----
def account_store(cfg: Config):
    from case_store import CaseStore
    from case_store.accounts import AccountStore

    store = CaseStore(cfg.effective_database_url)
    store.setup(seed=True)
    return AccountStore(store.engine)


def create_logins(accounts, seat: str, out: Say) -> list[tuple[str, str, str]]:
    """(role, name, password) for the demo's supervisor and agent. An account of the same
    name left by a demo that was killed (-9) is replaced: the names are the demo's."""
    made = []
    for role, name in LOGINS:
        if accounts.delete(name):
            out(f"(replaced the login {name} an earlier demo left behind)")
        password = secrets.token_urlsafe(12)
        accounts.add_user(name, role, password, seat=seat if role == "agent" else None)
        made.append((role, name, password))
    return made


# ---- audio ----
def speak_wav(text: str, path: Path, quiet_after_s: float = 0.0) -> Path:
    """Mandarin speech as a WAV file (espeak-ng, 8 kHz), with quiet after it if asked."""
    from pydub import AudioSegment

    from ivr.prompts import PromptError, synthesize

    try:
        path.write_bytes(synthesize(text))
    except PromptError as exc:
        raise DemoError(str(exc)) from exc
    if quiet_after_s:
        audio = AudioSegment.from_wav(path)
        quiet = AudioSegment.silent(duration=int(quiet_after_s * 1000),
                                    frame_rate=audio.frame_rate)
        (audio + quiet).export(path, format="wav")
    return path


# ---- the seats ----
async def log_in(phones, seat: str) -> None:
    """*21 from the seat phone, as an agent starting a shift does."""
    await phones.dial(seat, "*21")
    dialed = phones.events("dialing", seat=seat)[-1]["call"]
    await phones.wait_for("hangup", seat=seat, timeout=15,
                          where=lambda e: e.get("call") == dialed)


async def end_wrapup(phones, seat: str) -> None:
    """*25 after the call, as an agent whose notes are done: the seat takes calls again."""
    from testkit.phones import SoftphoneError

    with contextlib.suppress(SoftphoneError):  # the next call rang first: it is busy anyway
        await phones.dial(seat, "*25")
        dialed = phones.events("dialing", seat=seat)[-1]["call"]
        await phones.wait_for("hangup", seat=seat, timeout=15,
                              where=lambda e: e.get("call") == dialed)


# ---- the calls ----
async def one_call(cfg: Config, phones, index: int, folder: Path, out: Say) -> CallOutcome:
    """A citizen calls and speaks a request; which demo seat answered, if any."""
    from hotline.cli.call import originate, originate_action, stage_wav, staged_file
    from testkit.phones import SoftphoneError

    number = caller_number(index)
    text = REQUESTS[(index - 1) % len(REQUESTS)]
    sound = await asyncio.to_thread(
        lambda: stage_wav(cfg, speak_wav(text, folder / f"request-{index}.wav")))
    try:
        placed_at = time.time()
        reply = await originate(cfg, originate_action(cfg, cfg.hotline_number, number, sound))
        if reply.get("Response") != "Success":
            raise DemoError(f"Asterisk refused the call: {reply.get('Message', '')}")
        out(f"call {index} from {number}: “{text}”")
        try:
            ringing = await phones.wait_for("ringing", timeout=RING_WAIT_S, after=placed_at,
                                            where=lambda e: e.get("caller") == number)
        except SoftphoneError:
            if phones.returncode is not None:
                raise
            out(f"call {index}: no seat in time; the IVR took the request (a callback is owed)")
            return CallOutcome(number, None)
        seat, call = ringing["seat"], ringing["call"]
        answered = await phones.wait_for("answered", seat=seat, timeout=RING_WAIT_S,
                                         where=lambda e: e.get("call") == call)
        out(f"call {index}: seat {seat} answered after {answered['t'] - placed_at:.1f} s")
        await phones.wait_for("hangup", seat=seat, timeout=CALL_WAIT_S,
                              where=lambda e: e.get("call") == call)
        await end_wrapup(phones, seat)
        return CallOutcome(number, seat, round(answered["t"] - placed_at, 1))
    finally:
        staged_file(cfg, sound).unlink(missing_ok=True)


async def place_calls(cfg: Config, phones, calls: int, seats: int, folder: Path,
                      out: Say) -> list[CallOutcome]:
    """`calls` calls, as many at once as there are seats, each a moment after the last."""
    at_once = asyncio.Semaphore(seats)

    async def call(index: int) -> CallOutcome:
        async with at_once:
            outcome = await one_call(cfg, phones, index, folder, out)
            await asyncio.sleep(GAP_S)  # the seat's device settles before the next call
            return outcome

    tasks: list[asyncio.Task[CallOutcome]] = []
    try:
        for index in range(1, calls + 1):
            tasks.append(asyncio.create_task(call(index)))
            await asyncio.sleep(GAP_S)
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()


# ---- the whole demo ----
async def run_demo(cfg: Config, config_path: str | None, seats: list[str], calls: int,
                   once: bool, talk_s: float, out: Say = say) -> int:
    from testkit.phones import SeatPhones, SoftphoneError

    if not hotline_up(cfg):
        raise DemoError(f"no hotline answers at http://{cfg.web_host}:{cfg.web_port}/healthz;"
                        " start one first (`make run` in another terminal)")
    folder = Path(tempfile.mkdtemp(prefix="hotline-demo-"))
    accounts = account_store(cfg)
    logins: list[tuple[str, str, str]] = []
    try:
        greeting = speak_wav(GREETING, folder / "greeting.wav", GREETING_QUIET_S)
        logins = create_logins(accounts, seats[0], out)
        phones = SeatPhones(seats, config_path=config_path, answer_after=1.0,
                            talk=talk_s, wav=greeting, register_timeout=15)
        try:
            await phones.start()
        except SoftphoneError as exc:
            raise DemoError(f"the seat phones did not register: {exc}") from exc
        try:
            for seat in seats:
                await log_in(phones, seat)
            base = f"http://{cfg.web_host}:{cfg.web_port}"
            out(f"seat phones {', '.join(seats)}: registered and logged in (*21)")
            out("web logins (passwords shown this once; removed when the demo ends):")
            for role, name, password in logins:
                out(f"  {role:<10} {name:<16} {password}"
                    + (f"   seat {seats[0]}" if role == "agent" else ""))
            out(f"wallboard: {base}/wallboard   (log in as {LOGINS[0][1]})")
            out(f"desk:      {base}/desk        (log in as {LOGINS[1][1]})")
            outcomes = await place_calls(cfg, phones, calls, len(seats), folder, out)
            answered = [o for o in outcomes if o.seat]
            out(f"{len(answered)} of {len(outcomes)} calls answered by the demo's seats")
            if not once:
                out("the seat phones stay on for your own calls (`hotline call 88900000"
                    " --wav request.wav`); Ctrl-C ends the demo")
                await asyncio.Event().wait()
            return 0 if len(answered) == len(outcomes) else 1
        finally:
            await phones.close()
    finally:
        for _role, name, _password in logins:
            accounts.delete(name)
        shutil.rmtree(folder, ignore_errors=True)
        out("demo ended: seat phones unregistered, demo logins removed")


async def _main(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    seats = [s.strip() for s in args.seats.split(",") if s.strip()]
    unknown = [s for s in seats if s not in cfg.seats]
    if not seats or unknown:
        raise DemoError(f"--seats must name seats of this hotline ({cfg.seats[0]}–"
                        f"{cfg.seats[-1]}), not {', '.join(unknown) or 'none'}")
    if args.calls < 0:
        raise DemoError("--calls must be 0 or more")
    task = asyncio.current_task()
    assert task is not None
    terminated = []

    def terminate() -> None:
        terminated.append(True)
        task.cancel()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminate)
    try:
        return await run_demo(cfg, args.config, seats, args.calls, args.once, args.talk)
    except asyncio.CancelledError:
        if terminated:  # SIGTERM: cleaned up, an ordinary end (Ctrl-C ends with 130)
            return 0
        raise


def _demo(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_main(args))
    except DemoError as exc:
        print(f"hotline demo: {exc}", file=sys.stderr)
        return 1


def add_commands(sub) -> None:
    """Add `demo` to the `hotline` sub-parsers (argparse's _SubParsersAction)."""
    demo = sub.add_parser("demo", help="seat phones, logins and a few calls on a running "
                                       "hotline (`make run` first)")
    demo.add_argument("--seats", default="8001,8002",
                      help="seat phones to run (default 8001,8002; the agent login gets "
                           "the first)")
    demo.add_argument("--calls", type=int, default=3, help="citizens who call (default 3)")
    demo.add_argument("--talk", type=float, default=15.0,
                      help="seconds an agent talks before hanging up (default 15)")
    demo.add_argument("--once", action="store_true",
                      help="end (and clean up) once the calls are over, instead of on Ctrl-C")
    demo.set_defaults(handler=_demo)

"""A farm of real SIP seat phones for tests and the ACD benchmark (agents side).

The phones themselves run in subprocesses (``python -m testkit.phones``, see
testkit/phones/process.py) because pjsua2 does not mix with asyncio. `SeatPhones`
is the asyncio side: it spawns the farm, waits until every seat is registered,
records every event the phones report and sends them commands. The pjsua2 wheel is
built for at most 4 simultaneous calls (and 8 accounts) per process, so the farm runs
4 seats per process, enough processes for all seats; callers never see the split.

    async with SeatPhones(["8001", "8002"]) as phones:
        t0 = time.time()
        ...  # make Asterisk ring seat 8001
        await phones.wait_for("answered", seat="8001", after=t0)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from testkit.phones.protocol import (
    MAX_SEATS_PER_PROCESS,
    MODULE,
    TRUNK,
    AnswerAfter,
    Event,
    TalkTime,
)


class SoftphoneError(RuntimeError):
    """The phone farm could not start, register, or refused a command."""


def _talk_arg(talk: TalkTime) -> str:
    if isinstance(talk, str | int | float):
        return str(talk)
    return ",".join(str(x) for x in talk)


class _Process:
    """One phone subprocess: its pipes and the tasks reading them."""

    def __init__(self, proc: asyncio.subprocess.Process, seats: list[str]) -> None:
        self.proc = proc
        self.seats = seats
        self.stderr: list[str] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def send(self, command: Event) -> None:
        if self.proc.stdin is None or self.proc.returncode is not None:
            raise SoftphoneError("the phone farm is not running")
        self.proc.stdin.write((json.dumps(command) + "\n").encode())
        await self.proc.stdin.drain()

    async def stop(self, timeout: float) -> None:
        """Ask to quit (the phones unregister); kill if it does not."""
        if self.proc.returncode is None:
            with contextlib.suppress(ConnectionError, RuntimeError, SoftphoneError):
                await self.send({"cmd": "quit"})
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, 1.0)


class SeatPhones:
    """Async handle on the phone farm for some seats; use as ``async with``."""

    def __init__(
        self,
        seats: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        config_path: str | Path | None = None,
        answer_after: AnswerAfter = 0.5,
        talk: TalkTime = "never",
        wav: str | Path | None = None,
        seed: int | None = None,
        register_timeout: float = 10.0,
        trunk: bool = False,
    ) -> None:
        """`env` is laid over os.environ (e.g. HOTLINE_INSTANCE, HOTLINE_SIP_PORT).
        `trunk`: the citizens' phones behind the trunk instead (seat "trunk", no
        registration; every number the hotline dials out rings there)."""
        self.trunk = trunk
        self.seats = [TRUNK] if trunk else [str(s) for s in seats]
        if len(set(self.seats)) != len(self.seats) or not self.seats:
            raise ValueError(f"seats must be distinct and not empty: {self.seats}")
        self.env = env
        self.config_path = config_path
        self.answer_after = answer_after
        self.talk = talk
        self.wav = wav
        self.seed = seed
        self.register_timeout = register_timeout
        self._events: list[Event] = []
        self._changed = asyncio.Event()
        self._ids = itertools.count(1)
        self._procs: list[_Process] = []

    # ---- lifecycle ----
    async def __aenter__(self) -> SeatPhones:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _argv(self, seats: list[str], shard: int) -> list[str]:
        argv = [sys.executable, "-m", MODULE, "--seats", ",".join(seats),
                "--answer-after", str(self.answer_after), "--talk", _talk_arg(self.talk)]
        if self.config_path is not None:
            argv += ["--config", str(self.config_path)]
        if self.wav is not None:
            argv += ["--wav", str(self.wav)]
        if self.seed is not None:
            argv += ["--seed", str(self.seed + shard)]
        if self.trunk:
            argv.append("--trunk")
        return argv

    async def start(self) -> None:
        """Spawn the farm and wait until every seat registered (or fail clearly)."""
        env = {**os.environ, **(self.env or {})}
        step = MAX_SEATS_PER_PROCESS
        try:
            for shard, first in enumerate(range(0, len(self.seats), step)):
                seats = self.seats[first:first + step]
                proc = await asyncio.create_subprocess_exec(
                    *self._argv(seats, shard), env=env, stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
                child = _Process(proc, seats)
                child.tasks = [asyncio.create_task(self._read_events(child)),
                               asyncio.create_task(self._read_stderr(child))]
                self._procs.append(child)
            for seat in self.seats:
                event = await self._wait(
                    lambda e, s=seat: e.get("seat") == s
                    and e["event"] in ("registered", "register_failed", "listening"),
                    self.register_timeout, f"seat {seat} to register")
                if event["event"] == "register_failed":
                    raise SoftphoneError(f"seat {seat} failed to register: SIP {event.get('code')}"
                                         f" {event.get('reason', '')}")
        except BaseException:
            await self.close()
            raise

    async def close(self, timeout: float = 5.0) -> None:
        """Stop every phone process; safe to call twice."""
        await asyncio.gather(*(p.stop(timeout) for p in self._procs))

    @property
    def returncode(self) -> int | None:
        """None while any phone process runs, else the worst exit code."""
        codes = [p.proc.returncode for p in self._procs]
        if not codes or any(c is None for c in codes):
            return None
        return max(codes, key=lambda c: abs(c or 0))

    @property
    def stderr(self) -> str:
        return "\n".join(line for p in self._procs for line in p.stderr)

    # ---- events ----
    async def _read_events(self, child: _Process) -> None:
        assert child.proc.stdout is not None
        async for raw in child.proc.stdout:
            try:
                event = json.loads(raw)
            except json.JSONDecodeError:
                event = {"event": "stdout", "line": raw.decode(errors="replace").rstrip(),
                         "t": time.time()}
            self._events.append(event)
            self._wake()
        await child.proc.wait()
        self._wake()

    async def _read_stderr(self, child: _Process) -> None:
        assert child.proc.stderr is not None
        async for raw in child.proc.stderr:
            child.stderr.append(raw.decode(errors="replace").rstrip())
            del child.stderr[:-50]

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def events(self, event: str | None = None, seat: str | None = None) -> list[Event]:
        """Everything the phones reported so far, oldest first, optionally filtered."""
        return [e for e in self._events
                if (event is None or e.get("event") == event)
                and (seat is None or e.get("seat") == str(seat))]

    async def wait_for(self, event: str | Sequence[str], seat: str | None = None,
                       timeout: float = 5.0, after: float | None = None,
                       where: Callable[[Event], bool] | None = None) -> Event:
        """First `event` (or any of several) for `seat`, at/after time `after`, passing `where`.

        Past events count, so a test cannot miss one that arrived before it asked;
        `where` picks one call among others (e.g. by caller ID in "from").
        """
        names = {event} if isinstance(event, str) else set(event)

        def match(e: Event) -> bool:
            return (e.get("event") in names and (seat is None or e.get("seat") == str(seat))
                    and (after is None or e.get("t", 0) >= after)
                    and (where is None or where(e)))
        return await self._wait(match, timeout, f"{event!r} from seat {seat or 'any'}")

    async def _wait(self, match: Callable[[Event], bool], timeout: float, what: str,
                    start: int = 0) -> Event:
        deadline = time.monotonic() + timeout
        seen = start
        while True:
            for e in self._events[seen:]:
                if match(e):
                    return e
            seen = len(self._events)
            changed = self._changed
            ended = any(p.proc.returncode is not None for p in self._procs)
            remaining = deadline - time.monotonic()
            if ended or remaining <= 0:
                recent = "\n".join(json.dumps(e) for e in self._events[-8:])
                state = "a phone process exited" if ended else f"timed out after {timeout}s"
                raise SoftphoneError(f"waiting for {what}: {state}\nlast events:\n{recent}\n"
                                     f"stderr:\n{self.stderr}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    # ---- commands ----
    def _owners(self, seat: str | None) -> list[_Process]:
        if seat is None:
            return list(self._procs)
        owners = [p for p in self._procs if str(seat) in p.seats]
        if not owners:
            raise SoftphoneError(f"seat {seat} is not in this farm ({', '.join(self.seats)})")
        return owners

    async def command(self, cmd: str, seat: str | None = None, timeout: float = 5.0,
                      **fields: Any) -> None:
        """Send one command (seat None: all seats) and wait until it was carried out."""
        ref = next(self._ids)
        start = len(self._events)
        owners = self._owners(seat)
        for child in owners:
            await child.send({"cmd": cmd, "seat": seat, "id": ref, **fields})
        for _ in owners:
            reply = await self._wait(
                lambda e: e.get("id") == ref and e["event"] in ("done", "error"), timeout,
                f"reply to {cmd}", start)
            if reply["event"] == "error":
                raise SoftphoneError(f"{cmd} refused: {reply.get('error')}")
            start = self._events.index(reply) + 1

    async def set(self, seat: str | None = None, *, answer_after: AnswerAfter | None = None,
                  talk: TalkTime | None = None) -> None:
        """Change how a seat (None: every seat) behaves on its next calls."""
        fields: dict[str, Any] = {}
        if answer_after is not None:
            fields["answer_after"] = answer_after
        if talk is not None:
            fields["talk"] = talk if isinstance(talk, str | int | float) else list(talk)
        await self.command("set", seat, **fields)

    async def unregister(self, seat: str, timeout: float = 5.0) -> Event:
        """Unregister and wait until the registrar confirmed it."""
        return await self._registration("unregister", "unregistered", seat, timeout)

    async def register(self, seat: str, timeout: float = 5.0) -> Event:
        """Register again and wait for the outcome (raises on failure)."""
        event = await self._registration("register", "registered", seat, timeout)
        if event["event"] == "register_failed":
            raise SoftphoneError(f"seat {seat} failed to register: SIP {event.get('code')}")
        return event

    async def _registration(self, cmd: str, outcome: str, seat: str, timeout: float) -> Event:
        start = len(self._events)
        await self.command(cmd, seat, timeout)
        return await self._wait(
            lambda e: e.get("seat") == str(seat) and e["event"] in (outcome, "register_failed"),
            timeout, f"seat {seat} {outcome}", start)

    async def dial(self, seat: str, number: str) -> None:
        """Dial from the seat phone (a feature code such as *23, or a number)."""
        await self.command("dial", seat, number=number)

    async def dtmf(self, seat: str, digits: str) -> None:
        """Key digits on the seat's current call."""
        await self.command("dtmf", seat, digits=digits)

    async def hangup(self, seat: str) -> None:
        """Hang up (or reject, if still ringing) the seat's current call."""
        await self.command("hangup", seat)

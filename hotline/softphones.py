"""A farm of real SIP seat phones for tests and the ACD benchmark (agents side).

The phones themselves run in a subprocess (``python -m hotline.softphones``, see
hotline/softphone_proc.py) because pjsua2 does not mix with asyncio. `SeatPhones`
is the asyncio side: it spawns the farm, waits until every seat is registered,
records every event the phones report and sends them commands.

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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

AnswerAfter = float | str  # seconds or "never"
TalkTime = float | str | Sequence[float]  # seconds, [min, max] or "never"


class SoftphoneError(RuntimeError):
    """The phone farm could not start, register, or refused a command."""


def _talk_arg(talk: TalkTime) -> str:
    if isinstance(talk, str | int | float):
        return str(talk)
    return ",".join(str(x) for x in talk)


class SeatPhones:
    """Async handle on one phone-farm subprocess; use as ``async with``."""

    def __init__(
        self,
        seats: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        config_path: str | Path | None = None,
        answer_after: AnswerAfter = 0.5,
        talk: TalkTime = "never",
        wav: str | Path | None = None,
        register_timeout: float = 10.0,
    ) -> None:
        """`env` is laid over os.environ (e.g. HOTLINE_INSTANCE, HOTLINE_SIP_PORT)."""
        self.seats = [str(s) for s in seats]
        self.env = env
        self.config_path = config_path
        self.answer_after = answer_after
        self.talk = talk
        self.wav = wav
        self.register_timeout = register_timeout
        self._events: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self._stderr: list[str] = []
        self._ids = itertools.count(1)
        self._proc: asyncio.subprocess.Process | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # ---- lifecycle ----
    async def __aenter__(self) -> SeatPhones:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _argv(self) -> list[str]:
        argv = [sys.executable, "-m", "hotline.softphones", "--seats", ",".join(self.seats),
                "--answer-after", str(self.answer_after), "--talk", _talk_arg(self.talk)]
        if self.config_path is not None:
            argv += ["--config", str(self.config_path)]
        if self.wav is not None:
            argv += ["--wav", str(self.wav)]
        return argv

    async def start(self) -> None:
        """Spawn the farm and wait until every seat registered (or fail clearly)."""
        env = {**os.environ, **(self.env or {})}
        self._proc = await asyncio.create_subprocess_exec(
            *self._argv(), env=env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        self._tasks = [asyncio.create_task(self._read_events()),
                       asyncio.create_task(self._read_stderr())]
        try:
            for seat in self.seats:
                event = await self._wait(lambda e, s=seat: e.get("seat") == s and e["event"] in (
                    "registered", "register_failed"), self.register_timeout,
                    f"seat {seat} to register")
                if event["event"] == "register_failed":
                    raise SoftphoneError(f"seat {seat} failed to register: SIP {event.get('code')}"
                                         f" {event.get('reason', '')}")
        except BaseException:
            await self.close()
            raise

    async def close(self, timeout: float = 5.0) -> None:
        """Ask the farm to quit (it unregisters); kill it if it does not."""
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self._send({"cmd": "quit"})
                assert proc.stdin is not None
                proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 1.0)

    @property
    def returncode(self) -> int | None:
        return None if self._proc is None else self._proc.returncode

    # ---- events ----
    async def _read_events(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        async for raw in self._proc.stdout:
            try:
                event = json.loads(raw)
            except json.JSONDecodeError:
                event = {"event": "stdout", "line": raw.decode(errors="replace").rstrip(),
                         "t": time.time()}
            self._events.append(event)
            self._wake()
        await self._proc.wait()
        self._wake()

    async def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        async for raw in self._proc.stderr:
            self._stderr.append(raw.decode(errors="replace").rstrip())
            del self._stderr[:-50]

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    @property
    def stderr(self) -> str:
        return "\n".join(self._stderr)

    def events(self, event: str | None = None, seat: str | None = None) -> list[dict[str, Any]]:
        """Everything the phones reported so far, optionally filtered."""
        return [e for e in self._events
                if (event is None or e.get("event") == event)
                and (seat is None or e.get("seat") == str(seat))]

    async def wait_for(self, event: str, seat: str | None = None, timeout: float = 5.0,
                       after: float | None = None) -> dict[str, Any]:
        """First `event` (for `seat`) whose time "t" is >= `after`; past events count."""
        def match(e: dict[str, Any]) -> bool:
            return (e.get("event") == event and (seat is None or e.get("seat") == str(seat))
                    and (after is None or e.get("t", 0) >= after))
        return await self._wait(match, timeout, f"{event!r} from seat {seat or 'any'}")

    async def _wait(self, match: Any, timeout: float, what: str,
                    start: int = 0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        seen = start
        while True:
            for e in self._events[seen:]:
                if match(e):
                    return e
            seen = len(self._events)
            changed = self._changed
            ended = self._proc is not None and self._proc.returncode is not None
            remaining = deadline - time.monotonic()
            if ended or remaining <= 0:
                recent = "\n".join(json.dumps(e) for e in self._events[-8:])
                state = "the phone farm exited" if ended else f"timed out after {timeout}s"
                raise SoftphoneError(f"waiting for {what}: {state}\nlast events:\n{recent}\n"
                                     f"stderr:\n{self.stderr}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    # ---- commands ----
    async def _send(self, command: dict[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.returncode is not None:
            raise SoftphoneError(f"the phone farm is not running\nstderr:\n{self.stderr}")
        proc.stdin.write((json.dumps(command) + "\n").encode())
        await proc.stdin.drain()

    async def command(self, cmd: str, seat: str | None = None, timeout: float = 5.0,
                      **fields: Any) -> dict[str, Any]:
        """Send one command and wait until the farm has carried it out."""
        ref = next(self._ids)
        start = len(self._events)
        await self._send({"cmd": cmd, "seat": seat, "id": ref, **fields})
        reply = await self._wait(
            lambda e: e.get("id") == ref and e["event"] in ("done", "error"), timeout,
            f"reply to {cmd}", start)
        if reply["event"] == "error":
            raise SoftphoneError(f"{cmd} refused: {reply.get('error')}")
        return reply

    async def set(self, seat: str | None = None, *, answer_after: AnswerAfter | None = None,
                  talk: TalkTime | None = None) -> None:
        """Change how a seat (None: every seat) behaves on its next calls."""
        fields: dict[str, Any] = {}
        if answer_after is not None:
            fields["answer_after"] = answer_after
        if talk is not None:
            fields["talk"] = talk if isinstance(talk, str | int | float) else list(talk)
        await self.command("set", seat, **fields)

    async def unregister(self, seat: str, timeout: float = 5.0) -> dict[str, Any]:
        """Unregister and wait until the registrar confirmed it."""
        return await self._registration("unregister", "unregistered", seat, timeout)

    async def register(self, seat: str, timeout: float = 5.0) -> dict[str, Any]:
        """Register again and wait for the outcome (raises on failure)."""
        event = await self._registration("register", "registered", seat, timeout)
        if event["event"] == "register_failed":
            raise SoftphoneError(f"seat {seat} failed to register: SIP {event.get('code')}")
        return event

    async def _registration(self, cmd: str, outcome: str, seat: str,
                            timeout: float) -> dict[str, Any]:
        start = len(self._events)
        await self.command(cmd, seat, timeout)
        return await self._wait(
            lambda e: e.get("seat") == str(seat) and e["event"] in (outcome, "register_failed"),
            timeout, f"seat {seat} {outcome}", start)

    async def hangup(self, seat: str) -> None:
        """Hang up (or reject, if still ringing) the seat's current call."""
        await self.command("hangup", seat)


if __name__ == "__main__":
    from hotline.softphone_proc import main

    sys.exit(main())

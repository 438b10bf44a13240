"""A FastAGI server that survives bad input, built on panoramisk's Application.

panoramisk's own handler spins forever when a peer closes before the blank line,
and its result parser raises on an empty or malformed line. Here the environment
is read with a size and time limit, decoded leniently, and every command result
goes through `read_result`, which turns EOF, HANGUP and garbage into exceptions
the route can handle. Commands never carry raw caller-controlled text: values are
passed through `agi_quote`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from panoramisk.fast_agi import Application, Request
from panoramisk.utils import parse_agi_result

log = logging.getLogger(__name__)

ENV_LIMIT = 64 * 1024
ENV_TIMEOUT = 10.0
COMMAND_TIMEOUT = 90.0  # the longest command the routes send (RECORD, 60 s) and margin


class AgiHangup(Exception):
    """The channel hung up or the AGI connection closed."""


class AgiProtocolError(Exception):
    """Asterisk answered something that is not an AGI result line."""


def parse_agi_env(raw: bytes) -> dict[str, str]:
    """Parse the `agi_*: value` block; lines without a key are ignored, not fatal."""
    env: dict[str, str] = {}
    for line in raw.decode("utf-8", errors="replace").split("\n"):
        key, sep, value = line.partition(": ")
        if sep and key.startswith("agi_") and key.replace("_", "").isalnum():
            env.setdefault(key, value.rstrip("\r"))
    return env


def agi_quote(value: str, limit: int = 512) -> str:
    """Quote one AGI argument: no control characters, quotes and backslashes escaped."""
    cleaned = "".join(ch for ch in value[:limit] if ch.isprintable())
    escaped = cleaned.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def parse_result_line(line: str) -> dict:
    """One result line -> panoramisk's dict, raising our errors for hangup and garbage."""
    if line in ("HANGUP", ""):
        raise AgiHangup(line or "connection closed")
    try:
        result = parse_agi_result(line)
    except (ValueError, AttributeError) as exc:
        raise AgiProtocolError(f"unparseable AGI line {line[:80]!r}") from exc
    if result.get("error") == "AGIResultHangup":
        raise AgiHangup(result.get("msg", "hangup"))
    return result


class AgiSession(Request):
    """One call's AGI conversation: `command` sends and parses, `get_variable` decodes."""

    async def _read_line(self, timeout: float | None = COMMAND_TIMEOUT) -> str:
        try:
            raw = await asyncio.wait_for(self.reader.readline(), timeout)
        except ValueError as exc:  # StreamReader's answer to a line past its limit
            raise AgiProtocolError("AGI line longer than the reader's limit") from exc
        if not raw:
            raise AgiHangup("connection closed")
        return raw.decode(self.encoding, errors="replace").rstrip("\r\n")

    async def command(self, command: str, timeout: float | None = COMMAND_TIMEOUT) -> dict:
        """Send one AGI command; returns the parsed result or raises AgiHangup. A peer
        silent past `timeout` (a stalled client) raises TimeoutError; None waits as long
        as the command takes (a Dial lasts the whole conversation)."""
        if "\n" in command or "\r" in command:
            raise ValueError("AGI command must be one line")
        self.writer.write((command + "\n").encode(self.encoding))
        await self.writer.drain()
        while True:
            line = await self._read_line(timeout)
            if line.startswith("HANGUP") and line != "HANGUP":
                continue  # AGISIGHUP notice; the real result follows
            result = parse_result_line(line)
            if result.get("status_code") == 100:
                continue
            if result.get("status_code") == 520 and line.startswith("520-"):
                while not (await self._read_line()).startswith("520 "):
                    pass
            return result

    async def get_variable(self, name: str) -> str | None:
        """Value of a channel variable or function (name is ours, never a caller's)."""
        result = await self.command(f"GET VARIABLE {name}")
        value, data = result.get("result", ("0", ""))
        return data if value == "1" else None

    async def set_variable(self, name: str, value: str) -> dict:
        """Set a channel variable (name is ours; the value is quoted)."""
        return await self.command(f"SET VARIABLE {name} {agi_quote(value)}")

    async def exec(self, application: str, *args: str,
                   timeout: float | None = COMMAND_TIMEOUT) -> dict:
        """EXEC an application; arguments are quoted as one comma-joined string."""
        joined = ",".join(args)
        return await self.command(f"EXEC {application} {agi_quote(joined)}", timeout)


Route = Callable[[AgiSession], Awaitable[None]]


class FastAgiServer(Application):
    """panoramisk Application with a defensive connection handler."""

    def __init__(self) -> None:
        super().__init__(loop=asyncio.get_running_loop())
        self.sessions_total = 0
        self.sessions_failed = 0
        self._sessions: set[asyncio.Task] = set()

    async def cancel_sessions(self) -> None:
        """On shutdown: end every call's session (Asterisk then runs the dialplan on)."""
        tasks = [t for t in self._sessions if not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def add_route(self, path: str, endpoint: Route) -> None:
        if not asyncio.iscoroutinefunction(endpoint):
            raise TypeError(f"FastAGI route {path!r} must be an async function")
        super().add_route(path, endpoint)

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
            task.add_done_callback(self._sessions.discard)
        peer = writer.get_extra_info("peername")
        try:
            raw = await asyncio.wait_for(reader.readuntil(b"\n\n"), ENV_TIMEOUT)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as exc:
            log.warning("FastAGI from %s: no valid environment (%s)", peer, type(exc).__name__)
            writer.close()
            return
        env = parse_agi_env(raw)
        script = env.get("agi_network_script", "").split("?", 1)[0].strip("/")
        route = self._route.get(script)
        self.sessions_total += 1
        if route is None:
            log.error("FastAGI from %s: no route for %r", peer, script[:80])
            writer.close()
            return
        session = AgiSession(app=self, headers=env, reader=reader, writer=writer)
        try:
            await route(session)
        except AgiHangup:
            log.info("FastAGI %s: caller hung up", script)
        except asyncio.CancelledError:
            log.info("FastAGI %s: session ended by shutdown", script)
        except Exception:
            self.sessions_failed += 1
            log.exception("FastAGI route %s failed", script)
        finally:
            writer.close()

    async def serve(self, host: str, port: int) -> asyncio.AbstractServer:
        return await asyncio.start_server(self.handler, host, port, limit=ENV_LIMIT)

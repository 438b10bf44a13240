"""FastAGI input from a hostile or broken peer: the environment block, result lines, the
session's reading path and the quoting of our own command arguments.

The contract (ivr/fastagi.py): garbage from the peer ends up as AgiHangup or
AgiProtocolError, never as another exception; `agi_quote` yields exactly one argument,
as Asterisk's res_agi parses a command line, whatever the caller's text was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.fastagi import (
    ENV_LIMIT,
    AgiHangup,
    AgiProtocolError,
    AgiSession,
    FastAgiServer,
    agi_quote,
    parse_agi_env,
    parse_result_line,
)
from tests.fuzz.seeds import seeds

KEYS = st.from_regex(r"agi_[a-z0-9_]{1,20}", fullmatch=True)
VALUES = st.text(st.characters(exclude_characters="\n"), max_size=40).map(
    lambda v: v.rstrip("\r"))
HOSTILE = ["", "HANGUP", "HANGUP now", "200", "200 result=", "200 result=1 (hangup)",
           "520-Invalid", "520 End", "100 Trying", "٢٠٠ result=1", "9" * 5000, "\x00"]
CODES = st.sampled_from(["100", "200", "510", "520", "520-", "404", "0", "-1", ""])
PAIRS = st.builds("{}={}{}".format, st.from_regex(r"\w{1,10}", fullmatch=True),
                  st.text(st.characters(exclude_categories=["Z", "Cc"]), min_size=1),
                  st.sampled_from(["", " (timeout)", " (hangup)", " (", ")"]))
LINES = st.one_of(st.sampled_from(HOSTILE), st.text(st.characters(exclude_characters="\n")),
                  st.builds(lambda code, pairs: " ".join([code, *pairs]), CODES,
                            st.lists(PAIRS, max_size=3)))
STREAMS = st.one_of(st.binary(max_size=2000), st.lists(LINES, max_size=6).map(
    lambda ls: "\n".join(ls).encode("utf-8", "surrogatepass")))  # lone surrogates: bad UTF-8


@pytest.fixture(autouse=True, scope="module")
def quiet() -> Iterator[None]:
    """Every failed session logs its traceback; thousands of them are no finding."""
    logger = logging.getLogger("ivr.fastagi")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


class Pipe:
    """The writing half of a connection, kept in memory."""

    def __init__(self) -> None:
        self.sent = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.sent += data

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> object:
        return ("127.0.0.1", 40000) if name == "peername" else None


def reader_of(data: bytes) -> asyncio.StreamReader:
    """What the peer sent, then the end of the connection (the server's line limit)."""
    reader = asyncio.StreamReader(limit=ENV_LIMIT)
    reader.feed_data(data)
    reader.feed_eof()
    return reader


def asterisk_args(line: str) -> list[str]:
    """A command line split into arguments as res_agi.c's parse_args does it: spaces and
    tabs separate, double quotes group, a backslash makes the next character literal."""
    args: list[list[str]] = []
    quoted = escaped = False
    between = True
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if quoted and between:
                args.append([])
                between = False
        elif ch in " \t" and not quoted and not escaped:
            between = True
        elif ch == "\\" and not escaped:
            escaped = True
        else:
            if between:
                args.append([])
                between = False
            args[-1].append(ch)
            escaped = False
    return ["".join(arg) for arg in args]


def check_env(raw: bytes) -> None:
    env = parse_agi_env(raw)
    for key, value in env.items():
        assert key.startswith("agi_") and key.replace("_", "").isalnum()
        assert "\n" not in value and not value.endswith("\r")


@given(st.binary(max_size=4000))
def test_env_of_any_bytes(raw: bytes) -> None:
    check_env(raw)


@pytest.mark.parametrize("seed", seeds("agi_env"))
def test_env_corpus(seed: Path) -> None:
    check_env(seed.read_bytes())


@given(st.dictionaries(KEYS, VALUES, max_size=8), st.sampled_from(["\n", "\r\n"]))
def test_env_round_trip(env: dict[str, str], newline: str) -> None:
    raw = "".join(f"{k}: {v}{newline}" for k, v in env.items()) + newline
    assert parse_agi_env(raw.encode("utf-8", "surrogatepass")) == {
        k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        for k, v in env.items()}


def check_result_line(line: str) -> None:
    try:
        result = parse_result_line(line)
    except (AgiHangup, AgiProtocolError):
        return
    assert isinstance(result.get("status_code", 0), int) or "error" in result
    value, data = result.get("result", ("", ""))
    assert isinstance(value, str) and isinstance(data, str)


@given(LINES)
def test_result_line(line: str) -> None:
    check_result_line(line)


@pytest.mark.parametrize("seed", seeds("agi_result"))
def test_result_corpus(seed: Path) -> None:
    for line in seed.read_bytes().decode("utf-8", "replace").split("\n"):
        check_result_line(line.rstrip("\r"))
    check_session(seed.read_bytes())
    check_server(b"agi_network_script: incoming\n\n" + seed.read_bytes())


def check_session(response: bytes) -> None:
    """One command against whatever the peer answers: a result or our two errors."""

    async def run() -> dict | None:
        writer = Pipe()
        session = AgiSession(app=None, headers={}, reader=reader_of(response), writer=writer)
        try:
            return await session.command("NOOP")
        except (AgiHangup, AgiProtocolError):
            return None
        finally:
            assert writer.sent == b"NOOP\n"

    result = asyncio.run(run())
    assert result is None or isinstance(result, dict)


@given(STREAMS)
def test_session_reads_any_answer(response: bytes) -> None:
    check_session(response)


def check_server(raw: bytes) -> None:
    """A whole connection's bytes: the handler never raises and always hangs up; a route
    that runs sees exactly the environment the block parses to."""
    seen: list[dict[str, str]] = []

    async def route(agi: AgiSession) -> None:
        seen.append(agi.headers)
        await agi.command("ANSWER")

    async def run() -> tuple[Pipe, FastAgiServer]:
        server = FastAgiServer()
        server.add_route("incoming", route)
        writer = Pipe()
        await server.handler(reader_of(raw), writer)
        return writer, server

    writer, server = asyncio.run(run())
    assert writer.closed
    assert server.sessions_failed <= server.sessions_total <= 1
    if seen:
        assert seen == [parse_agi_env(raw[: raw.index(b"\n\n") + 2])]


@given(st.one_of(st.binary(max_size=3000), st.builds(
    lambda env, rest: b"agi_network_script: incoming\n" + env + b"\n\n" + rest,
    st.binary(max_size=200), STREAMS)))
def test_server_handles_any_connection(raw: bytes) -> None:
    check_server(raw)


@given(st.text(), st.integers(min_value=0, max_value=600))
def test_quote_is_one_argument(value: str, limit: int) -> None:
    quoted = agi_quote(value, limit)
    assert "\n" not in quoted and "\r" not in quoted and "\x00" not in quoted
    quoted.encode("utf-8")  # no lone surrogate reaches the socket
    kept = "".join(ch for ch in value[:limit] if ch.isprintable())
    assert asterisk_args(f"SET VARIABLE NAME {quoted}") == ["SET", "VARIABLE", "NAME", kept]

"""FastAGI server against a scripted peer: faults real Asterisk cannot be made to produce."""

import asyncio

import pytest

from ivr.fastagi import AgiHangup, FastAgiServer, agi_quote, parse_agi_env

ENV = b"agi_network: yes\nagi_network_script: incoming\nagi_callerid: 1380013\n\n"


async def start(route):
    server = FastAgiServer()
    server.add_route("incoming", route)
    listener = await server.serve("127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    return server, listener, port


async def test_route_gets_env_despite_garbage_lines_and_bad_utf8():
    seen = asyncio.get_running_loop().create_future()

    async def route(agi):
        seen.set_result(agi.headers)

    server, listener, port = await start(route)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"agi_network_script: incoming\ngarbage without colon\n"
                 b"agi_calleridname: \xff\xfeZ\nagi_callerid: 42\n\n")
    headers = await asyncio.wait_for(seen, 5)
    assert headers["agi_callerid"] == "42"
    assert "\ufffd" in headers["agi_calleridname"]
    writer.close()
    listener.close()


async def test_peer_closing_early_does_not_hang_the_server():
    called = []

    async def route(agi):
        called.append(agi)

    server, listener, port = await start(route)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"agi_network_script: incom")
    writer.close()
    await asyncio.sleep(0.2)
    # the server still serves the next, well-formed call
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(ENV)
    for _ in range(50):
        if called:
            break
        await asyncio.sleep(0.05)
    assert len(called) == 1
    writer.close()
    listener.close()


async def test_malformed_result_line_fails_the_session_cleanly():
    done = asyncio.get_running_loop().create_future()

    async def route(agi):
        try:
            await agi.command("ANSWER")
        finally:
            done.set_result(True)

    server, listener, port = await start(route)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(ENV)
    assert (await reader.readline()) == b"ANSWER\n"
    writer.write(b"this is not an AGI result\n")
    await asyncio.wait_for(done, 5)
    assert await asyncio.wait_for(reader.read(), 5) == b""  # server closed the socket
    assert server.sessions_failed == 1
    listener.close()


async def test_hangup_ends_the_route_without_error():
    outcome = asyncio.get_running_loop().create_future()

    async def route(agi):
        try:
            await agi.command("STREAM FILE beep \"\"")
        except AgiHangup:
            outcome.set_result("hangup")
            raise

    server, listener, port = await start(route)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(ENV)
    await reader.readline()
    writer.write(b"HANGUP\n")
    assert await asyncio.wait_for(outcome, 5) == "hangup"
    await asyncio.sleep(0.05)
    assert server.sessions_failed == 0
    writer.close()
    listener.close()


async def test_a_peer_that_stalls_mid_command_ends_the_session_not_the_server():
    outcome = asyncio.get_running_loop().create_future()

    async def route(agi):
        try:
            await agi.command("GET VARIABLE HOTLINE_ARRIVAL", timeout=0.3)
        except TimeoutError:
            outcome.set_result("timed out")
            raise

    server, listener, port = await start(route)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(ENV)
    await reader.readline()  # the command arrives; the peer never answers it
    assert await asyncio.wait_for(outcome, 5) == "timed out"
    assert await asyncio.wait_for(reader.read(), 5) == b""  # the session is closed
    assert server.sessions_failed == 1
    writer.close()
    listener.close()


async def test_sync_route_is_refused():
    server = FastAgiServer()
    with pytest.raises(TypeError):
        server.add_route("x", lambda agi: None)


def test_quote_strips_control_characters_and_escapes():
    assert agi_quote('a"b\\c\nd') == '"a\\"b\\\\cd"'


def test_env_parse_keeps_first_value_and_ignores_foreign_keys():
    env = parse_agi_env(b"agi_callerid: 1\nagi_callerid: 2\nnot_agi: x\n\n")
    assert env == {"agi_callerid": "1"}

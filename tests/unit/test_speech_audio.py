"""Bad recordings give a clear outcome, never an exception (no model needed here)."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import pytest

from ivr.audio import AudioError, load_pcm
from ivr.speech import NO_SPEECH, UNREADABLE, transcribe_file


def _wav(path: Path, samples: list[int], rate: int = 8000, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return path


def _tone(seconds: float, rate: int, channels: int = 1) -> list[int]:
    n = int(seconds * rate)
    mono = [int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(n)]
    return [s for s in mono for _ in range(channels)]


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00\x00\x00WAVEjunk" * 4, b"\x00\x01garbage"])
def test_broken_or_empty_files_are_unreadable(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "rec.wav"
    path.write_bytes(content)
    result = transcribe_file(path)
    assert result.status == UNREADABLE
    assert result.reason and not result.text


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    result = transcribe_file(tmp_path / "nope.wav")
    assert result.status == UNREADABLE and "no such file" in result.reason


def test_silence_is_no_speech(tmp_path: Path) -> None:
    result = transcribe_file(_wav(tmp_path / "quiet.wav", [0] * 8000 * 3))
    assert result.status == NO_SPEECH
    assert result.duration == pytest.approx(3.0)


def test_header_only_wav_is_no_speech(tmp_path: Path) -> None:
    assert transcribe_file(_wav(tmp_path / "empty.wav", [])).status == NO_SPEECH


def test_any_rate_and_channels_become_8k_mono(tmp_path: Path) -> None:
    pcm = load_pcm(_wav(tmp_path / "hifi.wav", _tone(2.0, 44100, 2), 44100, 2))
    assert pcm.rate == 8000
    assert pcm.seconds == pytest.approx(2.0, abs=0.01)
    assert not pcm.truncated


def test_sln_is_read_as_8k_and_sln16_as_16k(tmp_path: Path) -> None:
    raw = struct.pack("<16000h", *_tone(1.0, 16000))
    (tmp_path / "a.sln16").write_bytes(raw)
    (tmp_path / "a.sln").write_bytes(raw)
    assert load_pcm(tmp_path / "a.sln16").seconds == pytest.approx(1.0, abs=0.01)
    assert load_pcm(tmp_path / "a.sln").seconds == pytest.approx(2.0, abs=0.01)


def test_long_recordings_are_cut_not_loaded_whole(tmp_path: Path) -> None:
    path = tmp_path / "long.sln"
    path.write_bytes(b"\x00\x10" * 8000 * 600)  # ten minutes
    pcm = load_pcm(path, max_seconds=30)
    assert pcm.truncated and pcm.duration == pytest.approx(600)
    assert pcm.seconds == pytest.approx(30)


def test_wav_header_longer_than_data_keeps_what_is_there(tmp_path: Path) -> None:
    path = _wav(tmp_path / "cut.wav", _tone(2.0, 8000))
    path.write_bytes(path.read_bytes()[: 44 + 8000])  # half a second of samples left
    pcm = load_pcm(path)
    assert pcm.seconds == pytest.approx(0.5, abs=0.01) and not pcm.truncated


def test_load_pcm_raises_audio_error_for_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError):
        load_pcm(tmp_path / "missing.sln")

"""Recordings as the recogniser reads them: any bytes in a .wav, .sln or G.711 file load as
PCM no longer than `max_seconds`, or raise AudioError — never another exception."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.audio import AudioError, load_pcm
from tests.fuzz.seeds import seeds

SUFFIXES = [".wav", ".sln", ".sln16", ".raw", ".ulaw", ".alaw"]
RATES = st.one_of(st.sampled_from([0, 1, 7999, 8000, 16000, 44100, 2**31 - 1, 2**31,
                                   2**32 - 1]), st.integers(0, 2**32 - 1))


@st.composite
def wavs(draw: st.DrawFn) -> bytes:
    """A RIFF/WAVE file whose header fields and sizes may lie."""
    fmt = draw(st.sampled_from([1, 1, 1, 3, 6, 7, 0xFFFE]) | st.integers(0, 0xFFFF))
    channels = draw(st.sampled_from([0, 1, 1, 2, 3]) | st.integers(0, 0xFFFF))
    rate, bits = draw(RATES), draw(st.sampled_from([0, 8, 16, 24, 32]) | st.integers(0, 64))
    width = (bits + 7) // 8
    block = draw(st.sampled_from([channels * width]) | st.integers(0, 0xFFFF)) & 0xFFFF
    fmt_chunk = struct.pack("<HHIIHH", fmt, channels, rate, rate * block & 0xFFFFFFFF, block,
                            bits)
    data = draw(st.binary(max_size=2000))
    claim = draw(st.sampled_from([len(data)]) | st.integers(0, 2**32 - 1))
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk + b"data"
            + struct.pack("<I", claim) + data)
    riff = b"RIFF" + struct.pack("<I", len(body) + 4) + body
    return riff[: draw(st.integers(0, len(riff)))] if draw(st.booleans()) else riff


def check_load(path: Path, max_seconds: float, rate: int) -> None:
    try:
        pcm = load_pcm(path, max_seconds=max_seconds, target_rate=rate)
    except AudioError:
        return
    assert pcm.rate == rate and len(pcm.data) % 2 == 0
    assert len(pcm.data) <= 2 * (int(max_seconds * rate) + 1)
    assert 0 <= pcm.duration < float("inf")


@given(st.sampled_from(SUFFIXES), st.one_of(wavs(), st.binary(max_size=3000)),
       st.sampled_from([0.01, 0.5, 2.0]), st.sampled_from([8000, 16000]))
def test_any_bytes_load_or_fail_cleanly(suffix: str, raw: bytes, max_seconds: float,
                                        rate: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"recording{suffix}"
        path.write_bytes(raw)
        check_load(path, max_seconds, rate)


@pytest.mark.parametrize("seed", seeds("audio"))
def test_audio_corpus(seed: Path) -> None:
    for max_seconds in (0.05, 120.0):
        check_load(seed, max_seconds, 8000)

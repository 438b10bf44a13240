"""Read a call recording into 16-bit mono PCM at the recogniser's rate.

Asterisk's RECORD FILE writes WAV or headerless signed linear (.sln = 8 kHz,
.sln16 = 16 kHz, ...) and sometimes G.711 (.ulaw/.alaw). Anything else goes through
pydub/ffmpeg. Long recordings are cut at ``max_seconds`` instead of loaded whole.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError

from ivr.g711 import alaw_to_pcm16, ulaw_to_pcm16

TARGET_RATE = 8000
MAX_RATE = 768000  # above any real PCM rate; a header's 4 GHz would overflow pydub's maths
_SLN_RATES = {".sln": 8000, ".raw": 8000, ".sln12": 12000, ".sln16": 16000, ".sln24": 24000,
              ".sln32": 32000, ".sln44": 44100, ".sln48": 48000, ".sln96": 96000,
              ".sln192": 192000}
_G711 = {".ulaw": "mulaw", ".ul": "mulaw", ".pcmu": "mulaw", ".alaw": "alaw", ".al": "alaw",
         ".pcma": "alaw"}


class AudioError(Exception):
    """The file cannot be read as audio (missing, empty, corrupt)."""


@dataclass(frozen=True)
class Pcm:
    """Signed 16-bit little-endian mono samples ready for the recogniser."""

    data: bytes
    rate: int
    duration: float  # seconds in the whole file
    truncated: bool

    @property
    def seconds(self) -> float:
        """Length of the audio kept (after any cut)."""
        return len(self.data) / 2 / self.rate


def _normalise(seg: AudioSegment, rate: int) -> bytes:
    return seg.set_channels(1).set_sample_width(2).set_frame_rate(rate).raw_data


def _from_raw(raw: bytes, width: int, rate: int, channels: int, target: int) -> bytes:
    frame = width * channels
    raw = raw[: len(raw) - len(raw) % frame]
    if not raw or (width == 2 and channels == 1 and rate == target):
        return raw  # (an empty 24-bit AudioSegment raises: pydub reads its first byte)
    seg = AudioSegment(data=raw, sample_width=width, frame_rate=rate, channels=channels)
    return _normalise(seg, target)


def _read_wav(path: Path, max_seconds: float, target: int) -> Pcm:
    with wave.open(str(path), "rb") as wav:
        rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
        if not 0 < rate <= MAX_RATE or width not in (1, 2, 3, 4) or channels <= 0:
            raise AudioError(f"{path.name}: unsupported WAV format")
        total = wav.getnframes()
        wanted = min(total, int(max_seconds * rate))
        raw = wav.readframes(wanted)
    got = len(raw) // (width * channels)
    if got < wanted:  # the header claims more than the file holds: keep what is there
        duration, truncated = got / rate, False
    else:
        duration, truncated = total / rate, total > got
    return Pcm(_from_raw(raw, width, rate, channels, target), target, duration, truncated)


def _read_sln(path: Path, rate: int, max_seconds: float, target: int) -> Pcm:
    size = path.stat().st_size
    limit = int(max_seconds * rate) * 2
    with path.open("rb") as handle:
        raw = handle.read(limit)
    return Pcm(_from_raw(raw, 2, rate, 1, target), target, size / 2 / rate,
               truncated=size > limit)


def _read_g711(path: Path, codec: str, max_seconds: float, target: int) -> Pcm:
    size = path.stat().st_size
    limit = int(max_seconds * 8000)
    with path.open("rb") as handle:
        raw = handle.read(limit)
    lin = ulaw_to_pcm16(raw) if codec == "mulaw" else alaw_to_pcm16(raw)
    return Pcm(_from_raw(lin, 2, 8000, 1, target), target, size / 8000, truncated=size > limit)


def _read_other(path: Path, max_seconds: float, target: int) -> Pcm:
    try:
        seg = AudioSegment.from_file(str(path))
    except (CouldntDecodeError, IndexError, OSError) as exc:
        raise AudioError(f"{path.name}: not decodable audio ({exc.__class__.__name__})") from exc
    if not (seg.sample_width in (1, 2, 3, 4) and seg.channels > 0
            and 0 < seg.frame_rate <= MAX_RATE):  # pydub's own WAV reader takes any header
        raise AudioError(f"{path.name}: unsupported audio format")
    duration = seg.duration_seconds
    kept = seg[: int(max_seconds * 1000)]  # may end in a partial frame: _from_raw drops it
    return Pcm(_from_raw(kept.raw_data, kept.sample_width, kept.frame_rate, kept.channels,
                         target), target, duration, truncated=duration > max_seconds)


def load_pcm(path: Path | str, *, max_seconds: float = 120.0,
             target_rate: int = TARGET_RATE) -> Pcm:
    """Read a recording as mono 16-bit PCM at ``target_rate``; raise AudioError if unreadable."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path.name}: empty file")
    suffix = path.suffix.lower()
    try:
        if suffix in _SLN_RATES:
            return _read_sln(path, _SLN_RATES[suffix], max_seconds, target_rate)
        if suffix in _G711:
            return _read_g711(path, _G711[suffix], max_seconds, target_rate)
        if suffix in (".wav", ".wav16", ".wave"):
            try:
                return _read_wav(path, max_seconds, target_rate)
            except (wave.Error, EOFError) as exc:
                # Not PCM (e.g. G.711 inside WAV) or corrupt: let ffmpeg decide.
                try:
                    return _read_other(path, max_seconds, target_rate)
                except AudioError:
                    raise AudioError(f"{path.name}: broken WAV ({exc})") from exc
        return _read_other(path, max_seconds, target_rate)
    except (OSError, ValueError) as exc:
        raise AudioError(f"{path.name}: {exc}") from exc

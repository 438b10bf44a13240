"""Call recordings from Asterisk's spool into the hotline's own store, linked to the call.

MixMonitor (option ``D``) writes each answered conversation as interleaved 16-bit
8 kHz samples (``.raw``) into a folder Asterisk owns, and renames it ``.done`` once it
closed the file. The collector takes each finished file, writes it as a stereo WAV
(left: the agent, right: the citizen) into the hotline's own folder (owner-only; Asterisk
can add recordings but never read or delete the kept ones), converts it to MP3 or Opus
with ffmpeg when configured, links it in SQL, and only then removes Asterisk's copy.
The database away: the file waits in Asterisk's folder and the next round tries again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import time
import wave
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from case_store.recording_names import parse_name, stems_ready
from case_store.recordings import CallRecordings

log = logging.getLogger(__name__)

RATE = 8000
FORMATS = ("wav", "mp3", "opus")
STALE_S = 3600.0  # a .raw nobody closed for this long: Asterisk died mid-call; kept anyway
ROUND_LIMIT = 50  # files a round; the rest wait for the next
FFMPEG_TIMEOUT_S = 120
_CODECS = {"mp3": ("libmp3lame", ".mp3"), "opus": ("libopus", ".ogg")}


def stereo_wav(raw: bytes, citizen_first: bool) -> bytes:
    """Interleaved 16-bit little-endian samples (MixMonitor D: what the channel heard,
    what it sent) as a stereo WAV with the agent on the left and the citizen on the right.
    A trailing half frame is dropped."""
    samples = array("h")
    samples.frombytes(raw[:len(raw) // 4 * 4])
    if citizen_first:  # a callback's recording runs on the citizen's leg: swap
        left, right = samples[0::2], samples[1::2]
        samples = array("h", bytes(len(samples) * 2))
        samples[0::2], samples[1::2] = right, left
    import io

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return out.getvalue()


def ffmpeg_command(source: Path, target: Path, audio_format: str) -> list[str]:
    """ffmpeg turning the stereo WAV into MP3 or Opus (both channels kept)."""
    codec, _ = _CODECS[audio_format]
    return ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(source), "-ac", "2",
            "-c:a", codec, "-b:a", "32k", str(target)]


@dataclass(frozen=True)
class CollectorSettings:
    audio_format: str = "wav"
    stale_s: float = STALE_S

    @classmethod
    def from_config(cls, cfg) -> CollectorSettings:
        chosen = cfg.call_recording_format.strip().lower()
        if chosen not in FORMATS:
            log.warning("[call_recording] format %r unknown; WAV kept", chosen)
            chosen = "wav"
        if chosen != "wav" and shutil.which("ffmpeg") is None:
            log.warning("[call_recording] format %s needs ffmpeg, which is missing; WAV kept",
                        chosen)
            chosen = "wav"
        return cls(audio_format=chosen)


def _private_dirs(top: Path, folder: Path) -> None:
    """The store's folders are the hotline's alone, whatever the process umask."""
    for path in (top, folder):
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o700)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class RecordingCollector:
    """One ``run_once`` moves every finished recording from Asterisk's folder to the store."""

    def __init__(self, spool: Path, store_dir: Path, recordings: CallRecordings,
                 settings: CollectorSettings = CollectorSettings()) -> None:
        self.spool = spool  # Asterisk's folder, as this process sees it
        self.store_dir = store_dir  # the hotline's own
        self.recordings = recordings
        self.settings = settings

    def ready(self) -> list[str]:
        if not self.spool.is_dir():
            return []
        found = []
        for path in self.spool.iterdir():
            if path.suffix in (".raw", ".done"):
                try:
                    found.append((path.stem, path.suffix, path.stat().st_mtime))
                except FileNotFoundError:
                    continue
        return stems_ready(found, time.time(), self.settings.stale_s)[:ROUND_LIMIT]

    async def run_once(self) -> int:
        kept = 0
        for stem in await asyncio.to_thread(self.ready):
            try:
                kept += await asyncio.to_thread(self.collect, stem)
            except Exception:  # the database away, a full disk: the file waits its turn
                log.exception("call recording %s not kept yet", stem)
        return kept

    def collect(self, stem: str) -> int:
        """Keep one finished recording; 1 if kept, 0 if it was not ours (set aside)."""
        source = self._source(stem)
        if source is None:
            return 0
        name = parse_name(stem)
        if name is None:
            log.warning("call recording %s: not a name the dialplan gives; set aside", stem)
            source.rename(source.with_suffix(".bad"))
            return 0
        raw = source.read_bytes()
        ended = datetime.fromtimestamp(source.stat().st_mtime, UTC)
        duration_ms = len(raw) // 4 * 1000 // RATE
        relative = Path(ended.strftime("%Y-%m")) / f"{stem}.wav"
        target = self.store_dir / relative
        _private_dirs(self.store_dir, target.parent)
        tmp = target.with_suffix(".tmp")
        _write_private(tmp, stereo_wav(raw, citizen_first=name.callback_id is not None))
        tmp.replace(target)
        relative, target = self._convert(relative, target)
        self.recordings.link(name, str(relative), self.settings.audio_format,
                             datetime.fromtimestamp(ended.timestamp() - duration_ms / 1000, UTC),
                             duration_ms, target.stat().st_size)
        source.unlink(missing_ok=True)
        log.info("call recording %s kept (%d ms)", stem, duration_ms)
        return 1

    def _source(self, stem: str) -> Path | None:
        for suffix in (".done", ".raw"):
            path = self.spool / f"{stem}{suffix}"
            if path.exists():
                return path
        return None

    def _convert(self, relative: Path, wav: Path) -> tuple[Path, Path]:
        if self.settings.audio_format == "wav":
            return relative, wav
        _, ext = _CODECS[self.settings.audio_format]
        target = wav.with_suffix(ext)
        result = subprocess.run(ffmpeg_command(wav, target, self.settings.audio_format),
                                capture_output=True, text=True, timeout=FFMPEG_TIMEOUT_S)
        if result.returncode != 0:
            raise RuntimeError(f"ffmpeg: {result.stderr.strip()[-300:]}")
        os.chmod(target, 0o600)
        wav.unlink()
        return relative.with_suffix(ext), target

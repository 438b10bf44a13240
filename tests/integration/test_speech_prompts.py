"""Mandarin prompts made with espeak-ng, in Asterisk's format, recordings kept."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from case_store.tagging import load_catalog
from ivr.prompts import ensure_prompts

pytestmark = pytest.mark.integration


def test_prompts_are_8k_mono_wav_with_one_readback_per_topic(tmp_path: Path) -> None:
    prompts = ensure_prompts(tmp_path)
    for name in ("greeting", "seats_busy", "record_after_tone", "thanks_goodbye"):
        assert name in prompts
    assert {f"readback_{c}" for c in load_catalog().topics} <= set(prompts)
    with wave.open(str(prompts["readback_drain"])) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getnframes() > 8000  # more than a second of speech


def test_recorded_replacement_is_kept_and_generated_files_are_restored(tmp_path: Path) -> None:
    first = ensure_prompts(tmp_path)
    recorded = b"RIFF-recorded-by-a-human"
    first["greeting"].write_bytes(recorded)
    first["thanks_goodbye"].unlink()
    again = ensure_prompts(tmp_path)
    assert again["greeting"].read_bytes() == recorded
    assert again["thanks_goodbye"].exists()
    assert ensure_prompts(tmp_path)["greeting"].read_bytes() == recorded

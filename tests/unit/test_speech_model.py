"""Which language a vosk model speaks, refusing one that does not speak the callers',
and `hotline speech install-model` unpacking only what is a model. Tiny fake model
folders (the files vosk looks for), no recognition."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from hotline.cli import main
from ivr.speech import WrongLanguage, open_recognizer, suitable_model
from ivr.speech_model import ModelError, ModelInfo, install, installed, mismatch, model_language


def fake_model(root: Path, readme: str = "") -> Path:
    (root / "am").mkdir(parents=True)
    (root / "am" / "final.mdl").write_bytes(b"\0" * 16)
    (root / "conf").mkdir()
    (root / "conf" / "mfcc.conf").write_text("--sample-frequency=16000\n")
    if readme:
        (root / "README").write_text(readme)
    return root


def fake_zip(path: Path, folder: str, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{folder}/am/final.mdl", b"\0" * 16)
        zf.writestr(f"{folder}/conf/mfcc.conf", "--sample-frequency=16000\n")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("name, readme, language", [
    ("vosk-model-small-cn-0.22", "", "zh"),
    ("vosk-model-cn-kaldi-multicn-0.15", "", "zh"),
    ("vosk-model-en-us-0.22", "", "en"),
    ("vosk-model-small-ko-0.22", "", "ko"),
    ("my-model", "Chinese Mandarin model for mobile Vosk applications", "zh"),
    ("my-model", "Small Korean for Vosk (Android, RPi, other small devices)", "ko"),
    ("my-model", "", ""),
])
def test_the_language_comes_from_the_folder_name_else_the_readme(tmp_path, name, readme,
                                                                 language):
    assert model_language(fake_model(tmp_path / name, readme)) == language


def test_the_packaged_test_model_is_korean_and_config_overrides_detection():
    packaged = suitable_model(allow_other_language=True)
    assert model_language(packaged) == "ko"
    assert model_language(packaged, configured="zh") == "zh"


def test_another_language_is_refused_with_how_to_install_a_chinese_model(tmp_path):
    why = mismatch(ModelInfo(tmp_path, "ko"), "zh")
    assert "Korean" in why and "install-model" in why and "vosk-model-small-cn" in why
    assert mismatch(ModelInfo(tmp_path, "zh"), "zh") == ""
    assert "vosk.language" in mismatch(ModelInfo(tmp_path, ""), "zh")  # unknown: refused
    with pytest.raises(WrongLanguage, match="Korean"):
        suitable_model()  # the packaged Korean model, for Mandarin callers


def test_the_hotline_warns_once_and_runs_without_a_recognizer(tmp_path, caplog):
    cfg = SimpleNamespace(vosk_model="", vosk_language="", language="zh",
                          vosk_allow_other_language=False, speech_models_dir=tmp_path)
    with caplog.at_level(logging.WARNING, logger="ivr.speech"):
        assert open_recognizer(cfg) is None
    [warning] = caplog.records
    assert "Korean" in warning.getMessage() and "install-model" in warning.getMessage()
    assert open_recognizer(SimpleNamespace(**{**vars(cfg), "language": "ko"})) is not None


def test_an_installed_zip_becomes_the_active_model_and_is_used(tmp_path):
    models = tmp_path / "models"
    info = install(fake_zip(tmp_path / "vosk-model-small-cn-0.22.zip",
                            "vosk-model-small-cn-0.22"), models)
    assert info.language == "zh" and info.path == models / "vosk-model-small-cn-0.22"
    assert installed(models) == info.path
    assert suitable_model(models_dir=models) == info.path  # Chinese: no mismatch


def test_a_folder_is_copied_in(tmp_path):
    info = install(fake_model(tmp_path / "vosk-model-small-cn-0.22"), tmp_path / "models")
    assert (info.path / "am" / "final.mdl").is_file() and info.language == "zh"


@pytest.mark.parametrize("extra, message", [
    ({"../../evil.txt": b"x"}, "outside"),
    ({"/etc/evil": b"x"}, "outside"),
])
def test_an_archive_reaching_outside_is_refused_and_nothing_lands(tmp_path, extra, message):
    archive = fake_zip(tmp_path / "m.zip", "vosk-model-small-cn-0.22", extra)
    with pytest.raises(ModelError, match=message):
        install(archive, tmp_path / "models")
    assert not (tmp_path / "evil.txt").exists() and installed(tmp_path / "models") is None
    assert [p.name for p in (tmp_path / "models").iterdir()] == []


def test_what_is_not_a_model_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as zf:
        zf.writestr("holiday/1.jpg", b"\xff\xd8")
    with pytest.raises(ModelError, match="no vosk model"):
        install(tmp_path / "photos.zip", tmp_path / "models")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ModelError, match="neither"):
        install(tmp_path / "notes.txt", tmp_path / "models")


def test_the_command_refuses_a_broken_model_it_cannot_load(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("HOTLINE_VOSK_MODEL", raising=False)
    archive = fake_zip(tmp_path / "vosk-model-small-cn-0.22.zip", "vosk-model-small-cn-0.22")
    assert main(["speech", "install-model", str(archive)]) == 1  # 16 zero bytes: no model
    assert "cannot load" in capsys.readouterr().err
    assert main(["speech", "install-model", str(tmp_path / "missing.zip")]) == 2

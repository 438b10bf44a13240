"""`hotline speech install-model PATH|ZIP`: unpack and check a vosk model, and make it
the one `hotline run` uses when the config names none."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hotline.config import load_config


def _install_model(args: argparse.Namespace) -> int:
    from ivr.speech import load_model
    from ivr.speech_model import ModelError, install, language_name, mismatch

    cfg = load_config(args.config)
    source = Path(args.source).expanduser()
    if not source.exists():
        print(f"hotline speech install-model: {source} does not exist", file=sys.stderr)
        return 2
    try:
        model = install(source, cfg.speech_models_dir)
    except (ModelError, OSError) as exc:
        print(f"hotline speech install-model: {exc}", file=sys.stderr)
        return 2
    try:
        load_model(model.path)  # vosk reads it through: a broken model fails here, not on a call
    except Exception as exc:
        print(f"hotline speech install-model: vosk cannot load {model.path}: {exc}",
              file=sys.stderr)
        return 1
    why = mismatch(model, cfg.language)
    print(json.dumps({"model": str(model.path), "language": model.language,
                      "active": not cfg.vosk_model, "suits_callers": not why},
                     ensure_ascii=False))
    if cfg.vosk_model:
        print(f"note: the config names vosk.model = {cfg.vosk_model}, which stays in use; "
              f"remove it to use this one", file=sys.stderr)
    if why:
        print(f"warning: {why}", file=sys.stderr)
    else:
        print(f"installed a {language_name(model.language)} model: `hotline run` uses it",
              file=sys.stderr)
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    speech = subparsers.add_parser("speech", help="the speech-recognition model")
    sub = speech.add_subparsers(dest="speech_cmd", required=True)
    inst = sub.add_parser("install-model",
                          help="unpack (a .zip) or copy (a folder) a vosk model and use it")
    inst.add_argument("source", help="e.g. vosk-model-small-cn-0.22.zip or its folder")
    inst.set_defaults(handler=_install_model)

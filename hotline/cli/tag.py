"""`hotline tag` and `hotline transcribe`: the tagger and the recogniser from a shell.

``add_commands(subparsers)`` registers both; ``hotline.cli`` wires it in.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

from hotline.config import ConfigError, load_config

_HEADER_COLUMNS = {"text", "kind", "topic", "request", "content"}


def request_texts(lines: Iterable[str]) -> Iterator[str]:
    """Request texts from plain lines or TSV (kind<TAB>topic<TAB>text, header allowed)."""
    text_col: int | None = None
    first = True
    for raw in lines:
        line = raw.rstrip("\r\n")
        cols = line.split("\t")
        if first:
            first = False
            names = [c.strip().lower() for c in cols]
            if len(cols) > 1 and _HEADER_COLUMNS & set(names):
                text_col = names.index("text") if "text" in names else len(cols) - 1
                continue
        if not line.strip():
            continue
        if text_col is not None and text_col < len(cols):
            yield cols[text_col]
        elif len(cols) == 3:
            yield cols[2]
        else:
            yield line


def run_tag(stdin: TextIO, stdout: TextIO) -> int:
    """Tag every request on ``stdin``; one JSON object per line on ``stdout``."""
    from case_store.tagging import default_tagger

    tagger = default_tagger()
    for text in request_texts(stdin):
        result = tagger.tag(text)
        stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    return 0


def _tag(args: argparse.Namespace) -> int:
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="strict")
    try:
        return run_tag(stdin, sys.stdout)
    except UnicodeDecodeError as exc:
        print(f"hotline tag: input is not valid UTF-8 (byte {exc.start}): {exc.reason}",
              file=sys.stderr)
        return 2


def _transcribe(args: argparse.Namespace) -> int:
    from ivr.speech import (
        UNREADABLE,
        WRONG_LANGUAGE,
        ModelNotFound,
        WrongLanguage,
        configured_model,
        load_model,
        transcribe_file,
    )

    try:
        model_path = configured_model(load_config(args.config))
        load_model(model_path)
    except WrongLanguage as exc:  # a status, not a transcript in another language
        print(json.dumps({"file": args.file, "status": WRONG_LANGUAGE, "text": "",
                          "reason": str(exc)}, ensure_ascii=False))
        print(f"hotline transcribe: {exc}", file=sys.stderr)
        return 1
    except (ConfigError, ModelNotFound) as exc:
        print(f"hotline transcribe: {exc}", file=sys.stderr)
        return 2
    result = transcribe_file(args.file, model_path, max_seconds=args.max_seconds)
    print(json.dumps({"file": args.file, **result.to_dict()}, ensure_ascii=False))
    if result.status == UNREADABLE:
        print(f"hotline transcribe: cannot read {args.file}: {result.reason}", file=sys.stderr)
        return 1
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `tag` and `transcribe` on the CLI's subparsers."""
    tag = subparsers.add_parser(
        "tag", help="tag requests read from stdin (one per line, or kind/topic/text TSV)")
    tag.set_defaults(handler=_tag)
    tr = subparsers.add_parser("transcribe", help="transcribe a recording (WAV or .sln) to JSON")
    tr.add_argument("file", help="recording: .wav, .sln/.sln16, .ulaw/.alaw")
    tr.add_argument("--max-seconds", type=float, default=120.0,
                    help="recognise at most this much audio (default 120)")
    tr.set_defaults(handler=_transcribe)

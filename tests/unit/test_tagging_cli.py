"""`hotline tag`: JSON lines out, TSV or plain lines in, clean failure on bad bytes."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys

from hotline.cli.tag import add_commands as add_tag_commands
from hotline.cli.tag import request_texts, run_tag

_RUNNER = """
import argparse, sys
from hotline.cli.tag import add_commands as add_tag_commands
p = argparse.ArgumentParser(); p.add_argument("--config")
add_tag_commands(p.add_subparsers(dest="cmd", required=True))
a = p.parse_args(sys.argv[1:]); sys.exit(a.handler(a))
"""


def _cli(args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-c", _RUNNER, *args], input=stdin,
                          capture_output=True, timeout=120)


def test_request_texts_accepts_plain_lines_and_tsv_with_header() -> None:
    assert list(request_texts(["我家停水了\n", "\n", "路灯坏了\n"])) == ["我家停水了", "路灯坏了"]
    tsv = ["kind\ttopic\ttext\n", "life\tdrain\t马桶堵了\n"]
    assert list(request_texts(tsv)) == ["马桶堵了"]
    assert list(request_texts(["life\tdrain\t马桶堵了\n"])) == ["马桶堵了"]


def test_run_tag_writes_one_json_object_per_request() -> None:
    out = io.StringIO()
    run_tag(io.StringIO("马桶堵了 电话一三八零五七九一二三四五\n楼上漏水\n"), out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["topic"] for r in rows] == ["drain", "house_leak"]
    assert rows[0]["phone"] == "13805791234"
    assert {"text", "kind", "topic", "confidence", "evidence", "place", "phone"} <= set(rows[0])


def test_tag_command_end_to_end_and_invalid_utf8() -> None:
    ok = _cli(["tag"], "路灯坏了一个月了\n".encode())
    assert ok.returncode == 0
    assert json.loads(ok.stdout)["topic"] == "street_light"
    bad = _cli(["tag"], b"\xff\xfe\x00broken\n")
    assert bad.returncode != 0
    assert b"UTF-8" in bad.stderr


def test_commands_are_registered() -> None:
    parser = argparse.ArgumentParser()
    add_tag_commands(parser.add_subparsers(dest="cmd"))
    args = parser.parse_args(["transcribe", "x.wav"])
    assert args.file == "x.wav" and callable(args.handler)
    assert callable(parser.parse_args(["tag"]).handler)

"""`hotline case deadline` needs no database and says when a calendar is provisional."""

from __future__ import annotations

import argparse

import pytest

from hotline.cli.case import add_commands as add_case_commands


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hotline")
    parser.add_argument("--config")
    add_case_commands(parser.add_subparsers(dest="cmd", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


def test_deadline_prints_shanghai_iso_time(capsys):
    assert run(["case", "deadline", "--kind", "affairs", "--at", "2025-09-30T10:00:00+08:00"]) == 0
    assert capsys.readouterr().out.strip() == "2025-10-14T10:00:00+08:00"


def test_deadline_marks_provisional_years(capsys):
    assert run(["case", "deadline", "--kind", "consult", "--at", "2026-12-31T08:00:00Z"]) == 0
    assert capsys.readouterr().out.strip() == "2027-01-04T16:00:00+08:00 provisional"


@pytest.mark.parametrize("at", ["not-a-time", "2101-01-03T10:00:00+08:00"])
def test_deadline_bad_input_is_a_clear_nonzero_exit(capsys, at):
    assert run(["case", "deadline", "--kind", "affairs", "--at", at]) == 2
    assert "hotline case" in capsys.readouterr().err


def test_deadline_rejects_unknown_kinds():
    with pytest.raises(SystemExit):
        run(["case", "deadline", "--kind", "gossip", "--at", "2025-09-30T10:00:00"])

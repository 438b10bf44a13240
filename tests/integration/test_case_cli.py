"""`hotline case show|list|reassign` against a real database chosen by the config."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

import pytest

from case_store.store import CaseStore
from case_store.workdays import SHANGHAI
from hotline.case_cli import add_case_commands

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    store = CaseStore(url, clock=lambda: datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI))
    store.setup()
    case = store.route(store.create_case(channel="sms", caller="13800000031", text="路灯坏了",
                                         kind="affairs", topic="street_light").number)
    store.close()

    def run(*argv: str) -> int:
        parser = argparse.ArgumentParser()
        parser.add_argument("--config")
        add_case_commands(parser.add_subparsers(dest="cmd"))
        args = parser.parse_args(list(argv))
        return args.handler(args)

    return run, case.number


def test_show_list_and_reassign(cli, capsys):
    run, number = cli
    assert run("case", "show", number) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["owner"] == "city_management"
    assert [e["action"] for e in shown["events"]] == ["create", "assign"]
    assert run("case", "list", "--overdue") == 0  # real now is long after 2025-10-14
    assert number in capsys.readouterr().out
    assert run("case", "reassign", number, "--to", "parks") == 0
    assert "parks" in capsys.readouterr().out


def test_unknown_case_and_department_are_clear_errors(cli, capsys):
    run, number = cli
    assert run("case", "show", "999") == 1
    assert "no case numbered" in capsys.readouterr().err
    assert run("case", "reassign", number, "--to", "nowhere") == 2
    assert "unknown department" in capsys.readouterr().err

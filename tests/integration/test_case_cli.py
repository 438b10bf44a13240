"""`hotline case show|list|reassign` against a real database chosen by the config."""

from __future__ import annotations

import argparse
import json
import os

import pytest

from case_store.store import CaseStore
from hotline.cli.case import add_commands as add_case_commands
from tests.cli_support import cli_store

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(tmp_path, monkeypatch):
    _, store = cli_store(tmp_path, monkeypatch)
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


def test_companies_show_their_standing_and_a_refused_lift_is_explained(cli, capsys):
    run, _ = cli
    assert run("case", "companies", "--trade", "locksmith") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[:3] == ["code", "trade", "standing"]  # the header
    assert lines[1].split("\t")[:3] == ["locksmith_jindong", "locksmith", "active"]
    assert len(lines) == 4
    assert run("case", "company", "locksmith_wucheng") == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["standing"], shown["log"], shown["figures"]["penalty"]) == ("active", [], None)
    assert run("case", "company", "locksmith_wucheng", "--lift", "--reason", "x") == 2
    assert "only a yellow card" in capsys.readouterr().err
    assert run("case", "company", "nobody") == 2
    assert "unknown company" in capsys.readouterr().err


def test_an_agent_lists_handed_over_visits_and_records_one(cli, capsys):
    run, number = cli
    store = CaseStore(os.environ["HOTLINE_DATABASE_URL"])
    try:
        store.transition(number, "accept", "city_management")
        store.transition(number, "reply", "city_management", reply="已修复")
        store.transition(number, "note", "followup", followup="handed_over")
    finally:
        store.close()
    assert run("case", "visits") == 0
    header, line = capsys.readouterr().out.strip().splitlines()
    assert header.startswith("number\tcaller\t")
    assert line.split("\t")[:4] == [number, "13800000031", "department", "city_management"]
    with pytest.raises(SystemExit):
        run("case", "visit", number, "--answer", "5", "--actor", "agent-8001")
    assert run("case", "visit", number, "--answer", "1", "--actor", "agent-8001") == 0
    assert capsys.readouterr().out.split("\t")[:2] == [number, "closed"]
    assert run("case", "visits") == 0
    assert capsys.readouterr().out.splitlines()[1:] == []  # the header alone
    assert run("case", "visit", number, "--answer", "1", "--actor", "agent-8001") == 2
    assert "no follow-up waiting" in capsys.readouterr().err

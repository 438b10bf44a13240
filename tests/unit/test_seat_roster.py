"""Seats as data: the roster's rules (numbers, collisions, all-or-nothing imports), which
seats a hotline has (the table once it lists any, else the configured range), and the
`hotline seat` commands. A throwaway SQLite store; no Asterisk, no Redis."""

from __future__ import annotations

import json

import pytest

from case_store.db import migrate
from case_store.elderly import ElderlyRegistry
from case_store.errors import InvalidSeatError, SeatNotFoundError
from hotline.asterisk import asterisk_values
from hotline.cli import main
from hotline.cli.seat import SEAT_COLUMNS
from hotline.config import load_config
from hotline.seats import seat_numbers, seat_roster
from tests.cli_support import cli_store


@pytest.fixture
def cfg(tmp_path):
    return load_config(env={"HOTLINE_STATE_DIR": str(tmp_path / "state"),
                            "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'seats.sqlite'}"})


@pytest.fixture
def roster(cfg):
    migrate(cfg.effective_database_url)
    return seat_roster(cfg)


@pytest.mark.parametrize("number", ["8", "123456789", "80a1", "８１５０", "81 50", "", "-815"])
def test_a_seat_number_is_two_to_eight_ascii_digits(roster, number):
    with pytest.raises(InvalidSeatError, match="2 to 8 digits"):
        roster.add(number)
    assert roster.list_seats() == []


@pytest.mark.parametrize(("number", "what"), [
    ("9001", "a configured elderly terminal"), ("88900000", "the hotline number"),
    ("88900009", "the case progress number")])
def test_numbers_something_else_answers_to_are_refused(roster, number, what):
    with pytest.raises(InvalidSeatError, match=f"{number} is {what}"):
        roster.add(number)


def test_a_registered_elderly_terminal_is_no_seat(cfg, roster):
    ElderlyRegistry(cfg.effective_database_url).upsert("66123", name="张桂英")
    with pytest.raises(InvalidSeatError, match="66123 is a registered elderly terminal"):
        roster.add("66123")


def test_add_list_disable_remove(roster):
    roster.add("8150", "张三", "yiwu")
    roster.add("12", "")
    with pytest.raises(InvalidSeatError, match="8150 exists already"):
        roster.add("8150")
    roster.set_enabled("8150", False)
    seats = roster.list_seats()
    assert [(s.number, s.name, s.site, s.enabled) for s in seats] == [
        ("12", "", None, True), ("8150", "张三", "yiwu", False)]  # in numeric order
    assert roster.enabled_numbers() == ["12"]
    roster.remove("12")
    with pytest.raises(SeatNotFoundError):
        roster.remove("12")
    assert [s.number for s in roster.list_seats()] == ["8150"]


def test_an_import_with_one_bad_row_imports_nothing_and_names_each(roster, tmp_path):
    sheet = tmp_path / "seats.csv"
    sheet.write_text("number,name,site\n8201,王五,\nx1,bad,\n8201,twice,\n9002,terminal,\n")
    with pytest.raises(InvalidSeatError) as refused:
        roster.import_csv(sheet)
    message = str(refused.value)
    assert "line 3" in message and "line 4" in message and "9002" in message
    assert roster.list_seats() == []


def test_an_import_adds_and_updates(roster, tmp_path):
    roster.add("8201", "old name")
    sheet = tmp_path / "seats.csv"
    sheet.write_text("8201,王五,jindong\n8202,赵六,\n")  # no header
    assert [s.number for s in roster.import_csv(sheet)] == ["8201", "8202"]
    assert [(s.number, s.name, s.site) for s in roster.list_seats()] == [
        ("8201", "王五", "jindong"), ("8202", "赵六", None)]


def test_the_configured_range_serves_until_the_table_lists_a_seat(cfg, roster):
    assert seat_numbers(cfg) == cfg.seats  # migrated, empty table
    roster.add("8150")
    roster.add("8001")
    assert seat_numbers(cfg) == ["8001", "8150"]
    roster.set_enabled("8001", False)
    roster.set_enabled("8150", False)
    assert seat_numbers(cfg) == []  # listed seats, none enabled: not the range again
    roster.remove("8001")
    roster.remove("8150")
    assert seat_numbers(cfg) == cfg.seats


def test_a_database_never_migrated_means_the_configured_range(cfg):
    assert seat_numbers(cfg) == cfg.seats


def test_the_table_s_seats_are_rendered_as_pjsip_endpoints(cfg, roster):
    roster.add("8150")
    roster.add("123")
    seats = [p.extension for p in asterisk_values(cfg).phones if not p.terminal]
    assert seats == ["123", "8150"]  # in numeric order
    assert "8001" not in seats
    password = {p.extension: p.password for p in asterisk_values(cfg).phones}
    assert password["8150"] == cfg.seat_password("8150") != cfg.seat_password("123")


def test_seat_commands(tmp_path, monkeypatch, capsys):
    _url, store = cli_store(tmp_path, monkeypatch)
    store.close()
    assert main(["seat", "add", "8150", "--name", "张三", "--site", "yiwu"]) == 0
    added = json.loads(capsys.readouterr().out)
    assert added["seat"]["number"] == "8150" and "hotline asterisk up" in added["note"]
    assert main(["seat", "add", "9001"]) == 1
    assert "9001 is a configured elderly terminal" in capsys.readouterr().err
    (tmp_path / "more.csv").write_text("number,name,site\n8151,李四,\n")
    assert main(["seat", "import", str(tmp_path / "more.csv")]) == 0
    assert json.loads(capsys.readouterr().out)["imported"] == 1
    assert main(["seat", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "\t".join(SEAT_COLUMNS)
    assert [line.split("\t")[:4] for line in lines[1:]] == [
        ["8150", "张三", "yiwu", "yes"], ["8151", "李四", "-", "yes"]]
    assert main(["seat", "remove", "8151"]) == 0
    capsys.readouterr()
    assert main(["seat", "list", "--json"]) == 0
    assert [s["number"] for s in json.loads(capsys.readouterr().out)] == ["8150"]
    assert main(["seat", "remove", "8151"]) == 1
    assert "no seat '8151'" in capsys.readouterr().err

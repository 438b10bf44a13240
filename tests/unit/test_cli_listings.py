"""The listing commands print TSV with a header line or, with --json, one JSON list;
`hotline --version` says the installed version. A temporary SQLite store, no Asterisk."""

from __future__ import annotations

import json
from datetime import datetime
from importlib.metadata import version

import pytest

from case_store.accounts import AccountStore
from case_store.errors import CaseStoreError
from hotline.cli import DISTRIBUTION, main
from hotline.cli.case import CASE_COLUMNS, COMPANY_COLUMNS, VISIT_COLUMNS
from hotline.cli.user import USER_COLUMNS
from tests.cli_support import cli_store

CALLER = "13800000031"


@pytest.fixture
def store_url(tmp_path, monkeypatch):
    """A store with one case handed to an agent's visit, one still open, and two users."""
    url, store = cli_store(tmp_path, monkeypatch)
    try:
        visited = store.route(store.create_case(channel="sms", caller=CALLER, text="路灯坏了",
                                                kind="affairs", topic="street_light").number)
        store.transition(visited.number, "accept", "city_management")
        store.transition(visited.number, "reply", "city_management", reply="已修复")
        store.transition(visited.number, "note", "followup", followup="handed_over")
        open_ = store.route(store.create_case(channel="sms", caller="13800000032",
                                              text="路灯不亮", kind="affairs",
                                              topic="street_light").number)
        accounts = AccountStore(store.engine)
        accounts.add_user("agent1", "agent", "pw-agent-1-long", seat="8001")
        accounts.add_user("dept1", "department", "pw-dept-1-long", dept="city_management")
    finally:
        store.close()
    return {"url": url, "visited": visited.number, "open": open_.number}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tsv(out: str) -> tuple[list[str], list[list[str]]]:
    lines = out.splitlines()
    return lines[0].split("\t"), [line.split("\t") for line in lines[1:]]


def test_version_is_the_installed_distributions(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"hotline {version(DISTRIBUTION)}"


def test_case_list_tsv_has_a_header_and_json_the_same_rows(store_url, capsys):
    code, out, err = run(capsys, "case", "list")
    assert (code, err) == (0, "")
    header, rows = tsv(out)
    assert header == list(CASE_COLUMNS) == ["number", "status", "kind", "owner", "due_at"]
    by_number = {r[0]: r for r in rows}
    assert by_number[store_url["open"]][1:4] == ["assigned", "affairs", "city_management"]
    code, out, _ = run(capsys, "case", "list", "--json")
    assert code == 0
    cases = {c["number"]: c for c in json.loads(out)}
    assert set(cases) == set(by_number)
    shown = cases[store_url["open"]]
    assert list(shown) == list(CASE_COLUMNS)
    assert (shown["status"], shown["owner"]) == ("assigned", "city_management")
    assert datetime.fromisoformat(shown["due_at"]).utcoffset() is not None
    assert shown["due_at"] == by_number[store_url["open"]][4]
    # no citizen's phone number where the plain listing shows none
    assert "13800000032" not in out


def test_case_list_filters_apply_to_both_outputs(store_url, capsys):
    code, out, _ = run(capsys, "case", "list", "--owner", "parks")
    assert (code, out) == (0, "\t".join(CASE_COLUMNS) + "\n")
    code, out, _ = run(capsys, "case", "list", "--owner", "parks", "--json")
    assert (code, json.loads(out)) == (0, [])


def test_case_companies_tsv_and_json(store_url, capsys):
    code, out, _ = run(capsys, "case", "companies", "--trade", "locksmith")
    assert code == 0
    header, rows = tsv(out)
    assert header == list(COMPANY_COLUMNS)
    assert len(rows) == 3
    assert rows[0][:4] == ["locksmith_jindong", "locksmith", "active", "-"]
    assert float(rows[0][4]) > 0
    code, out, _ = run(capsys, "case", "companies", "--trade", "locksmith", "--json")
    assert code == 0
    companies = json.loads(out)
    assert [c["code"] for c in companies] == [r[0] for r in rows]
    first = companies[0]
    assert list(first) == list(COMPANY_COLUMNS)
    assert (first["standing"], first["suspended_until"]) == ("active", None)
    assert isinstance(first["rating"], float) and f"{first['rating']:.1f}" == rows[0][4]


def test_case_visits_tsv_and_json(store_url, capsys):
    number = store_url["visited"]
    code, out, _ = run(capsys, "case", "visits")
    assert code == 0
    header, rows = tsv(out)
    assert header == list(VISIT_COLUMNS)
    assert [r[:4] for r in rows] == [[number, CALLER, "department", "city_management"]]
    code, out, _ = run(capsys, "case", "visits", "--json")
    assert code == 0
    visits = json.loads(out)
    assert [list(v) for v in visits] == [list(VISIT_COLUMNS)]
    assert visits[0]["number"] == number and visits[0]["caller"] == CALLER
    assert datetime.fromisoformat(visits[0]["handed_over_at"]).isoformat() == rows[0][4]


def test_user_list_tsv_and_json(store_url, capsys):
    code, out, _ = run(capsys, "user", "list")
    assert code == 0
    header, rows = tsv(out)
    assert header == list(USER_COLUMNS) == ["name", "role", "seat", "dept", "company",
                                            "state"]
    assert ["agent1", "agent", "8001", "-", "-", "active"] in rows
    assert ["dept1", "department", "-", "city_management", "-", "active"] in rows
    code, out, _ = run(capsys, "user", "list", "--json")
    assert code == 0
    users = {u["name"]: u for u in json.loads(out)}
    assert users["agent1"] == {"name": "agent1", "role": "agent", "seat": "8001",
                               "dept": None, "company": None, "state": "active"}
    assert users["dept1"]["dept"] == "city_management"
    assert "pw-" not in out and "hash" not in out


def test_user_delete_retires_whom_history_names_and_deletes_the_others(store_url, capsys):
    from case_store.store import CaseStore

    store = CaseStore(store_url["url"])
    accounts = AccountStore(store.engine)
    try:
        accounts.add_user("agent_2", "agent", "pw-agent-2-long", seat="8002")
        accounts.add_user("agent_", "agent", "pw-agent-x-long", seat="8003")
        store.transition(store_url["open"], "note", "agent:agent1", note="市民补充了地址")
        stamps = {u.name: accounts.session_stamp(u.id) for u in accounts.list_users()}
        ids = {u.name: u.id for u in accounts.list_users()}
    finally:
        store.close()
    assert all(stamps.values())

    code, out, _ = run(capsys, "user", "delete", "agent1")  # named by a case's log
    assert code == 0 and json.loads(out) == {"user": "agent1", "outcome": "retired",
                                             "history_references": 1}
    # "agent_" is no LIKE pattern: agent1's and agent_2's history is not agent_'s
    code, out, _ = run(capsys, "user", "delete", "agent_")
    assert code == 0 and json.loads(out)["outcome"] == "deleted"
    code, out, err = run(capsys, "user", "delete", "nobody")
    assert code == 1 and "no user 'nobody'" in err

    code, out, _ = run(capsys, "user", "list", "--json")
    users = {u["name"]: u for u in json.loads(out)}
    assert "agent_" not in users and users["agent_2"]["state"] == "active"
    assert users["agent1"] == {"name": "agent1", "role": "agent", "seat": None, "dept": None,
                               "company": None, "state": "retired"}  # seat 8001 is free
    accounts = AccountStore(store_url["url"])
    assert accounts.session_stamp(ids["agent1"]) is None  # open sessions end
    assert accounts.session_stamp(ids["agent_"]) is None
    assert accounts.session_stamp(ids["agent_2"]) == stamps["agent_2"]
    assert accounts.authenticate("agent1", "pw-agent-1-long") is None
    with pytest.raises(CaseStoreError, match="removed"):
        accounts.set_password("agent1", "a-new-password-1")
    with pytest.raises(CaseStoreError, match="already exists"):  # never someone else's name
        accounts.add_user("agent1", "agent", "pw-agent-9-long", seat="8009")
    accounts.add_user("agent_", "agent", "pw-agent-y-long", seat="8003")  # free again


def test_a_usage_error_exits_2_on_stderr(store_url, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["case", "list", "--jsn"])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "unrecognized arguments" in captured.err


def test_an_api_key_is_listed_by_id_without_the_key_and_revoked_by_that_id(store_url, capsys):
    code, out, _ = run(capsys, "apikey", "add", "portal", "--scope", "open311")
    assert code == 0
    added = json.loads(out)
    assert added["key"] and isinstance(added["id"], int)
    code, out, _ = run(capsys, "apikey", "list", "--json")
    keys = json.loads(out)
    assert [(k["id"], k["label"], k["scope"], k["revoked_at"]) for k in keys] == [
        (added["id"], "portal", "open311", None)]
    assert added["key"] not in out
    assert run(capsys, "apikey", "revoke", str(added["id"]))[0] == 0
    header, rows = tsv(run(capsys, "apikey", "list")[1])
    assert header == ["id", "label", "scope", "created_at", "revoked_at"]
    assert rows[0][0] == str(added["id"]) and rows[0][4] != "-"
    code, _, err = run(capsys, "apikey", "add")
    assert code == 1 and "label" in err


@pytest.mark.parametrize("scope", ["acd:read", "acd:write", "cases:read", "cases:write"])
def test_machine_api_keys_get_their_scope(store_url, capsys, scope):
    code, out, _ = run(capsys, "apikey", "add", "cti", "--scope", scope)
    assert code == 0
    key = json.loads(out)["key"]
    found = AccountStore(store_url["url"]).find_api_key(key)
    assert (found.label, found.scope) == ("cti", scope)
    assert AccountStore(store_url["url"]).check_api_key(key, "open311") is None


def test_an_unknown_scope_is_refused_with_the_valid_ones(store_url, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["apikey", "add", "cti", "--scope", "acd:admin"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "acd:admin" in err and "acd:write" in err and "open311" in err

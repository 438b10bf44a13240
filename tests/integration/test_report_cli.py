"""`hotline report departments` on a month seeded through the real store (SQLite and
PostgreSQL): the JSON says what the hand count in report_support says, and the table is
readable."""
# ruff: noqa: F811  (pytest fixtures imported from case_support are re-bound as arguments)

from __future__ import annotations

import json

import pytest

from case_store.store import CaseStore
from hotline.cli import main
from tests.integration.case_support import case_db  # noqa: F401
from tests.integration.report_support import EXPECTED, EXPECTED_CITY, seed_month

pytestmark = pytest.mark.integration


@pytest.fixture
def seeded(case_db, tmp_path, monkeypatch):
    url = case_db
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    store = CaseStore(url)
    store.setup()
    numbers = seed_month(store)
    store.close()
    return numbers


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_the_json_of_a_seeded_month_matches_the_hand_count(seeded, capsys):
    assert main(["report", "departments", "--month", "2026-11", "--json"]) == 0
    report = last_json(capsys.readouterr().out)
    cards = {d["code"]: d for d in report["departments"]}
    assert set(cards) == set(EXPECTED)
    for code, figures in EXPECTED.items():
        assert {k: cards[code][k] for k in figures} == figures, code
    assert {k: report["city"][k] for k in EXPECTED_CITY} == EXPECTED_CITY
    # D was due 11-09 09:00 and still unaccepted when November ended: 21 days 15 hours
    assert cards["city_management"]["overdue"] == [
        {"number": seeded["D"], "status": "assigned", "due_at": "2026-11-09T09:00:00+08:00",
         "overdue_hours": 519}]
    assert [r["code"] for r in report["ranking"]] == [
        "city_management", "wucheng_city_management", "parks"]
    regions = {r["code"]: r for r in report["regions"]}
    assert regions["city"]["departments"] == ["city_management", "parks"]
    assert regions["city"]["assigned"] == 4 and regions["wucheng"]["name"] == "婺城区"
    assert report["companies"][0]["code"] == "plumbing_wucheng"
    assert report["companies"][0]["satisfaction_rate"] == 1.0


def test_a_range_of_days_counts_only_those_days(seeded, capsys):
    # 11-02 alone: five cases taken, A and C accepted on time, B late, nothing replied yet
    assert main(["report", "departments", "--from", "2026-11-02", "--to", "2026-11-02",
                 "--json"]) == 0
    report = last_json(capsys.readouterr().out)
    assert report["period"]["end"] == "2026-11-03T00:00:00+08:00"
    city = report["city"]
    assert (city["cases_taken"], city["cases_completed"], city["completion_rate"]) == \
        (5, 0, 0.0)
    assert city["departments"]["timely_acceptance_rate"] == round(2 / 3, 4)


def test_the_table_ranks_departments_and_ends_with_the_city(seeded, capsys):
    assert main(["report", "departments", "--month", "2026-11"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line.split("\t") for line in lines if line.startswith(("1\t", "2\t", "3\t"))]
    assert [r[1] for r in rows] == ["city_management", "wucheng_city_management", "parks"]
    assert rows[0][2:5] == ["3", "100.0%", "100.0%"]
    assert lines[-1].startswith("city: completion 80.0% (4/5), satisfaction 75.0% (3/4)")


def test_a_period_that_cannot_be_read_is_refused(seeded, capsys):
    assert main(["report", "departments", "--month", "2026-13"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err
    assert main(["report", "departments", "--from", "2026-11-05"]) == 2
    assert "go together" in capsys.readouterr().err

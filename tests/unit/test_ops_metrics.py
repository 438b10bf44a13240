"""The shipped Grafana dashboard and Prometheus alerts use only metrics /metrics has."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from hotline.web.metrics import render

OPS = Path(__file__).resolve().parents[2] / "ops"
NAME = re.compile(r"\bhotline_[a-z0-9_]+\b")


def exposed() -> set[str]:
    """Every sample name of an exposition with all its parts present."""
    snapshot = {"at": 1.0, "waiting": 1, "longest_wait_s": 3, "elderly_in_progress": 0,
                "seats": {"available": 1}, "spool": {"depth": 0, "oldest_s": 0, "alarm": False}}
    text = render(snapshot, {"open": 1, "overdue": 0, "by_channel": {}},
                  {"http_2xx": 1, "cases_created_web": 1}, {}, {"pending": 0, "overdue": 0},
                  True, "test")
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def dashboard_exprs() -> list[str]:
    board = json.loads((OPS / "grafana-dashboard.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for panel in board["panels"] for t in panel.get("targets", [])]
    exprs += [v["query"] for v in board["templating"]["list"] if v["type"] == "query"]
    return exprs


def alert_rules() -> list[dict]:
    rules = yaml.safe_load((OPS / "prometheus-alerts.yml").read_text(encoding="utf-8"))
    return [rule for group in rules["groups"] for rule in group["rules"]]


def test_the_dashboard_uses_only_exposed_metrics():
    exprs = dashboard_exprs()
    used = {name for expr in exprs for name in NAME.findall(expr)}
    assert {"hotline_wait_seconds_bucket", "hotline_wait_seconds_count", "hotline_calls_total",
            "hotline_seats", "hotline_queue_waiting",
            "hotline_callback_delay_seconds_bucket"} <= used
    assert used - exposed() == set()
    assert any('le="15"' in e and "hotline_wait_seconds_count" in e for e in exprs)
    assert any("histogram_quantile(0.95" in e and "callback_delay" in e for e in exprs)


def test_the_alerts_use_only_exposed_metrics_and_cover_the_runbook():
    rules = alert_rules()
    for rule in rules:
        assert rule["alert"].startswith("Hotline") and rule["expr"] and rule["for"]
        assert rule["labels"]["severity"] in ("warning", "critical")
    used = {name for rule in rules for name in NAME.findall(rule["expr"])}
    assert used - exposed() == set()
    by_name = {rule["alert"]: rule["expr"] for rule in rules}
    assert "< 0.9" in by_name["HotlineServiceLevelLow"] and "[15m]" in \
        by_name["HotlineServiceLevelLow"]
    assert "hotline_ami_up == 0" in by_name["HotlineAmiDown"]
    assert "hotline_spool_items > 0" in by_name["HotlineSpoolNotDraining"]
    assert [r["for"] for r in rules if r["alert"] == "HotlineSpoolNotDraining"] == ["5m"]
    assert 'le="300"' in by_name["HotlineCallbacksOverdue"]

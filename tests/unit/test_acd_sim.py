"""`hotline bench acd --simulate`: the simulator's engines, on small call counts."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import pytest

import testkit.bench.acd_sim as acd_sim
import testkit.bench.acd_sim_report as report
from acd.policy import CallbackSlack, Reach
from testkit.bench.acd_sim import DISPATCH_LATENCY_S, ENGINES, Draws, simulate
from testkit.call_load import LoadModel
from testkit.commands import add_commands


def _draws(arrivals, talk, priority=None):
    n = len(arrivals)
    return Draws(list(arrivals), list(talk), [5.0] * n, [100.0] * n, priority or [2] * n)


def test_the_same_seed_gives_identical_figures_and_another_seed_does_not():
    model = LoadModel()
    first = report.replication(model, 300, seed=11)
    assert report.replication(model, 300, seed=11) == first
    assert report.replication(model, 300, seed=12) != first


def test_at_half_load_every_engine_reaches_nearly_everyone_within_15s():
    model = LoadModel().overloaded(0.5)
    draws = Draws.make(model, 1500, seed=3)
    for engine in ENGINES:
        figures = simulate(engine, draws, model).figures()
        assert figures["person_within_15s"] >= 0.98, engine
        assert figures["abandoned"] == 0


def test_a_freed_seat_rings_a_waiting_caller_after_the_latency_or_app_queue_s_recheck():
    # one seat: caller 0 talks until the seat's wrap-up ends at 113.3 s; caller 1 has
    # waited since 110 s. The hotline rings at once; app_queue at caller 1's next tick.
    model = LoadModel(seats=1)
    talk0 = 113.3 - model.wrapup_s - DISPATCH_LATENCY_S - model.answer_after_s
    draws = _draws([0.0, 110.0], [talk0, 60.0])
    hotline = simulate("hotline", draws, model)
    assert hotline.gaps == [pytest.approx(DISPATCH_LATENCY_S)]
    assert hotline.answered[1] == pytest.approx(113.3 + DISPATCH_LATENCY_S + 3)
    for engine in ENGINES[1:]:
        run = simulate(engine, draws, model)
        assert run.gaps == [pytest.approx(114.0 + DISPATCH_LATENCY_S - 113.3)], engine
        assert 0 < run.gaps[0] <= 1.0 + DISPATCH_LATENCY_S


def test_ringall_holds_every_free_seat_for_three_seconds_leastrecent_one():
    model = LoadModel(seats=3)
    draws = _draws([0.0, 1.0], [100.0, 100.0])
    ringall = simulate("app_queue-ringall", draws, model)
    least = simulate("app_queue-leastrecent", draws, model)
    # caller 1 waits for the seats the first call rang and lost, at its next tick (4 s)
    assert ringall.first_ring[1] == pytest.approx(4.0 + DISPATCH_LATENCY_S)
    assert least.first_ring[1] == pytest.approx(1.0 + DISPATCH_LATENCY_S)


def test_a_caller_no_seat_reaches_in_the_window_is_owed_a_callback_due_from_arrival():
    model = LoadModel(seats=1)
    draws = _draws([0.0, 5.0], [200.0, 100.0])
    run = simulate("hotline", draws, model)
    assert run.answered[1] is None and run.owed[1]
    # the seat frees at 218 s; the callback (owed at 5 + 14 + 30 s) takes it at once
    assert run.placed[1] == pytest.approx(200 + 3 + DISPATCH_LATENCY_S + 15 +
                                          DISPATCH_LATENCY_S + 3)
    assert run.figures()["callbacks_within_300s"] == 1.0


def test_engines_of_a_replication_replay_the_same_draws(monkeypatch):
    seen = []
    real = acd_sim.simulate

    def spy(engine, draws, model, **kw):
        seen.append((engine, id(draws)))
        return real(engine, draws, model, **kw)

    monkeypatch.setattr(report, "simulate", spy)
    report.replication(LoadModel(), 50, seed=5, variants=[report.Variant()])
    assert [e for e, _ in seen] == [*ENGINES, "hotline"]
    assert len({d for _, d in seen}) == 1
    assert Draws.make(LoadModel(), 50, 5) == Draws.make(LoadModel(), 50, 5)


def test_the_hotline_engine_is_driven_by_acd_policy_plan(monkeypatch):
    model = LoadModel()
    draws = Draws.make(model, 40, seed=2)
    monkeypatch.setattr(acd_sim, "plan", lambda *a, **kw: [])
    run = simulate("hotline", draws, model)
    assert all(a is None for a in run.answered)  # nothing rings without the policy


def test_an_elderly_terminal_goes_ahead_of_an_earlier_caller_as_the_policy_says():
    model = LoadModel(seats=1)
    talk0 = 103.0 - model.wrapup_s - DISPATCH_LATENCY_S - model.answer_after_s
    draws = _draws([0.0, 100.0, 101.0], [talk0, 60.0, 60.0], priority=[2, 2, 0])
    run = simulate("hotline", draws, model)
    assert run.answered[2] == pytest.approx(103.0 + DISPATCH_LATENCY_S + 3)
    assert run.answered[1] is None and run.owed[1]
    normal = simulate("hotline", replace(draws, priority=[2, 2, 2]), model)
    assert normal.answered[1] is not None and normal.answered[2] is None


def test_a_seat_offered_too_late_in_the_window_rings_unanswered_and_the_ivr_takes_over():
    # Reach(2): the seat frees 11.5 s into caller 1's window, rings 2.5 s, the agent
    # would answer after 3 s; the product's Reach(4) does not offer it at all.
    model = LoadModel(seats=1)
    talk0 = 111.5 - model.wrapup_s - DISPATCH_LATENCY_S - model.answer_after_s
    draws = _draws([0.0, 100.0], [talk0, 60.0])
    short = simulate("hotline", draws, model, reach=Reach(2))
    assert short.first_ring[1] is not None and short.answered[1] is None and short.owed[1]
    default = simulate("hotline", draws, model)
    assert default.first_ring[1] is None and default.owed[1]


def test_at_overload_the_hotline_never_answers_late_and_every_callback_is_placed():
    model = LoadModel().overloaded(1.5)
    run = simulate("hotline", Draws.make(model, 400, seed=9), model)
    figures = run.figures()
    assert figures["answered_after_15s"] == 0
    assert figures["callbacks_owed"] > 100
    assert all(run.placed[i] is not None for i in range(400) if run.owed[i])
    assert figures["never_reached"] == 0


def test_callbacks_going_first_earlier_keep_more_promises_and_cost_live_callers():
    model = LoadModel().overloaded(1.5)
    draws = Draws.make(model, 300, seed=4)
    default = simulate("hotline", draws, model,
                       slack=CallbackSlack(due_lead_s=120, reserve_seats=1)).figures()
    early = simulate("hotline", draws, model,
                     slack=CallbackSlack(due_lead_s=300, reserve_seats=0)).figures()
    assert early["callbacks_within_300s"] > default["callbacks_within_300s"]
    assert early["person_within_15s"] < default["person_within_15s"]


def test_slack_variants_parse_and_bad_names_are_refused():
    v = report.parse_variant("due_lead_s=180, reserve_seats=2,min_ring_s=2")
    assert v.slack == CallbackSlack(180.0, 2) and v.reach == Reach(2.0)
    assert report.parse_variant("") == report.Variant()
    with pytest.raises(ValueError):
        report.parse_variant("lead=3")


def test_cli_prints_one_json_line_with_intervals_and_writes_the_plot(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default=None)
    add_commands(parser.add_subparsers())
    plot = tmp_path / "sim.svg"
    args = parser.parse_args(["bench", "acd", "--simulate", "--json", "--calls", "200",
                              "--replications", "2", "--loads", "0.5,1.5", "--plot", str(plot),
                              "--slack", "due_lead_s=180"])
    assert args.handler(args) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [row["load"] for row in out["loads"]] == [0.5, 1.5]
    cell = out["loads"][0]["engines"]["hotline"]["person_within_15s"]
    assert cell["n"] == 2 and len(cell["ci95"]) == 2
    diff = out["loads"][1]["hotline_minus"]["app_queue-ringall"]["person_within_15s"]
    assert "excludes_zero" in diff
    assert list(out["loads"][1]["variant_minus_hotline"]) == [
        "hotline[due_lead_s=180,reserve_seats=1,min_ring_s=4]"]
    assert out["plot"] == str(plot.resolve()) and out["wall_s"] > 0
    svg = plot.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "app_queue-leastrecent" in svg and "load" in svg

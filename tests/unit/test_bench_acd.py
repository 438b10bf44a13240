"""The arithmetic `hotline bench acd` reports: load model, percentiles, event matching."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from acd.percentile import percentile
from hotline.config import load_config
from testkit.bench.acd import bench_config
from testkit.call_load import (
    CallerResult,
    LiveCall,
    LoadModel,
    first_delays,
    invite_times,
    is_callback_ring,
    launch_lag_ms,
    live_calls,
    poisson_offsets,
    run_metrics,
    share_within,
)


def test_seed_load_is_seven_erlang_and_erlang_c_predicts_816_within_15s():
    model = LoadModel()
    assert model.offered_erlang == pytest.approx(7.0)
    assert model.erlang_c_within_window() == pytest.approx(0.816, abs=0.001)
    assert model.overloaded().offered_erlang == pytest.approx(10.5)
    assert model.overloaded().erlang_c_within_window() == 0.0


def test_compression_keeps_every_ratio():
    real, fast = LoadModel(), LoadModel().scaled(10)
    assert fast.aht_s == 24 and fast.window_s == 1.5 and fast.promise_s == 30
    assert fast.answer_after_s == pytest.approx(0.3)
    assert fast.offered_erlang == pytest.approx(real.offered_erlang)
    assert fast.erlang_c_within_window() == pytest.approx(real.erlang_c_within_window())


def test_talk_plus_ringing_plus_wrapup_averages_the_aht():
    model = LoadModel()
    low, high = model.talk_range_s
    assert (low + high) / 2 + model.wrapup_s + model.answer_after_s == pytest.approx(240)


def test_poisson_offsets_start_at_zero_increase_and_match_the_rate():
    offsets = poisson_offsets(4000, 3600.0, random.Random(1))  # one call a second
    assert offsets[0] == 0.0
    assert all(b >= a for a, b in zip(offsets, offsets[1:], strict=False))
    assert offsets[-1] / len(offsets) == pytest.approx(1.0, rel=0.05)


def test_percentile_is_nearest_rank_and_empty_is_none():
    assert percentile([], 0.5) is None
    assert percentile([3, 1, 2], 0.5) == 2
    assert percentile(range(1, 101), 0.99) == 99
    assert percentile([5], 0.99) == 5


def test_share_within_counts_missing_as_late():
    assert share_within([0.5, 2.0, None, 1.5], 1.5) == 0.5
    assert share_within([], 1.0) is None


def test_callback_rings_are_told_apart_by_their_display_name():
    assert is_callback_ring({"from": '"CB 13900000001" <sip:13900000001@127.0.0.1>'})
    assert not is_callback_ring({"from": "<sip:13900000001@127.0.0.1>"})


def _ring(seat, call, caller, t, callback=False):
    name = f'"CB {caller}" ' if callback else ""
    return {"event": "ringing", "seat": seat, "call": call, "caller": caller, "t": t,
            "from": f"{name}<sip:{caller}@127.0.0.1>"}


def test_live_calls_match_rings_and_answers_by_caller_number():
    events = [
        _ring("8001", 1, "139A", 10.1), _ring("8002", 1, "139A", 10.2),  # ringall
        {"event": "answered", "seat": "8002", "call": 1, "t": 10.5},
        _ring("8003", 1, "139B", 11.0),  # rang, nobody answered
        _ring("8001", 2, "139C", 40.0, callback=True),  # only the callback rang
        {"event": "answered", "seat": "8001", "call": 2, "t": 40.3},
        _ring("8004", 1, "other", 9.0),
    ]
    found = live_calls(events, ["139A", "139B", "139C", "139D"])
    assert found["139A"] == LiveCall(10.1, 10.5, "8002")
    assert found["139B"] == LiveCall(11.0, None, "")
    assert found["139C"] == LiveCall() and found["139D"] == LiveCall()
    assert "other" not in found


def test_run_metrics_judge_on_the_compressed_window():
    results = [CallerResult("a", 10.0, True, 400.0), CallerResult("b", 20.0, True, 2500.0),
               CallerResult("c", 30.0, False)]
    live = {"a": LiveCall(10.05, 10.4, "8001"), "b": LiveCall(21.0, 22.0, "8002"),
            "c": LiveCall()}
    metrics = run_metrics(results, live, 1.5, [10.0, 40.0, None], 30.0)
    assert metrics["calls"] == 3
    assert metrics["person_within_15s"] == pytest.approx(1 / 3, abs=0.001)
    assert metrics["callbacks_within_300s"] == pytest.approx(1 / 3, abs=0.001)
    assert metrics["ring_ms_p50"] == 50 and metrics["ring_ms_p99"] == 1500  # from the INVITE
    assert metrics["abandoned"] == pytest.approx(1 / 3, abs=0.001)
    assert run_metrics(results, live, 1.5, None, 30.0)["callbacks_within_300s"] is None


def test_first_placement_counts_for_a_retried_callback():
    placed = [{"id": "cb1", "delay_s": 12.0}, {"id": "cb2", "delay_s": 3.0},
              {"id": "cb1", "delay_s": 50.0}]
    assert first_delays(placed) == {"cb1": 12.0, "cb2": 3.0}


def test_invite_time_comes_from_the_seat_answer_or_the_median_lag():
    results = [CallerResult("a", 10.0, True, 380.0), CallerResult("b", 20.0, False)]
    live = {"a": LiveCall(10.1, 10.4, "8001"), "b": LiveCall()}
    times = invite_times(results, live)
    assert times["a"] == pytest.approx(10.02) and times["b"] == pytest.approx(20.02)


def test_launch_lag_is_answer_time_minus_sipp_invite_to_200():
    results = [CallerResult("a", 10.0, True, 380.0), CallerResult("b", 20.0, True, 900.0)]
    live = {"a": LiveCall(10.1, 10.4, "8001"), "b": LiveCall(None, None, "")}
    assert launch_lag_ms(results, live) == pytest.approx(20.0)


def test_bench_config_uses_its_own_instance_and_compressed_acd_timings(tmp_path: Path):
    cfg = load_config(path=None, env={"HOTLINE_STATE_DIR": str(tmp_path)})
    bench = bench_config(cfg, LoadModel().scaled(10), 10, tmp_path)
    assert bench.instance == "bench" and bench.sip_port != cfg.sip_port
    assert bench.key_prefix != cfg.key_prefix and str(tmp_path) in bench.database_url
    assert bench.acd_ring_window_s == 1.5 and bench.acd_callback_deadline_s == 30
    assert bench.acd_seat_ring_s == pytest.approx(0.8)
    assert bench.acd_callback_backoff_s == "3,6,12"
    assert bench.acd_min_ring_s == pytest.approx(0.4)  # a share of the window, like ring_s
    # phone/Asterisk waits: compressed, but never below what they take in real time
    assert bench.acd_device_settle_s == pytest.approx(0.3)
    assert bench.acd_not_ready_s == pytest.approx(0.1)
    slow = bench_config(cfg, LoadModel().scaled(2), 2, tmp_path)
    assert slow.acd_device_settle_s == pytest.approx(1.0) and slow.acd_not_ready_s == 0.25


def test_the_longest_wait_is_in_real_terms_and_late_answers_are_counted():
    results = [CallerResult("a", 10.0, True, 400.0), CallerResult("b", 20.0, True, 2500.0),
               CallerResult("c", 30.0, False)]
    live = {"a": LiveCall(10.05, 10.4, "8001"), "b": LiveCall(21.0, 22.0, "8002"),
            "c": LiveCall()}
    metrics = run_metrics(results, live, 1.5, None, 30.0, compress=10)
    assert metrics["max_wait_to_person_s"] == pytest.approx(25.0)  # 2.5 s compressed
    assert metrics["answered_after_window"] == 1
    assert run_metrics([CallerResult("c", 1.0, False)], {"c": LiveCall()}, 1.5, None,
                       30.0)["max_wait_to_person_s"] is None


def test_one_arrival_in_twenty_is_an_elderly_terminals_and_its_figures_say_how_it_went():
    from testkit.bench import elderly

    offsets = [float(i) for i in range(40)]
    numbers = [f"139{i:08d}" for i in range(40)]
    kept, kept_numbers, terminal = elderly.split(offsets, numbers)
    assert terminal == [10.0, 30.0] and len(kept) == len(kept_numbers) == 38
    assert 10.0 not in kept and numbers[10] not in kept_numbers
    calls = [{"terminal": "9001", "pressed": 100.0, "waited_s": 0.4},
             {"terminal": "9002", "pressed": 200.0, "waited_s": 1.2},
             {"terminal": "9003", "pressed": 300.0, "waited_s": None}]
    seat_rang = [{"event": "ringing", "seat": "8001", "caller": "9001", "t": 100.2}]
    figures = elderly.block(calls, seat_rang, factor=10.0, window_s=1.0)
    assert (figures["calls"], figures["answered"], figures["reached_a_seat"],
            figures["took_emergency_path"]) == (3, 2, 1, 1)
    assert figures["to_person_or_emergency_s"] == {"p50": 0.4, "p99": 1.2, "max": 1.2}
    assert figures["to_person_or_emergency_s_real"] == {"p99": 12.0, "max": 12.0}

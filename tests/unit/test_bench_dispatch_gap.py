"""Dispatch gaps from AMI events, and the replications' summary, on hand-made inputs."""

from __future__ import annotations

import pytest

from testkit.bench.dispatch_gap import dispatch_gaps, waiting_intervals
from testkit.bench.intervals import interval
from testkit.bench.replications import summarize, verdict

SEATS = ["8001", "8002"]


def ev(kind: str, t: float, channel: str, uid: str, **extra: str) -> dict:
    return {"Event": kind, "Timestamp": f"{t:.6f}", "Channel": channel, "Uniqueid": uid,
            "Linkedid": extra.pop("Linkedid", uid), **extra}


def caller(uid: str, t: float, number: str = "13901000001") -> dict:
    return ev("Newchannel", t, f"PJSIP/trunk-{uid}", uid, CallerIDNum=number,
              ChannelState="4")


def up(t: float, channel: str, uid: str) -> dict:
    return ev("Newstate", t, channel, uid, ChannelState="6", ChannelStateDesc="Up")


def seat_call(seat: str, uid: str, rang: float, answered: float | None,
              hung_up: float, linked: str = "x") -> list[dict]:
    """A seat leg: Newchannel (the INVITE), Up if answered, Hangup."""
    channel = f"PJSIP/{seat}-{uid}"
    out = [ev("Newchannel", rang, channel, uid, Linkedid=linked)]
    if answered is not None:
        out.append(up(answered, channel, uid))
    out.append(ev("Hangup", hung_up, channel, uid, Linkedid=linked))
    return out


def test_a_seat_freed_while_a_caller_waits_gives_the_gap_to_its_next_invite():
    events = [*seat_call("8001", "s1", 0.0, 0.3, 10.0),
              caller("c1", 9.0),  # waits from 9.0
              *seat_call("8001", "s2", 10.25, 10.5, 20.0, linked="c1"),
              up(10.5, "PJSIP/trunk-c1", "c1")]
    got = dispatch_gaps(events, SEATS, wrapup_s=0.0)
    assert got.gaps_s == [pytest.approx(0.25)]
    assert got.figures()["dispatch_gap_ms_p50"] == 250
    assert got.figures()["dispatch_gaps"] == 1


def test_the_wrapup_is_added_to_an_answered_call_but_not_to_a_ring_only_leg():
    events = [*seat_call("8001", "s1", 0.0, 0.3, 10.0),  # answered: free at 12.0
              *seat_call("8002", "s2", 9.5, None, 10.0),  # only rang: free at 10.0
              caller("c1", 9.0),
              *seat_call("8002", "s3", 10.1, None, 11.0, linked="c1"),
              *seat_call("8001", "s4", 12.4, 12.6, 30.0, linked="c1"),
              up(12.6, "PJSIP/trunk-c1", "c1")]
    got = dispatch_gaps(events, SEATS, wrapup_s=2.0)
    assert sorted(round(g, 3) for g in got.gaps_s) == [0.1, 0.4]


def test_no_caller_waiting_means_no_gap():
    events = [*seat_call("8001", "s1", 0.0, 0.3, 10.0),
              caller("c1", 15.0),  # arrives after the seat was free: ring_ms, not a gap
              *seat_call("8001", "s2", 15.1, 15.4, 30.0, linked="c1"),
              up(15.4, "PJSIP/trunk-c1", "c1")]
    got = dispatch_gaps(events, SEATS, wrapup_s=2.0)
    assert got.gaps_s == [] and got.freed_with_caller_waiting == 0


def test_a_caller_the_ivr_answered_no_longer_waits():
    events = [caller("c1", 5.0),
              up(6.5, "PJSIP/trunk-c1", "c1"),  # the window closed: the IVR answered
              *seat_call("8001", "s1", 0.0, 0.3, 10.0),
              *seat_call("8001", "s2", 40.0, 40.3, 50.0)]  # a later, unrelated call
    assert waiting_intervals(events) == [(5.0, 6.5)]
    assert dispatch_gaps(events, SEATS, wrapup_s=0.0).gaps_s == []


def test_a_gap_is_dropped_when_other_seats_took_every_waiting_caller():
    events = [caller("c1", 9.0),
              *seat_call("8001", "s1", 0.0, 0.3, 10.0),
              *seat_call("8002", "s2", 10.05, 10.3, 20.0, linked="c1"),
              up(10.3, "PJSIP/trunk-c1", "c1"),  # 8002 took it; nobody waits for 8001
              *seat_call("8001", "s3", 60.0, 60.3, 70.0)]
    got = dispatch_gaps(events, SEATS, wrapup_s=0.0)
    assert got.gaps_s == [] and got.dropped == 1 and got.freed_with_caller_waiting == 1


def test_ringalls_cancelled_legs_are_no_gap_once_a_seat_answered():
    events = [caller("c1", 5.0),
              *seat_call("8001", "s1", 5.01, 5.3, 20.0, linked="c1"),
              *seat_call("8002", "s2", 5.01, None, 5.3005, linked="c1"),  # cancelled
              ev("DialEnd", 5.3, "PJSIP/trunk-c1", "c1", DialStatus="ANSWER",
                 DestChannel="PJSIP/8001-s1"),
              up(5.301, "PJSIP/trunk-c1", "c1"),
              *seat_call("8002", "s3", 40.0, 40.3, 50.0)]
    assert waiting_intervals(events) == [(5.0, 5.3)]
    got = dispatch_gaps(events, SEATS, 0.0)
    assert got.freed_with_caller_waiting == 0 and got.dropped == 0


def test_only_callers_that_started_their_call_on_the_trunk_wait():
    outbound = ev("Newchannel", 9.0, "PJSIP/trunk-cb", "cb", Linkedid="seatleg",
                  CallerIDNum="13901000001")  # a callback's leg to the citizen
    other = caller("c2", 9.0, number="555")  # not one of this run's callers
    events = [outbound, other, *seat_call("8001", "s1", 0.0, 0.3, 10.0),
              *seat_call("8001", "s2", 10.5, 10.8, 20.0)]
    assert dispatch_gaps(events, SEATS, 0.0, callers=["13901000001"]).gaps_s == []
    assert len(dispatch_gaps(events, SEATS, 0.0).gaps_s) == 1  # c2 counts without a filter


def test_a_seat_with_another_leg_still_up_is_not_freed():
    events = [caller("c1", 1.0),
              *seat_call("8001", "s1", 0.0, None, 5.0),
              ev("Newchannel", 2.0, "PJSIP/8001-s9", "s9"),  # a second leg, still up
              *seat_call("8001", "s3", 5.5, 5.8, 9.0)]
    got = dispatch_gaps(events, SEATS, 0.0)
    assert got.freed_with_caller_waiting == 0 and got.gaps_s == []


def _run(rep: int, engine: str, load: str = "seed", **figures: float | None) -> dict:
    return {"replication": rep, "engine": engine, "load": load, **figures}


def test_the_summary_pairs_by_replication_and_reads_each_figures_direction():
    runs = []
    for rep, (ours, theirs) in enumerate([(0.80, 0.70), (0.90, 0.81), (0.70, 0.59)], 1):
        runs.append(_run(rep, "hotline", person_within_15s=ours, ring_ms_p50=100 + rep,
                         abandoned=0.1, callbacks_within_300s=0.9))
        runs.append(_run(rep, "app_queue-ringall", person_within_15s=theirs,
                         ring_ms_p50=50 + rep * 2, abandoned=0.1))
    got = summarize(runs)
    assert got["replications"] == 3
    fig = got["figures"]["seed"]["hotline"]["person_within_15s"]
    assert fig["mean"] == pytest.approx(0.8) and fig["n"] == 3 and fig["ci95"][0] < 0.8
    vs = got["hotline_minus"]["seed"]["hotline - app_queue-ringall"]
    assert vs["person_within_15s"]["verdict"] == "ahead"  # higher is better, +0.1 each
    assert vs["person_within_15s"]["excludes_zero"]
    assert vs["ring_ms_p50"]["verdict"] == "behind"  # lower is better, hotline ~50 ms more
    assert vs["abandoned"]["verdict"] == "no claim"  # identical: a zero-width interval at 0
    assert vs["callbacks_within_300s"] == {"mean": None, "ci95": None, "n": 0,
                                           "excludes_zero": False, "verdict": "no claim"}
    assert got["figures"]["seed"]["app_queue-ringall"]["callbacks_within_300s"] is None


def test_a_failed_run_drops_only_its_replication_from_the_pair():
    runs = [_run(1, "hotline", ring_ms_p99=100), _run(1, "app_queue-leastrecent",
                                                      ring_ms_p99=300),
            _run(2, "hotline", ring_ms_p99=110), _run(2, "app_queue-leastrecent",
                                                      error="RuntimeError: x"),
            _run(3, "hotline", ring_ms_p99=90), _run(3, "app_queue-leastrecent",
                                                     ring_ms_p99=310)]
    vs = summarize(runs)["hotline_minus"]["seed"]["hotline - app_queue-leastrecent"]
    assert vs["ring_ms_p99"]["n"] == 2 and vs["ring_ms_p99"]["mean"] == pytest.approx(-210)
    assert vs["ring_ms_p99"]["verdict"] == "ahead"


def test_noisy_differences_make_no_claim():
    assert verdict("person_within_15s", interval([0.1, -0.2, 0.15])) == "no claim"
    assert verdict("dispatch_gap_ms_p50", interval([-30.0, -40.0, -35.0])) == "ahead"
    assert verdict("max_wait_to_person_s", interval([3.0, 4.0, 5.0])) == "behind"
    assert verdict("ring_ms_p50", interval([5.0])) == "no claim"  # one value, no interval
    assert verdict("abandoned", None) == "no claim"

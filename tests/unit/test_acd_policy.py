from acd.line import Entry, rank
from acd.policy import CallbackSlack, Policy, Reach, next_change, plan
from acd.seat_state import SeatFacts, SeatState, derive

NOW = 1_000_000.0


def seat(name, idle=0.0, calls=0, **kw):
    return SeatFacts(seat=name, device_state="NOT_INUSE", idle_since=idle, calls=calls, **kw)


def live(eid, arrived, **kw):
    return Entry(id=eid, kind="live", caller=f"1390000{eid}", arrived_at=arrived, **kw)


def pairs(entries, seats, policy=Policy.LONGEST_IDLE):
    ordered = sorted(entries, key=rank)
    return [(e.id, s.seat) for e, s in plan(ordered, seats, NOW, policy)]


def test_longest_idle_seat_takes_the_longest_waiting_caller():
    seats = [seat("8001", idle=NOW - 10), seat("8002", idle=NOW - 300), seat("8003", idle=NOW)]
    entries = [live("b", NOW - 5), live("a", NOW - 20)]
    assert pairs(entries, seats) == [("a", "8002"), ("b", "8001")]


def test_elderly_terminal_never_waits_behind_anyone():
    seats = [seat("8001")]
    entries = [live("old", NOW - 600), live("elder", NOW - 1, priority=0)]
    assert pairs(entries, seats) == [("elder", "8001")]


def test_urgent_repeat_caller_ages_ahead_but_not_forever():
    seats = [seat("8001")]
    assert pairs([live("n", NOW - 60), live("u", NOW - 10, priority=1)], seats) == [("u", "8001")]
    assert pairs([live("n", NOW - 200), live("u", NOW - 10, priority=1)], seats) == [("n", "8001")]


def callback(eid, arrived, due, **kw):
    return Entry(id=eid, kind="callback", caller="1", arrived_at=arrived, due_at=due,
                 callback_number="1", **kw)


def test_a_due_callback_keeps_its_place_against_newer_live_callers():
    seats = [seat("8001")]
    due_soon = callback("cb", NOW - 200, due=NOW + 100)  # inside the last 120 s
    assert pairs([live("new", NOW - 14), due_soon], seats) == [("cb", "8001")]


def test_a_callback_with_time_to_spare_lets_a_live_caller_go_first():
    seats = [seat("8001", idle=NOW), seat("8002", idle=NOW - 50)]
    early = callback("cb", NOW - 20, due=NOW + 280)
    assert pairs([early, live("new", NOW - 3)], seats) == [("new", "8002")]


def test_a_callback_with_time_to_spare_leaves_the_last_free_seat_to_live_callers():
    early = callback("cb", NOW - 20, due=NOW + 280)
    assert pairs([early], [seat("8001")]) == []
    assert pairs([early], [seat("8001", idle=NOW), seat("8002", idle=NOW - 50)]) == [("cb", "8002")]
    no_reserve = plan([early], [seat("8001")], NOW, slack=CallbackSlack(reserve_seats=0))
    assert [(e.id, s.seat) for e, s in no_reserve] == [("cb", "8001")]


def test_the_dispatcher_wakes_when_a_wrapup_ends_or_a_callback_falls_due():
    early = callback("cb", NOW - 20, due=NOW + 280)  # due from NOW + 100
    wrapping = SeatFacts(seat="8001", device_state="NOT_INUSE", wrapup_until=NOW + 3)
    assert next_change([early], [wrapping], NOW) == NOW + 3
    assert next_change([early], [seat("8001")], NOW) == NOW + 100
    assert next_change([live("a", NOW)], [seat("8001")], NOW) is None


def test_callback_in_backoff_waits():
    seats = [seat("8001")]
    callback = Entry(id="cb", kind="callback", caller="1", arrived_at=NOW - 100,
                     not_before=NOW + 5, callback_number="1")
    assert pairs([callback, live("new", NOW - 1)], seats) == [("new", "8001")]


def test_the_agent_who_handled_the_case_gets_the_caller_when_free():
    seats = [seat("8001", idle=NOW - 500), seat("8002", idle=NOW)]
    assert pairs([live("a", NOW, preferred_seat="8002")], seats) == [("a", "8002")]
    busy = [seat("8001", idle=NOW - 500), SeatFacts(seat="8002", device_state="INUSE")]
    assert pairs([live("a", NOW, preferred_seat="8002")], busy) == [("a", "8001")]


def test_skills_route_a_topic_to_a_skilled_free_agent():
    seats = [seat("8001", idle=NOW - 500), seat("8002", skills=frozenset({"wage_arrears"}))]
    assert pairs([live("a", NOW, topic="wage_arrears")], seats) == [("a", "8002")]


def test_a_seat_that_did_not_answer_is_skipped_for_that_caller():
    seats = [seat("8001", idle=NOW - 500), seat("8002", idle=NOW)]
    assert pairs([live("a", NOW, tried="8001")], seats) == [("a", "8002")]
    assert pairs([live("a", NOW, tried="8001,8002")], seats) == []


def test_fewest_calls_and_round_robin():
    seats = [seat("8001", calls=5), seat("8002", calls=1), seat("8003", calls=3)]
    assert pairs([live("a", NOW)], seats, Policy.FEWEST_CALLS) == [("a", "8002")]
    rr = [seat("8001"), seat("8002", last_assigned=NOW - 1), seat("8003")]
    assert pairs([live("a", NOW)], rr, Policy.ROUND_ROBIN) == [("a", "8003")]


def test_only_available_seats_are_planned():
    states = {
        "paused": SeatFacts(seat="1", device_state="NOT_INUSE", paused_reason="lunch"),
        "wrapup": SeatFacts(seat="2", device_state="NOT_INUSE", wrapup_until=NOW + 5),
        "logged_out": SeatFacts(seat="3", device_state="NOT_INUSE", logged_in=False),
        "ringing": SeatFacts(seat="4", device_state="NOT_INUSE", reserved_for="x"),
        "talking": SeatFacts(seat="5", device_state="INUSE", paused_reason="lunch"),
        "unavailable": SeatFacts(seat="6", device_state="UNAVAILABLE"),
    }
    for expected, facts in states.items():
        assert derive(facts, NOW) is SeatState(expected)
    assert plan([live("a", NOW)], list(states.values()), NOW) == []


def test_a_caller_too_near_the_end_of_the_window_is_left_to_the_ivr():
    seats = [seat("8001")]
    assert pairs([live("a", NOW - 9, ring_until=NOW + 5)], seats) == [("a", "8001")]
    assert pairs([live("late", NOW - 11, ring_until=NOW + 3)], seats) == []  # < 4 s to ring
    short = plan([live("late", NOW - 11, ring_until=NOW + 3)], seats, NOW,
                 reach=Reach(min_ring_s=2))
    assert [(e.id, s.seat) for e, s in short] == [("late", "8001")]
    owed = callback("cb", NOW - 200, due=NOW + 100, ring_until=NOW - 180)  # from its call
    assert pairs([owed], seats) == [("cb", "8001")]  # a callback has no window
    elder = live("elder", NOW - 8, priority=0, ring_until=NOW + 1)
    assert pairs([live("n", NOW - 9, ring_until=NOW + 5), elder], seats) == [("elder", "8001")]


def test_a_seat_is_offered_again_only_once_its_device_came_free_or_the_wait_ran_out():
    just_ended = seat("8001", last_assigned=NOW - 30, settle_until=NOW + 2,
                      device_free_at=NOW - 31)  # Asterisk has not said NOT_INUSE since
    assert pairs([live("a", NOW)], [just_ended]) == []
    came_free = seat("8001", last_assigned=NOW - 30, settle_until=NOW + 2,
                     device_free_at=NOW - 0.2)
    assert pairs([live("a", NOW)], [came_free]) == [("a", "8001")]
    waited = seat("8001", last_assigned=NOW - 30, settle_until=NOW - 0.1,
                  device_free_at=NOW - 31)
    assert pairs([live("a", NOW)], [waited]) == [("a", "8001")]
    assert next_change([live("a", NOW)], [just_ended], NOW) == NOW + 2


def test_a_phone_refusing_a_call_just_after_one_is_not_ready_not_missing():
    from acd.seat_state import not_ready_yet

    ended = seat("8001", call_ended_at=NOW - 0.8)
    assert not_ready_yet(ended, "CHANUNAVAIL", NOW)
    assert not_ready_yet(ended, "BUSY", NOW)
    assert not not_ready_yet(ended, "NOANSWER", NOW)  # it rang: the agent did not answer
    assert not not_ready_yet(seat("8001", call_ended_at=NOW - 60), "CHANUNAVAIL", NOW)


def test_the_fast_path_offers_the_seats_the_policy_would_pick_in_its_order():
    from acd.policy import fast_candidates

    seats = [seat("8001", idle=NOW - 10), seat("8002", idle=NOW - 300),
             SeatFacts(seat="8003", device_state="INUSE"), seat("8004", idle=NOW - 100)]
    assert [f.seat for f in fast_candidates(live("a", NOW), seats, NOW,
                                            Policy.LONGEST_IDLE)] == ["8002", "8004", "8001"]
    back = live("b", NOW, preferred_seat="8001")
    assert fast_candidates(back, seats, NOW, Policy.LONGEST_IDLE)[0].seat == "8001"

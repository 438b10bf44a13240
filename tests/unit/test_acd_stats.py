from acd.line import Entry
from acd.stats import build_snapshot, service_level
from ivr.incoming import chosen_number


def test_service_level_counts_calls_whose_wait_ended():
    raw = {"answered_in_window": "8", "answered_late": "1", "abandoned_waiting": "1",
           "callbacks_requested": "0"}
    assert service_level(raw) == 0.8
    assert service_level({}) == 1.0


def test_snapshot_has_what_the_wallboard_shows():
    now = 1_800_000_000.0
    day = {"offered": "10", "answered_in_window": "7", "answered_late": "1",
           "abandoned_waiting": "1", "abandoned_ivr": "1", "callbacks_requested": "1",
           "answered_total": "8", "wait_ms_total": "40000", "handled": "8",
           "handle_ms_total": "1920000"}
    seats = {"8001": {"state": "talking"}, "8002": {"state": "available"}}
    waiting = [Entry(id="a", kind="live", caller="1", arrived_at=now - 12, priority=0),
               Entry(id="b", kind="callback", caller="2", arrived_at=now - 100)]
    snap = build_snapshot(now, day, day, [(0, day)], seats, waiting,
                          {"pending": 1, "due_next_minute": 0, "overdue": 0}, 1)
    assert snap["waiting"] == 1 and snap["elderly_waiting"] == 1
    assert snap["longest_wait_s"] == 12.0
    assert snap["asa_s"] == 5.0 and snap["aht_s"] == 240.0
    assert snap["abandoned"] == 2
    assert snap["seats"]["talking"] == 1 and snap["seats"]["available"] == 1
    assert snap["service_level"] == 0.7


def test_callback_number_from_dtmf():
    assert chosen_number("13800138000", "") == "13800138000"
    assert chosen_number("13800138000", "1") == "13800138000"
    assert chosen_number("13800138000", "13900001111#") == "13900001111"
    assert chosen_number("13800138000", "12") == "13800138000"  # garbage: keep the caller's
    assert chosen_number("", "057982345678") == "057982345678"

from acd.seat_state import SeatState, seat_from_device, state_from_device


def test_device_states_map_to_seat_states():
    assert state_from_device("NOT_INUSE") is SeatState.AVAILABLE
    assert state_from_device("RINGING") is SeatState.RINGING
    assert state_from_device("INUSE") is SeatState.TALKING
    assert state_from_device("UNAVAILABLE") is SeatState.UNAVAILABLE
    assert state_from_device("SOMETHING NEW") is SeatState.UNAVAILABLE


def test_only_our_pjsip_seats_are_seats():
    seats = {"8001", "8002"}
    assert seat_from_device("PJSIP/8001", seats) == "8001"
    assert seat_from_device("PJSIP/trunk", seats) is None
    assert seat_from_device("Queue:8001", seats) is None

"""Seat states as the ACD and supervisors name them, derived from Asterisk device states.

Pure mapping: the AMI link feeds device states in; everything above it speaks
available / ringing / talking / unavailable (the ACD issue adds paused and wrap-up).
"""

from __future__ import annotations

from enum import StrEnum


class SeatState(StrEnum):
    AVAILABLE = "available"
    RINGING = "ringing"
    TALKING = "talking"
    UNAVAILABLE = "unavailable"


_DEVICE_STATES = {
    "NOT_INUSE": SeatState.AVAILABLE,
    "RINGING": SeatState.RINGING,
    "RINGINUSE": SeatState.RINGING,
    "INUSE": SeatState.TALKING,
    "BUSY": SeatState.TALKING,
    "ONHOLD": SeatState.TALKING,
    "UNAVAILABLE": SeatState.UNAVAILABLE,
    "INVALID": SeatState.UNAVAILABLE,
    "UNKNOWN": SeatState.UNAVAILABLE,
}


def seat_from_device(device: str, seats: set[str]) -> str | None:
    """`PJSIP/8001` -> `8001` when it is one of our seats, else None."""
    tech, _, name = device.partition("/")
    if tech.upper() != "PJSIP" or name not in seats:
        return None
    return name


def state_from_device(device_state: str) -> SeatState:
    """Asterisk's device state text (NOT_INUSE, INUSE, ...) -> SeatState."""
    return _DEVICE_STATES.get(device_state.strip().upper(), SeatState.UNAVAILABLE)

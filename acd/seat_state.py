"""Seat states as agents and supervisors name them, derived from a seat's facts.

Pure: the AMI link records the device state, the ACD records login, pause, wrap-up
and reservations; `derive` turns those facts into the one state everyone sees
(the vocabulary of app_queue member states plus wrap-up and logged-out).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SeatState(StrEnum):
    AVAILABLE = "available"
    RINGING = "ringing"
    TALKING = "talking"
    WRAPUP = "wrapup"
    PAUSED = "paused"
    LOGGED_OUT = "logged_out"
    UNAVAILABLE = "unavailable"


FREE_DEVICE_STATE = "NOT_INUSE"
NOT_READY_GRACE_S = 3.0  # a refusal this soon after the seat's last call is "not ready yet"

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


@dataclass(frozen=True)
class SeatFacts:
    """What is known about one seat; every field comes from one Redis hash."""

    seat: str
    device_state: str = "UNAVAILABLE"
    logged_in: bool = True
    paused_reason: str = ""
    wrapup_until: float = 0.0
    reserved_for: str = ""
    idle_since: float = 0.0
    calls: int = 0
    missed: int = 0
    last_assigned: float = 0.0
    skills: frozenset[str] = frozenset()
    name: str = ""
    state_since: float = 0.0
    device_free_at: float = 0.0  # when Asterisk last said the device turned NOT_INUSE
    settle_until: float = 0.0  # after a call or a "not ready yet": how long to wait at most
    call_ended_at: float = 0.0  # the seat's last answered call ended

    @classmethod
    def from_hash(cls, seat: str, raw: dict[str, str]) -> SeatFacts:
        def num(key: str) -> float:
            try:
                return float(raw.get(key) or 0)
            except ValueError:
                return 0.0

        skills = frozenset(s for s in (raw.get("skills") or "").split(",") if s)
        return cls(
            seat=seat,
            device_state=(raw.get("device_state") or "UNAVAILABLE").upper(),
            logged_in=raw.get("logged_in", "1") == "1",
            paused_reason=raw.get("paused_reason") or "",
            wrapup_until=num("wrapup_until"),
            reserved_for=raw.get("reserved_for") or "",
            idle_since=num("idle_since"),
            calls=int(num("calls")),
            missed=int(num("missed")),
            last_assigned=num("last_assigned"),
            skills=skills,
            name=raw.get("name") or "",
            state_since=num("state_since"),
            device_free_at=num("device_free_at"),
            settle_until=num("settle_until"),
            call_ended_at=num("call_ended_at"),
        )


def state_from_device(device_state: str) -> SeatState:
    """Asterisk's device state text (NOT_INUSE, INUSE, ...) -> SeatState."""
    return _DEVICE_STATES.get(device_state.strip().upper(), SeatState.UNAVAILABLE)


def derive(facts: SeatFacts, now: float) -> SeatState:
    """The state a supervisor sees; a call in progress outranks pause and wrap-up."""
    if not facts.logged_in:
        return SeatState.LOGGED_OUT
    device = state_from_device(facts.device_state)
    if device is SeatState.UNAVAILABLE:
        return SeatState.UNAVAILABLE
    if device is SeatState.TALKING:
        return SeatState.TALKING
    if device is SeatState.RINGING or facts.reserved_for:
        return SeatState.RINGING
    if facts.paused_reason:
        return SeatState.PAUSED
    if facts.wrapup_until > now:
        return SeatState.WRAPUP
    return SeatState.AVAILABLE


def not_ready_yet(facts: SeatFacts, dial_status: str, now: float,
                  grace_s: float = NOT_READY_GRACE_S) -> bool:
    """A phone that refused a call (CHANUNAVAIL, BUSY) just after its last one ended is
    still hanging that one up: not an agent who failed to answer."""
    return dial_status in ("CHANUNAVAIL", "BUSY") and now - facts.call_ended_at <= grace_s


def settled(facts: SeatFacts, now: float) -> bool:
    """Ready to ring: Asterisk saw the device turn free since the seat was last offered
    (its call is over on the phone too), or the bounded wait after the call ran out."""
    return facts.settle_until <= now or facts.device_free_at > facts.last_assigned


def can_take_call(facts: SeatFacts, now: float) -> bool:
    """Same rule as the claim script in Redis: free device, logged in, not paused or busy,
    and settled after its last call."""
    return (derive(facts, now) is SeatState.AVAILABLE
            and facts.device_state == FREE_DEVICE_STATE and settled(facts, now))


def seat_from_device(device: str, seats: set[str]) -> str | None:
    """`PJSIP/8001` -> `8001` when it is one of our seats, else None."""
    tech, _, name = device.partition("/")
    if tech.upper() != "PJSIP" or name not in seats:
        return None
    return name

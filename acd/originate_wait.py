"""A call placed through AMI and waited for until it is answered or not: the type of
the callable the emergency and check-in diallers are given, and how late past the
ring time its OriginateResponse may come."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

OriginateWait = Callable[[dict, float], Awaitable[bool]]  # (action, timeout) -> answered?
GRACE_S = 10.0  # past the ring time, the OriginateResponse is overdue

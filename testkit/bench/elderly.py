"""Elderly terminal calls mixed into the ACD bench's hotline runs (one in twenty).

They are real calls from pjsua2 phones registered as terminals, registered in the
elderly registry (so a call no seat takes within the terminal's window goes down the
emergency path). What is measured is what the caller lives: from pressing the button
to the first answer, a seat's or the emergency path's IVR.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from acd.percentile import percentile
from testkit.phones import SeatPhones

TERMINALS = ("9001", "9002", "9003")
EVERY = 20  # one arrival in twenty is an elderly terminal's (5%)
CONTACT = "13911110001"  # behind the trunk: the bench's citizen phones answer it


def split(offsets: list[float], numbers: list[str]) -> tuple[list[float], list[str],
                                                            list[float]]:
    """(the SIPp callers' offsets and numbers, the terminal calls' offsets)."""
    keep = [i for i in range(len(offsets)) if i % EVERY != EVERY // 2]
    terminal = [offsets[i] for i in range(len(offsets)) if i % EVERY == EVERY // 2]
    return [offsets[i] for i in keep], [numbers[i] for i in keep], terminal


async def register(service: Any) -> None:
    for terminal in TERMINALS:
        await asyncio.to_thread(service.elderly.upsert, terminal, name=f"老人{terminal}",
                                address="婺城区", contacts=[{"name": "家属", "relation": "子女",
                                                          "phone": CONTACT}])


async def replay(phones: SeatPhones, number: str, offsets: list[float], hold_s: float,
                 patience_s: float) -> list[dict[str, Any]]:
    """Each terminal call at its offset, on the terminals in turn; how long to an answer."""
    start = time.time() + 0.5

    async def one(index: int, offset: float) -> dict[str, Any]:
        terminal = TERMINALS[index % len(TERMINALS)]
        await asyncio.sleep(max(0.0, start + offset - time.time()))
        pressed = time.time()
        await phones.dial(terminal, number)
        try:
            answered = await phones.wait_for("answered", seat=terminal, after=pressed,
                                             timeout=patience_s)
        except TimeoutError:
            return {"terminal": terminal, "pressed": pressed, "waited_s": None}
        await asyncio.sleep(hold_s)
        await phones.hangup(terminal)
        return {"terminal": terminal, "pressed": pressed,
                "waited_s": answered["t"] - pressed}

    return list(await asyncio.gather(*(one(i, o) for i, o in enumerate(offsets))))


def block(calls: list[dict[str, Any]], seat_events: list[dict[str, Any]], factor: float,
          window_s: float) -> dict[str, Any]:
    """The elderly figures of one run, compressed and in real terms."""
    waits = [c["waited_s"] for c in calls if c["waited_s"] is not None]
    by_seat = sum(1 for c in calls if any(
        e.get("event") == "ringing" and e.get("caller") == c["terminal"]
        and e.get("t", 0) >= c["pressed"] for e in seat_events))

    def secs(q: float) -> float | None:
        value = percentile(waits, q)
        return None if value is None else round(value, 3)

    top = max(waits) if waits else None
    return {"calls": len(calls), "answered": len(waits), "reached_a_seat": by_seat,
            "took_emergency_path": len(waits) - by_seat,
            "to_person_or_emergency_s": {"p50": secs(0.5), "p99": secs(0.99),
                                         "max": None if top is None else round(top, 3)},
            "to_person_or_emergency_s_real": {
                "p99": None if secs(0.99) is None else round(secs(0.99) * factor, 1),
                "max": None if top is None else round(top * factor, 1)},
            "window_s": window_s, "goal": "p99 below 10 s real"}

"""What the wallboard shows, as a pure function of the ACD snapshot and case counters.

Adds what the snapshot does not carry: the Erlang C staffing estimate for the current
arrival rate (agents needed for 80% in 15 s, and the service level theory predicts for
the seats staffed now), seats as a list with time in state, and the waiting line with
masked numbers (a wall screen is seen by everyone in the room).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from acd.erlang import agents_needed, erlang_c
from hotline.web.html import mask_phone

TARGET_S = 15.0  # three rings
GOAL = 0.8
DEFAULT_AHT_S = 240.0  # design load model, used until today's first call is handled
STAFFED = ("available", "ringing", "talking", "wrapup")


def staffing(calls_per_hour: float, aht_s: float, staffed: int) -> dict[str, Any]:
    """Erlang C next to reality: agents needed and the level the staffed seats predict."""
    aht = aht_s if aht_s > 0 else DEFAULT_AHT_S
    rate = max(0.0, calls_per_hour)
    predicted = erlang_c(rate, aht, staffed, TARGET_S) if staffed > 0 else None
    return {
        "calls_per_hour": round(rate, 1),
        "aht_s": round(aht, 1),
        "offered_erlang": round(rate * aht / 3600.0, 2),
        "agents_needed": agents_needed(rate, aht, TARGET_S, GOAL) if rate > 0 else 0,
        "staffed": staffed,
        "predicted_service_level": None if predicted is None else round(predicted.service_level,
                                                                         4),
        "predicted_asa_s": None if predicted is None or math.isinf(predicted.asa_s)
        else round(predicted.asa_s, 1),
    }


def seat_rows(per_seat: dict[str, dict[str, Any]], now: float,
              reason_name: Callable[[str], str] = str) -> list[dict[str, Any]]:
    """Seats in order with their state and time in it (the wallboard's and the API's)."""
    return [{"seat": seat, "state": entry.get("state", "unavailable"),
             "name": entry.get("name") or "", "calls": entry.get("calls", 0),
             "paused_reason": entry.get("paused_reason") or "",
             "paused_reason_name": reason_name(entry.get("paused_reason") or ""),
             "since": entry.get("since") or now,
             "for_s": max(0, round(now - float(entry.get("since") or now)))}
            for seat, entry in sorted(per_seat.items())]


def queue_rows(queue: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
    """The waiting line with masked numbers: a wall screen or a CRM sees no full number."""
    return [{"id": q["id"], "kind": q.get("kind", "live"),
             "caller": mask_phone(q.get("caller", "")),
             "waited_s": max(0, round(now - float(q.get("arrived_at") or now))),
             "priority": q.get("priority", 2)} for q in queue]


def build_view(snapshot: dict[str, Any], cases: dict[str, Any] | None,
               queue: list[dict[str, Any]], now: float,
               alarms: list[dict[str, Any]] | None = None,
               reason_name: Callable[[str], str] = str) -> dict[str, Any]:
    """The JSON the wallboard page renders; a pause reason keeps its code (scripts group
    by it) with its name beside it (`reason_name`, hotline.web.pause_reasons)."""
    seats = seat_rows(snapshot.get("per_seat") or {}, now, reason_name)
    staffed = sum(1 for s in seats if s["state"] in STAFFED)
    if not seats:
        by_state = snapshot.get("seats") or {}
        staffed = sum(int(by_state.get(k, 0)) for k in STAFFED)
    return {
        "at": snapshot.get("at"),
        "now": now,
        "stats": {k: v for k, v in snapshot.items() if k not in ("per_seat", "series")},
        "series": snapshot.get("series") or [],
        "seats": seats,
        "staffing": staffing(float(snapshot.get("calls_per_hour") or 0),
                             float(snapshot.get("aht_s") or 0), staffed),
        "cases": cases or {},
        "queue": queue_rows(queue, now),
        # elderly emergencies: who and where is for the centre's page, not the wall
        "alarms": [{"room": a["room"], "terminal": a.get("terminal", ""),
                    "for_s": max(0, round(now - float(a.get("raised_at") or now)))}
                   for a in alarms or []],
    }

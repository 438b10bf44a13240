"""Dispatch gaps from AMI events: how long a free seat sat idle while a caller waited.

A pure function over AMI events (each a dict with Asterisk's own ``Timestamp``, as
manager.conf's ``timestampevents = yes`` adds), read the same way for every engine:

* A seat is freed when the last of its channels (``PJSIP/<seat>-...``) hangs up, plus
  the engine's wrap-up if that channel was answered (went Up). The bench gives the
  hotline and app_queue the same whole-second wrap-up. A seat that only rang (ringall's
  losers, a ring that timed out) is free at its Hangup.
* The next INVITE towards the seat is the next ``Newchannel`` of a ``PJSIP/<seat>-``
  channel. Newchannel rather than DialBegin: every leg towards a seat starts with one
  whichever application places it (Dial in the IVR, app_queue's member calls, an AMI
  Originate for a callback, which has no Dial of its own), and chan_pjsip sends the
  INVITE right after allocating the channel.
* A live caller is a trunk channel that started its call (``Linkedid == Uniqueid``, so
  never the outbound leg of a callback), optionally with one of the plan's caller
  numbers. It waits from its Newchannel until a seat answered its Dial or Queue
  (``DialEnd`` ANSWER, which comes before ringall's losers hang up), it goes Up (a seat
  answered and Dial/Queue answered the caller, or the IVR answered it when no seat
  took it in the window), enters a bridge, or hangs up. app_queue's ``Queue(...,r)``
  gives ringback and never answers a waiting caller, so there Up means a member took it.
* A gap opens when a seat is freed while at least one caller waits, and is the time to
  the seat's next Newchannel (negative if the engine rang the seat inside its wrap-up).
  If before that INVITE a moment comes when nobody waits any more (other seats took
  them all, they left), the seat had no one left to serve: the gap is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from acd.percentile import percentile

Event = dict[str, Any]
UP = "6"  # ChannelState of an answered channel


def stamp(event: Event) -> float:
    return float(event["Timestamp"])


def _channel_seat(channel: str, seats: set[str]) -> str | None:
    if not channel.startswith("PJSIP/"):
        return None
    seat = channel[len("PJSIP/"):].rsplit("-", 1)[0]
    return seat if seat in seats else None


@dataclass
class GapResult:
    gaps_s: list[float] = field(default_factory=list)
    dropped: int = 0  # freed with a caller waiting, but nobody waited by the next INVITE
    freed_with_caller_waiting: int = 0

    def figures(self) -> dict[str, Any]:
        ms = [g * 1000 for g in self.gaps_s]
        p50, p99 = percentile(ms, 0.5), percentile(ms, 0.99)
        return {"dispatch_gap_ms_p50": None if p50 is None else round(p50),
                "dispatch_gap_ms_p99": None if p99 is None else round(p99),
                "dispatch_gaps": len(ms), "dispatch_gaps_dropped": self.dropped}


def waiting_intervals(events: Sequence[Event], callers: Iterable[str] | None = None,
                      trunk: str = "trunk") -> list[tuple[float, float]]:
    """[start, end) of every live caller's wait; end is +inf if the events end first."""
    wanted = None if callers is None else set(callers)
    start: dict[str, float] = {}
    spans = []
    prefix = f"PJSIP/{trunk}-"
    for event in sorted(events, key=stamp):
        kind, uid = event.get("Event"), event.get("Uniqueid", "")
        if kind == "Newchannel":
            if (str(event.get("Channel", "")).startswith(prefix)
                    and event.get("Linkedid", uid) == uid
                    and (wanted is None or event.get("CallerIDNum") in wanted)):
                start[uid] = stamp(event)
            continue
        if uid not in start:
            continue
        ends = (kind in ("Hangup", "BridgeEnter")
                or (kind == "Newstate" and str(event.get("ChannelState")) == UP)
                or (kind == "DialEnd" and event.get("DialStatus") == "ANSWER"))
        if ends:
            spans.append((start.pop(uid), stamp(event)))
    spans.extend((t, math.inf) for t in start.values())
    return sorted(spans)


def _covered(spans: Sequence[tuple[float, float]], low: float, high: float) -> bool:
    """Someone waits at every moment of [low, high]."""
    reach = low
    for begin, end in spans:
        if begin > reach:
            break
        reach = max(reach, end)
        if reach >= high:
            return True
    return reach >= high


def dispatch_gaps(events: Sequence[Event], seats: Iterable[str], wrapup_s: float,
                  callers: Iterable[str] | None = None, trunk: str = "trunk") -> GapResult:
    """Every gap between a seat freed while a caller waited and its next INVITE."""
    seat_set = set(seats)
    spans = waiting_intervals(events, callers, trunk)
    ordered = sorted(events, key=stamp)
    live: dict[str, dict[str, bool]] = {s: {} for s in seat_set}  # seat -> uid -> answered
    freed: list[tuple[str, float, float]] = []  # (seat, free at, hung up)
    created: dict[str, list[float]] = {s: [] for s in seat_set}
    for event in ordered:
        seat = _channel_seat(str(event.get("Channel", "")), seat_set)
        if seat is None:
            continue
        kind, uid = event.get("Event"), event.get("Uniqueid", "")
        if kind == "Newchannel":
            live[seat][uid] = False
            created[seat].append(stamp(event))
        elif kind == "Newstate" and str(event.get("ChannelState")) == UP and uid in live[seat]:
            live[seat][uid] = True
        elif kind == "Hangup" and uid in live[seat]:
            answered = live[seat].pop(uid)
            if not live[seat]:
                freed.append((seat, stamp(event) + (wrapup_s if answered else 0.0),
                              stamp(event)))
    result = GapResult()
    for seat, free_at, hung_up in freed:
        if not any(b <= free_at < e for b, e in spans):
            continue
        result.freed_with_caller_waiting += 1
        following = [t for t in created[seat] if t > hung_up]
        if not following:  # the events ended first: no gap to measure
            continue
        invite = following[0]
        if invite > free_at and not _covered(spans, free_at, invite):
            result.dropped += 1
            continue
        result.gaps_s.append(invite - free_at)
    return result

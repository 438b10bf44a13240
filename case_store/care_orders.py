"""Care services from an elderly person's plan (meals, cleaning, bathing, nursing
visits), ordered from partner companies like any life-service request: a case of kind
``life`` that routing dispatches to a company, with the 10-minute contact rule and the
follow-up visit that every case gets.

Each plan entry ({"service", "days", "time"}) orders once on each of its days, at its
time (Shanghai), or at 08:00 without one; a Redis key per order keeps a restart or a
second process from ordering twice. One process orders at a time (the singleton lock).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, time

from case_store.elderly import falls_on
from case_store.workdays import SHANGHAI

log = logging.getLogger(__name__)

DEFAULT_TIME = "08:00"
KEEP_S = 2 * 86400
# a plan's words for a service -> the catalog topic (and so the partner trade)
TOPICS = {"meals": "meal", "meal": "meal", "助餐": "meal", "送餐": "meal",
          "cleaning": "housekeeping", "保洁": "housekeeping", "家政": "housekeeping",
          "medical": "hospital_booking", "陪诊": "hospital_booking"}
OTHER_TOPIC = "elderly_care"  # bathing, nursing visits and anything else: home care


@dataclass(frozen=True)
class Order:
    key: str  # "<terminal> <service> <date> <time>": one order each
    terminal: str
    service: str
    topic: str


def due_orders(terminal: str, plan: tuple[dict[str, str], ...] | list[dict[str, str]],
               now: datetime) -> list[Order]:
    """The plan entries whose time today has come (whether ordered yet is not known here)."""
    local = now.astimezone(SHANGHAI)
    out = []
    for entry in plan:
        at = entry.get("time") or DEFAULT_TIME
        if falls_on(entry.get("days", "daily"), local) and local.time() >= time.fromisoformat(at):
            service = entry["service"]
            out.append(Order(f"{terminal} {service} {local.date().isoformat()} {at}", terminal,
                             service, TOPICS.get(service.lower(), OTHER_TOPIC)))
    return out


class CareOrders:
    def __init__(self, registry, store, redis, prefix: str) -> None:
        self.registry = registry
        self.store = store
        self.redis = redis
        self.prefix = prefix

    async def run_once(self, now: datetime) -> list[str]:
        """Order what is due; returns the new cases' numbers."""
        made = []
        for profile in await asyncio.to_thread(self.registry.list_profiles):
            if not profile.active:
                continue
            for order in due_orders(profile.terminal, profile.care_plan, now):
                if not await self.redis.set(f"{self.prefix}:care-order:{order.key}", "1",
                                            nx=True, ex=KEEP_S):
                    continue  # ordered already (this process or another, before a restart)
                try:
                    made.append(await asyncio.to_thread(self._order, profile, order))
                except Exception:
                    await self.redis.delete(f"{self.prefix}:care-order:{order.key}")
                    raise
        return made

    def _order(self, profile, order: Order) -> str:
        case = self.store.create_case(
            channel="terminal", caller=profile.terminal, caller_name=profile.name,
            kind="life", topic=order.topic, place=profile.address or None, elderly=True,
            text=f"服务计划：{order.service}（{profile.name}，{profile.address}）",
            actor="care_plan")
        routed = self.store.route(case.number, actor="care_plan")
        log.info("care plan %s: %s ordered as case %s (%s)", order.terminal, order.service,
                 case.number, routed.owner)
        return case.number

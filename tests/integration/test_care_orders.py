"""A care plan's service becomes a case dispatched to a partner company, once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from acd.callback_numbers import NumberPlan
from case_store.care_orders import CareOrders
from case_store.elderly import ElderlyRegistry
from tests.integration.case_support import case_clock, case_db, cases  # noqa: F401

pytestmark = pytest.mark.integration


async def test_a_due_service_is_ordered_from_a_company_once(cases):  # noqa: F811
    registry = ElderlyRegistry(cases.engine, check_number=NumberPlan().national)
    registry.upsert("9003", name="张阿姨", address="婺城区八一北街1号",
                    care_plan=[{"service": "助餐", "days": "daily", "time": "00:00"}])
    redis = Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)
    prefix = f"care-test:{uuid.uuid4().hex[:8]}"
    try:
        orders = CareOrders(registry, cases, redis, prefix)
        [number] = await orders.run_once(datetime.now(UTC))
        case = cases.get_case(number)
        assert (case.kind, case.topic, case.owner_type) == ("life", "meal", "company")
        assert case.contact_due_at is not None  # the company's 10 minutes
        assert await orders.run_once(datetime.now(UTC)) == []  # not twice
    finally:
        async for key in redis.scan_iter(match=f"{prefix}:*"):
            await redis.delete(key)
        await redis.aclose()

"""Waiting on the real stack in the ACD tests: until a condition holds, a seat is free."""

from __future__ import annotations

import asyncio
import time


async def until(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def seat_state(service, seat: str) -> str:
    return (await service.acd.board.get(seat))["state"]


async def available(service, *seats: str) -> None:
    for seat in seats:
        async def free(seat=seat):
            return await seat_state(service, seat) == "available"
        await until(free, what=f"seat {seat} available")


def of_caller(number: str):
    return lambda event: event.get("caller") == number

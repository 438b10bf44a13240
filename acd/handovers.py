"""Transfers announced to the ACD, so a seat's ending is logged as the transfer it was.

The desk (any process) moves the caller off a seat over AMI; the seat's Dial then
returns ANSWER in the process whose IVR holds the caller, and that process writes the
queue_log ending. The desk marks the call in Redis just before it moves the caller
(unmarked again when Asterisk refuses), and the ending takes the mark in the same step
as it reads it: BLINDTRANSFER / ATTENDEDTRANSFER instead of COMPLETECALLER/COMPLETEAGENT.
A mark nobody takes (the caller hung up first) expires.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import RedisError

from acd.queue_log import Handover

log = logging.getLogger(__name__)

MARK_TTL_S = 120  # far longer than a Dial takes to return once its caller is moved


class Handovers:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def key(self, uniqueid: str) -> str:
        return f"{self.prefix}:handover:{uniqueid}"

    @asynccontextmanager
    async def marked(self, uniqueid: str, handover: Handover) -> AsyncIterator[None]:
        """The call is marked while the block moves the caller; unmarked again when the
        block fails (Asterisk refused, or AMI went away). With Redis away the caller is
        still moved: only the queue_log's ending is lost (a completion, not a transfer)."""
        try:
            await self.redis.set(self.key(uniqueid), handover.text(), ex=MARK_TTL_S)
        except RedisError as exc:
            log.warning("transfer of %s not marked for the queue_log (%s)", uniqueid, exc)
        try:
            yield
        except BaseException:
            with contextlib.suppress(RedisError):  # an expiring mark, at worst
                await self.redis.delete(self.key(uniqueid))
            raise

    async def take(self, uniqueid: str) -> Handover | None:
        """The call's mark, removed as it is read (GETDEL): one ending per transfer."""
        text = await self.redis.getdel(self.key(uniqueid))
        if text is None:
            return None
        return Handover.of_text(text.decode() if isinstance(text, bytes) else text)

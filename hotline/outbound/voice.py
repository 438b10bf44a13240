"""A message read to the citizen by an automatic call (the `reply` FastAGI route).

The call is placed like a follow-up call: on the trunk for a number the callback dial
plan allows, on its own endpoint for an elderly terminal, never to anything else. While
it is in the air the citizen's follow-up line key is held, so the follow-up dialler
does not ring the same person at the same moment. Answered, the message is pending:
the route marks it heard once it has been played through, and a citizen who hung up
before that leaves it to be tried again when its lease runs out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from acd.callback_numbers import NumberPlan
from case_store.deliveries import DeliveryView
from hotline.outbound.outcome import Outcome, failed
from ivr.followup.dialler import line_key

CALL_LIMIT_S = 180  # longest a reply call holds the citizen's line key
OriginateAndWait = Callable[[dict, float], Awaitable[bool]]


class VoiceReply:
    channel = "voice"

    def __init__(self, originate_and_wait: OriginateAndWait, plan: NumberPlan, redis,
                 prefix: str, ring_s: int, hotline_number: str) -> None:
        self.originate_and_wait = originate_and_wait
        self.plan = plan
        self.redis = redis
        self.prefix = prefix
        self.ring_s = ring_s
        self.hotline_number = "".join(ch for ch in hotline_number if ch.isdigit())

    async def send(self, message: DeliveryView) -> Outcome:
        verdict = self.plan.check(message.address)
        if not verdict.dialable:
            return failed(f"not dialled: {verdict.reason}", permanent=True)
        number = verdict.number
        key = line_key(self.prefix, number)
        if not await self.redis.set(key, f"delivery:{message.id}", nx=True,
                                    ex=self.ring_s + CALL_LIMIT_S):
            return failed("another call to this number is in the air")
        channel = f"PJSIP/{number}" if verdict.kind == "terminal" else f"PJSIP/{number}@trunk"
        try:
            answered = await self.originate_and_wait({
                "Channel": channel, "Context": "reply", "Exten": "s", "Priority": "1",
                "Timeout": str(self.ring_s * 1000),
                "CallerID": f'"8890" <{self.hotline_number}>',
                "Variable": f"REPLY_DELIVERY={message.id},REPLY_LINE={number}",
            }, self.ring_s + 10)
        except Exception:
            await self.redis.delete(key)
            raise
        if not answered:
            await self.redis.delete(key)
            return failed("no answer")
        return Outcome(pending=True, ref=f"call:{number}")

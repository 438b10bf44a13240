"""SMS through the operator's HTTP gateway.

The request is ``POST <url>`` with a bearer token and ``{"to", "text", "ref"}``; the
gateway answers 2xx with ``{"id": ...}``. ``Idempotency-Key`` carries the message id, so
a retry after a lost answer is not a second SMS. A 4xx other than 408/429 is the
gateway refusing this message (a bad number): not worth a retry; 5xx, 408, 429 and a
broken connection are tried again later.
"""

from __future__ import annotations

import json

import aiohttp

from case_store.deliveries import DeliveryView
from hotline.outbound.outcome import Outcome, failed

RETRYABLE = {408, 429}
TIMEOUT_S = 10.0


class HttpSms:
    channel = "sms"

    def __init__(self, url: str, token: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.token = token
        self.session = session

    async def send(self, message: DeliveryView) -> Outcome:
        headers = {"Authorization": f"Bearer {self.token}",
                   "Idempotency-Key": f"hotline-delivery-{message.id}"}
        body = {"to": message.address, "text": message.text, "ref": str(message.id)}
        try:
            async with self.session.post(self.url, json=body, headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as r:
                raw = await r.read()
                if 200 <= r.status < 300:
                    return Outcome(sent=True, ref=_message_id(raw))
                reason = f"gateway answered {r.status}"
                return failed(reason, permanent=r.status < 500 and r.status not in RETRYABLE)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return failed(f"gateway unreachable: {type(exc).__name__}")


def _message_id(raw: bytes) -> str:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return ""
    return str(data.get("id", ""))[:120] if isinstance(data, dict) else ""

"""WeChat customer-service messages (客服消息) to the citizen who wrote to the account.

An access token comes from ``/cgi-bin/token`` (app id and secret) and is reused until a
minute before it expires, or until WeChat says it is stale (40001, 40014, 42001: fetched
again once). ``/cgi-bin/message/custom/send`` then takes ``{"touser", "msgtype": "text"}``.
WeChat lets an account write to a user only within 48 hours of the user's last
message (45015, 45047): a permanent failure here, and the sender falls back to SMS.
"""

from __future__ import annotations

import time

import aiohttp

from case_store.deliveries import DeliveryView
from hotline.outbound.outcome import Outcome, failed

STALE_TOKEN = {40001, 40014, 42001}
OUT_OF_WINDOW = {45015, 45047}  # the user has not written for 48 hours / too many messages
REFUSED = {40003, 43004, 45002, *OUT_OF_WINDOW}  # bad openid, unfollowed, too long
TIMEOUT = aiohttp.ClientTimeout(total=10.0)


class WechatMessages:
    channel = "wechat"

    def __init__(self, api: str, appid: str, secret: str,
                 session: aiohttp.ClientSession) -> None:
        self.api = api.rstrip("/")
        self.appid = appid
        self.secret = secret
        self.session = session
        self._token = ""
        self._token_until = 0.0

    async def _access_token(self, fresh: bool = False) -> str:
        if fresh or not self._token or time.monotonic() >= self._token_until:
            params = {"grant_type": "client_credential", "appid": self.appid,
                      "secret": self.secret}
            async with self.session.get(f"{self.api}/cgi-bin/token", params=params,
                                        timeout=TIMEOUT) as r:
                data = await r.json(content_type=None)
            if not isinstance(data, dict) or not data.get("access_token"):
                raise TokenError(f"no access token (errcode {_errcode(data)})")
            self._token = str(data["access_token"])
            self._token_until = time.monotonic() + max(0, int(data.get("expires_in", 7200)) - 60)
        return self._token

    async def send(self, message: DeliveryView) -> Outcome:
        body = {"touser": message.address, "msgtype": "text",
                "text": {"content": message.text}}
        try:
            for fresh in (False, True):
                token = await self._access_token(fresh)
                async with self.session.post(f"{self.api}/cgi-bin/message/custom/send",
                                             params={"access_token": token}, json=body,
                                             timeout=TIMEOUT) as r:
                    data = await r.json(content_type=None)
                code = _errcode(data)
                if code == 0:
                    return Outcome(sent=True, ref=str(data.get("msgid", ""))[:120])
                if code not in STALE_TOKEN:
                    return failed(f"WeChat errcode {code}", permanent=code in REFUSED)
            return failed("WeChat keeps refusing fresh access tokens")
        except TokenError as exc:
            return failed(str(exc))
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return failed(f"WeChat unreachable: {type(exc).__name__}")


class TokenError(Exception):
    pass


def _errcode(data: object) -> int:
    if not isinstance(data, dict):
        return -1
    try:
        return int(data.get("errcode", 0))
    except (TypeError, ValueError):
        return -1

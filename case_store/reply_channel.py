"""Which channel a message to a citizen goes out on: a pure function of the case.

The citizen hears back where they spoke: a WeChat message answers WeChat, an SMS
answers SMS. A phone call or a one-touch terminal is answered by an automatic call that
reads the text (by SMS instead when the operator prefers it and the number is a mobile).
A web request gets an SMS when its number is a mobile, else a call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SMS, WECHAT, VOICE = "sms", "wechat", "voice"
CHANNELS = (SMS, WECHAT, VOICE)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class Route:
    channel: str
    address: str  # phone digits, or the WeChat user's openid


def is_mobile(number: str) -> bool:
    return bool(_MOBILE.match(number))


def digits(number: str) -> str:
    """The number as digits only ('' when it holds anything else than digits, + - space)."""
    text = number.strip()
    if any(ch not in "0123456789+- " for ch in text):
        return ""
    out = "".join(ch for ch in text if ch.isdigit())
    if out.startswith("86") and len(out) == 13:  # +86 / 0086 mobile: national form
        out = out[2:]
    elif out.startswith("0086"):
        out = out[4:]
    return out if 3 <= len(out) <= 20 else ""


def route_for(case_channel: str, phone: str, wechat_user: str = "", *,
              phone_by_sms: bool = False) -> Route | None:
    """Where a message about this case goes, or None when there is no way to reach them."""
    number = digits(phone)
    if case_channel == WECHAT and wechat_user:
        return Route(WECHAT, wechat_user)
    if not number:
        return None
    if case_channel == SMS and is_mobile(number):
        return Route(SMS, number)
    if case_channel in ("phone", "terminal"):
        if phone_by_sms and case_channel == "phone" and is_mobile(number):
            return Route(SMS, number)
        return Route(VOICE, number)
    return Route(SMS, number) if is_mobile(number) else Route(VOICE, number)

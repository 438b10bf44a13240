"""WeChat's webhook signature: sha1 of the sorted token, timestamp and nonce.

WeChat signs every request (the GET handshake and each message POST) with the token the
operator typed into its console. The token is a secret like the AMI one (``Config.
wechat_token``: ``HOTLINE_WECHAT_TOKEN``, or generated once into ``secrets.toml``).
"""

from __future__ import annotations

import hashlib
import hmac

WINDOW_S = 300  # a signed request older or newer than this is refused


def signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode()).hexdigest()  # noqa: S324 - WeChat's scheme


def valid(token: str, timestamp: str, nonce: str, given: str) -> bool:
    """True only for a configured token and a matching signature (constant-time compare)."""
    if not token or not timestamp or not nonce or not given:
        return False
    return hmac.compare_digest(signature(token, timestamp, nonce), given.lower())


def fresh(timestamp: str, now: float, window_s: float = WINDOW_S) -> bool:
    """Within `window_s` of now: a captured request cannot be replayed later."""
    try:
        return abs(now - int(timestamp)) <= window_s
    except ValueError:
        return False

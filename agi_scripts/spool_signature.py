"""The signature on a safety-net request: the ACD dials whatever the spool holds, so a
file anyone could drop there would be a callback to any number. HMAC-SHA256 with the
local spool key over the request's canonical JSON. Standard library only: it also runs
inside Asterisk's root, beside hotline_fallback.py."""

from __future__ import annotations

import hashlib
import hmac
import json

FIELD = "signature"


def _canonical(request: dict) -> bytes:
    body = {k: v for k, v in request.items() if k != FIELD}
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def sign(request: dict, key: str) -> dict:
    """The request with its signature field."""
    digest = hmac.new(key.encode(), _canonical(request), hashlib.sha256).hexdigest()
    return {**request, FIELD: digest}


def valid(request: dict, key: str) -> bool:
    given = request.get(FIELD)
    if not key or not isinstance(given, str):
        return False
    expected = hmac.new(key.encode(), _canonical(request), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)

"""WeChat's webhook signature: sha1 of the sorted token, timestamp and nonce.

WeChat signs every request (the GET handshake and each message POST) with the token the
operator typed into its console. The token is a secret like the AMI one: taken from
``HOTLINE_WECHAT_TOKEN`` or generated once into ``<state_dir>/secrets.toml`` (0600),
never from the repository.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tomllib
from pathlib import Path

TOKEN_KEY = "wechat_token"  # noqa: S105 - the key in secrets.toml, not a secret


def signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode()).hexdigest()  # noqa: S324 - WeChat's scheme


def valid(token: str, timestamp: str, nonce: str, given: str) -> bool:
    """True only for a configured token and a matching signature (constant-time compare)."""
    if not token or not timestamp or not nonce or not given:
        return False
    return hmac.compare_digest(signature(token, timestamp, nonce), given.lower())


def wechat_token(state_dir: Path, env: dict[str, str] | None = None) -> str:
    """The configured token, or one generated into the secrets file on first use."""
    env = dict(os.environ) if env is None else env
    if env.get("HOTLINE_WECHAT_TOKEN"):
        return env["HOTLINE_WECHAT_TOKEN"]
    path = state_dir / "secrets.toml"
    stored = tomllib.loads(path.read_text()) if path.exists() else {}
    if not stored.get(TOKEN_KEY):
        stored[TOKEN_KEY] = secrets.token_hex(16)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(f'{k} = "{v}"\n' for k, v in sorted(stored.items()))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(body)
    return str(stored[TOKEN_KEY])

"""The hotline's own Redis: `hotline redis up|down|status`.

Loopback only, a password from the local secrets (``redis_password``), the append-only
file on (seats' logins and callbacks being placed survive a restart), and none of
Redis's dangerous commands (FLUSHALL, CONFIG SET, DEBUG, SHUTDOWN, ...) for the client:
someone holding the hotline's password still cannot wipe or reconfigure it. Its
configuration holds only the password's SHA-256. With no ``[redis] url`` the hotline
uses this one; an external Redis is given with credentials in that URL instead.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from hotline.config import Config

# the client may read CONFIG (the append-only check at start) but nothing dangerous else
CLIENT_RULES = "~* &* +@all -@dangerous +config|get"


class OwnRedisError(RuntimeError):
    """The hotline's own Redis could not be started or reached."""


def conf_text(cfg: Config, folder: Path) -> str:
    """redis.conf for this instance: pure, so a test reads what Redis gets."""
    digest = hashlib.sha256(cfg.redis_password.encode()).hexdigest()
    return "\n".join([
        "bind 127.0.0.1 -::1",
        "protected-mode yes",
        f"port {cfg.redis_port}",
        "daemonize yes",
        f"pidfile {folder / 'redis.pid'}",
        f"logfile {folder / 'redis.log'}",
        f"dir {folder}",
        'save ""',
        "appendonly yes",
        "appendfsync everysec",
        f"user default on #{digest} {CLIENT_RULES}",
        "",
    ])


class OwnRedis:
    """Start, stop and check this config instance's own Redis."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.folder = cfg.instance_dir / "redis"

    def _client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.cfg.redis_port,
                           password=self.cfg.redis_password, socket_timeout=2)

    def running(self) -> bool:
        try:
            with self._client() as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def up(self) -> None:
        """Idempotent: (re)write the configuration, start Redis if it is not answering."""
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(binary):
            raise OwnRedisError("redis-server is missing: apt-get install redis-server")
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        conf = self.folder / "redis.conf"
        fd = os.open(conf.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(conf_text(self.cfg, self.folder))
        conf.with_suffix(".tmp").replace(conf)
        if self.running():
            return
        result = subprocess.run([binary, str(conf)], capture_output=True, text=True,
                                umask=0o077)
        if result.returncode != 0:
            raise OwnRedisError(f"redis-server did not start: {result.stderr.strip()}")
        deadline = time.monotonic() + 10
        while not self.running():
            if time.monotonic() > deadline:
                log = self.folder / "redis.log"
                tail = log.read_text(errors="replace").splitlines()[-5:] if log.exists() else []
                raise OwnRedisError("redis-server did not answer:\n" + "\n".join(tail))
            time.sleep(0.1)

    def down(self) -> bool:
        """SIGTERM (the client may not SHUTDOWN): Redis syncs its file and exits."""
        try:
            pid = int((self.folder / "redis.pid").read_text().strip())
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError):
            return False
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        return True

"""A Redis Sentinel group of the tests' own: one primary, one replica, three sentinels.

Real redis-server processes on loopback ports (the sentinels are `redis-server
--sentinel`), in a folder of the caller's, so a test can kill the primary and watch
Sentinel promote the replica. Fast timings (down after 2 s) keep a failover to a few
seconds; production uses Sentinel's defaults or its own.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import redis

SERVICE = "hotline"
DOWN_AFTER_MS = 2000  # a loaded CI machine must not look like a dead primary
FAILOVER_TIMEOUT_MS = 5000


class SentinelGroup:
    """Start, kill and ask the group; ``url`` is what the hotline is given."""

    def __init__(self, folder: Path, base_port: int) -> None:
        self.folder = folder
        self.data_ports = (base_port, base_port + 1)
        self.sentinel_ports = (base_port + 10, base_port + 11, base_port + 12)
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.procs: dict[int, subprocess.Popen] = {}

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def start(self) -> None:
        primary, replica = self.data_ports
        self._data(primary)
        self._data(replica, "--replicaof", "127.0.0.1", str(primary))
        for port in self.sentinel_ports:
            conf = self.folder / f"sentinel-{port}.conf"  # Sentinel rewrites it: its own
            conf.write_text("\n".join([
                f"port {port}", "bind 127.0.0.1", f"dir {self.folder}",
                f"sentinel monitor {SERVICE} 127.0.0.1 {primary} 2",
                f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}",
                f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}",
                f"sentinel parallel-syncs {SERVICE} 1", ""]))
            self.procs[port] = subprocess.Popen([self.binary, str(conf), "--sentinel"],
                                                stdout=subprocess.DEVNULL)
        self.wait_until(lambda: self.replica_in_sync(primary, replica), 20,
                        "the replica in sync and the sentinels watching")

    def _data(self, port: int, *extra: str) -> None:
        folder = self.folder / f"redis-{port}"
        folder.mkdir(exist_ok=True)
        self.procs[port] = subprocess.Popen(
            [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(folder),
             *extra], stdout=subprocess.DEVNULL)

    def primary_port(self) -> int | None:
        """The primary's port as a sentinel reports it (None while nobody knows)."""
        for port in self.sentinel_ports:
            try:
                with redis.Redis(port=port, socket_timeout=1) as sentinel:
                    found = sentinel.sentinel_get_master_addr_by_name(SERVICE)
            except redis.RedisError:
                continue
            if found:
                return int(found[1])
        return None

    def replica_in_sync(self, primary: int, replica: int) -> bool:
        try:
            with redis.Redis(port=replica, socket_timeout=1) as client:
                link = client.info("replication").get("master_link_status")
            known = [self._sees_replica(port) for port in self.sentinel_ports]
        except redis.RedisError:
            return False
        return link == "up" and all(known) and self.primary_port() == primary

    def _sees_replica(self, port: int) -> bool:
        with redis.Redis(port=port, socket_timeout=1) as sentinel:
            return bool(sentinel.sentinel_slaves(SERVICE))

    def kill_primary(self) -> int:
        """SIGKILL the current primary (no goodbye to its clients); its port."""
        port = self.primary_port()
        if port is None:
            raise RuntimeError("no primary known to the sentinels")
        self.procs[port].kill()
        self.procs[port].wait()
        return port

    def wait_until(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise TimeoutError(f"timed out waiting for {what}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()

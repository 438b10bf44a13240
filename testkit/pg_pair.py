"""A PostgreSQL primary and its streaming standby, of the tests' own.

Two clusters made with Debian's PostgreSQL binaries in a folder of the caller's (owned
by the `postgres` account, which initdb insists on), on loopback ports, trust auth for
loopback only. The standby is a `pg_basebackup -R` of the primary and replicates
synchronously (`synchronous_standby_names`): a commit the hotline was told of is on
both, so promoting the standby after the primary is killed loses none. The machine's
own PostgreSQL is not touched, so a test can kill this primary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

ROLE = "hotline"
DATABASE = "hotline"
STANDBY_NAME = "standby"


def _bin(name: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda p: int(p.parent.name))
    if not versions:
        raise RuntimeError("PostgreSQL server binaries are missing: apt-get install postgresql")
    return str(versions[-1] / name)


def _as_postgres(*args: str) -> subprocess.CompletedProcess:
    command = list(args) if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)


class PgPair:
    """``url`` lists both servers; libpq picks whichever accepts writes."""

    def __init__(self, folder: Path, primary_port: int, standby_port: int) -> None:
        self.folder = folder
        self.ports = {"primary": primary_port, "standby": standby_port}
        self.dirs = {name: folder / name for name in self.ports}

    @property
    def url(self) -> str:
        hosts = "&".join(f"host=127.0.0.1:{port}" for port in self.ports.values())
        return (f"postgresql+psycopg://{ROLE}@/{DATABASE}?{hosts}"
                "&target_session_attrs=read-write&connect_timeout=3")

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.folder, "postgres", "postgres")
        primary = self.dirs["primary"]
        _as_postgres(_bin("initdb"), "-D", str(primary), "-A", "trust", "-U", "postgres",
                     "--no-sync")
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write("\n".join([
                "", f"port = {self.ports['primary']}", "listen_addresses = '127.0.0.1'",
                f"unix_socket_directories = '{self.folder}'", "wal_level = replica",
                "max_wal_senders = 4", "hot_standby = on", "fsync = off", ""]))
        (primary / "pg_hba.conf").write_text(
            "local all postgres trust\n"
            "host all all 127.0.0.1/32 trust\n"
            "host replication postgres 127.0.0.1/32 trust\n")
        self._pg_ctl("primary", "start")
        self.sql("primary", f"CREATE ROLE {ROLE} LOGIN")
        self.sql("primary", f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
        standby = self.dirs["standby"]
        _as_postgres(_bin("pg_basebackup"), "-h", "127.0.0.1", "-p",
                     str(self.ports["primary"]), "-U", "postgres", "-D", str(standby), "-R",
                     "-X", "stream", "-c", "fast", "-d",
                     f"application_name={STANDBY_NAME} host=127.0.0.1 "
                     f"port={self.ports['primary']} user=postgres")
        with (standby / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.ports['standby']}\n")
        self._pg_ctl("standby", "start")
        # only now: a synchronous standby that is not there yet would hold every commit
        self.sql("primary", f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'")
        self.sql("primary", "SELECT pg_reload_conf()")
        self.wait_until(lambda: self.sql("primary", "SELECT count(*) FROM pg_stat_replication"
                                         " WHERE sync_state = 'sync'") == "1",
                        30, "the standby streaming synchronously")

    def _pg_ctl(self, name: str, *action: str) -> None:
        _as_postgres(_bin("pg_ctl"), "-D", str(self.dirs[name]), "-l",
                     str(self.folder / f"{name}.log"), "-w", *action)

    def sql(self, name: str, statement: str, database: str = "postgres") -> str:
        """One statement as the superuser on one server; its first value."""
        return _as_postgres("psql", "-h", "127.0.0.1", "-p", str(self.ports[name]), "-U",
                            "postgres", "-d", database, "-qAtc", statement).stdout.strip()

    def kill_primary(self) -> None:
        """Stop the primary the hard way (no checkpoint, clients cut off)."""
        self._pg_ctl("primary", "stop", "-m", "immediate")

    def promote_standby(self) -> None:
        self._pg_ctl("standby", "promote")

    def wait_until(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"timed out waiting for {what}")

    def stop(self) -> None:
        for name in self.ports:
            try:
                self._pg_ctl(name, "stop", "-m", "immediate")
            except subprocess.CalledProcessError:
                pass  # already down

"""Engines and migrations: the SQL edge of the case store.

``migrate(url)`` runs the Alembic scripts shipped in ``case_store/migrations`` without an
alembic.ini. A PostgreSQL URL may carry ``?options=-csearch_path%3Dname`` to live in its
own schema (tests use that so parallel runs never collide).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    """Plain ``postgresql://`` URLs use psycopg 3, the driver the project installs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    """An engine with SQLite made safe for several threads and processes (WAL, FKs)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(url: str | Engine, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (idempotent).

    Every process migrates on start, and several start at once (ACD processes, sites,
    case writers): one at a time migrates, the others then find the schema at head."""
    engine = make_engine(url) if isinstance(url, str) else url
    cfg = alembic_config()
    with _migration_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # held until this transaction ends
            conn.execute(text("SELECT pg_advisory_xact_lock("
                              "hashtext('hotline-migrate:' || current_schema()))"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    if isinstance(url, str):
        engine.dispose()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """SQLite has no advisory lock: a file lock beside the database (one host, as SQLite
    itself). Nothing for PostgreSQL, whose lock is taken inside the migration."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# The database cannot be reached right now (down, restarting, pool exhausted), as
# opposed to refusing what was asked: callers degrade (spool, 503) instead of failing.
DATABASE_UNREACHABLE = (OperationalError, InterfaceError, PoolTimeout)

def upsert_insert(session: Session, model: Any) -> Any:
    """An INSERT that can say ON CONFLICT, so "insert or update" is one atomic statement.

    SQLite and PostgreSQL spell it the same way in SQLAlchemy; other databases are not
    supported by the case store.
    """
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(model)
    if name == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"the case store runs on PostgreSQL or SQLite, not {name}")

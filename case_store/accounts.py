"""Web console accounts and API keys, kept in the case store's SQL database.

Passwords are hashed with scrypt (stdlib) and a per-user salt; API keys are random
tokens of which only a SHA-256 digest is stored (they carry 256 bits of entropy, so a
slow hash adds nothing), so a copy of the database never yields a usable credential.
All methods are synchronous, like ``CaseStore``; aiohttp handlers use ``asyncio.to_thread``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, Engine, ForeignKey, Integer, String, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from case_store.db import make_engine
from case_store.errors import CaseStoreError
from case_store.models import (
    Base,
    CaseEvent,
    Company,
    CompanyEvent,
    Department,
    ProfileView,
    RecordingPlay,
    SupervisionNotice,
)

ROLES = ("agent", "supervisor", "department", "company", "admin", "elderly_centre", "leader")
MACHINE_SCOPES = ("acd:read", "acd:write", "cases:read", "cases:write")  # the machine API
SCOPES = ("open311", "sms", "wechat", "metrics", *MACHINE_SCOPES)
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
MIN_PASSWORD = 10
_KEY_PREFIX = "hk_"
# A removed account that history names keeps its row with this in place of a hash: no
# password matches it (like "!" in /etc/shadow), and `user list` says "retired".
RETIRED_HASH = "!retired"
# Where history names a user: "role:name" actors, listeners and viewers by name.
_ACTORS = (CaseEvent.actor, CompanyEvent.actor, SupervisionNotice.issued_by,
           SupervisionNotice.acknowledged_by)
_NAMED = (RecordingPlay.listener, ProfileView.viewer)


class AccountError(CaseStoreError):
    """An account or key request that cannot be honoured; the message says why."""


class WebUser(Base):
    """A person who logs in to the web console, with one role and what it is tied to."""

    __tablename__ = "web_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    seat: Mapped[str | None] = mapped_column(String(16))
    dept_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    company_code: Mapped[str | None] = mapped_column(ForeignKey("companies.code"))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ApiKey(Base):
    """A machine credential (Open311 writer, SMS/WeChat gateway, metrics scraper)."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


@dataclass(frozen=True)
class UserView:
    """What the web layer may know about a user (never the hash)."""

    id: int
    name: str
    role: str
    seat: str | None = None
    dept: str | None = None
    company: str | None = None
    state: str = "active"  # active | disabled | retired (removed, named by history)

    @classmethod
    def of(cls, row: WebUser) -> UserView:
        state = "retired" if row.password_hash == RETIRED_HASH else \
            "disabled" if row.disabled else "active"
        return cls(row.id, row.name, row.role, row.seat, row.dept_code, row.company_code,
                   state)


@dataclass(frozen=True)
class Removal:
    """What `AccountStore.remove` did: "deleted" (history never named the user) or
    "retired" (kept, unusable, because `references` history rows name them)."""

    name: str
    outcome: str
    references: int


@dataclass(frozen=True)
class KeyView:
    id: int
    label: str
    scope: str

    @property
    def actor(self) -> str:
        """Who acted, in a case's log, when a program acted with this key."""
        return f"api:{self.label}"[:64]


def hash_password(password: str) -> str:
    """argon2id (argon2-cffi's current parameters), self-describing, so they can grow."""
    return _ARGON2.hash(password)


def needs_rehash(stored: str) -> bool:
    """An older scheme (scrypt) or weaker argon2 parameters: upgrade at the next login."""
    return not stored.startswith("$argon2id$") or _ARGON2.check_needs_rehash(stored)


def check_password(password: str, stored: str) -> bool:
    """argon2id, or the scrypt strings of earlier versions; malformed strings fail."""
    if stored.startswith("$argon2"):
        try:
            return _ARGON2.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    return _check_scrypt(password, stored)


def _check_scrypt(password: str, stored: str) -> bool:
    """Constant-time comparison against a stored scrypt string."""
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def password_stamp(password_hash: str) -> str:
    """A short fingerprint of the stored hash: changes with every new password."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


_ARGON2 = PasswordHasher()
_DUMMY_HASH = hash_password(secrets.token_hex(8))


class AccountStore:
    """Users and API keys on the case store's database (migration 0003 adds the tables)."""

    def __init__(self, url: str | Engine) -> None:
        self.engine = make_engine(url) if isinstance(url, str) else url

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def add_user(self, name: str, role: str, password: str, *, seat: str | None = None,
                 dept: str | None = None, company: str | None = None) -> UserView:
        """Create a user; the role decides which tie (seat, department, company) is required."""
        if not _NAME.match(name or ""):
            raise AccountError("user names are 2-64 letters, digits or . _ @ -")
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"passwords need at least {MIN_PASSWORD} characters")
        needs = {"agent": ("seat", seat), "department": ("dept", dept),
                 "company": ("company", company)}.get(role)
        if needs and not needs[1]:
            raise AccountError(f"a {role} account needs --{needs[0]}")
        with self._tx() as s:
            if s.scalar(select(WebUser).where(WebUser.name == name)) is not None:
                raise AccountError(f"user {name!r} already exists")
            if dept and s.get(Department, dept) is None:
                raise AccountError(f"unknown department {dept!r}")
            if company and s.get(Company, company) is None:
                raise AccountError(f"unknown company {company!r}")
            row = WebUser(name=name, role=role,
                          seat=seat if role in ("agent", "supervisor") else None,
                          dept_code=dept if role == "department" else None,
                          company_code=company if role == "company" else None,
                          password_hash=hash_password(password), disabled=False,
                          created_at=datetime.now(UTC))
            s.add(row)
            s.flush()
            return UserView.of(row)

    def authenticate(self, name: str, password: str) -> UserView | None:
        """The user if name and password match an enabled account; same cost either way."""
        with self._tx() as s:
            row = s.scalar(select(WebUser).where(WebUser.name == name))
        if row is None or row.disabled:
            check_password(password, _DUMMY_HASH)  # no timing hint about which names exist
            return None
        if not check_password(password, row.password_hash):
            return None
        if needs_rehash(row.password_hash):
            self._rehash(row.id, password)
        return UserView.of(row)

    def _rehash(self, user_id: int, password: str) -> None:
        with self._tx() as s:
            row = s.get(WebUser, user_id)
            if row is not None:
                row.password_hash = hash_password(password)

    def set_password(self, name: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"passwords need at least {MIN_PASSWORD} characters")
        with self._tx() as s:
            row = s.scalar(select(WebUser).where(WebUser.name == name))
            if row is None:
                raise AccountError(f"no user {name!r}")
            if row.password_hash == RETIRED_HASH:
                raise AccountError(f"user {name!r} was removed; add a new user instead")
            row.password_hash = hash_password(password)

    def disable(self, name: str) -> None:
        with self._tx() as s:
            row = s.scalar(select(WebUser).where(WebUser.name == name))
            if row is None:
                raise AccountError(f"no user {name!r}")
            row.disabled = True

    def delete(self, name: str) -> bool:
        """Remove a user outright (a demo's own accounts); their open sessions end, as
        `session_stamp` finds no row. False if there was none."""
        with self._tx() as s:
            row = s.scalar(select(WebUser).where(WebUser.name == name))
            if row is None:
                return False
            s.delete(row)
            return True

    def remove(self, name: str) -> Removal:
        """Remove an account for good; its open sessions end either way.

        Case logs, notices, recording plays and profile views name users, are append-only,
        and are the audit trail. A user they name is therefore retired, not deleted: the
        row stays so the name is never given to someone else, but it is disabled, has no
        password and no seat, department or company any more. A user history never named
        is deleted outright."""
        with self._tx() as s:
            row = s.scalar(select(WebUser).where(WebUser.name == name))
            if row is None:
                raise AccountError(f"no user {name!r}")
            references = _history_references(s, name)
            if not references:
                s.delete(row)
                return Removal(name, "deleted", 0)
            row.disabled = True
            row.password_hash = RETIRED_HASH
            row.seat = row.dept_code = row.company_code = None
            return Removal(name, "retired", references)

    def session_stamp(self, user_id: int) -> str | None:
        """What a live session must still match: None once the user is disabled or gone,
        a new value once the password changed (so both end every open session)."""
        with self._tx() as s:
            row = s.get(WebUser, user_id)
        return None if row is None or row.disabled else password_stamp(row.password_hash)

    def list_users(self) -> list[UserView]:
        with self._tx() as s:
            return [UserView.of(r) for r in s.scalars(select(WebUser).order_by(WebUser.name))]

    def add_api_key(self, label: str, scope: str) -> str:
        """Create a key and return it once; only its digest is kept."""
        return self.add_api_key_with_id(label, scope)[1]

    def add_api_key_with_id(self, label: str, scope: str) -> tuple[int, str]:
        """Create a key: its id (to revoke it by) and the key itself, shown this once."""
        if scope not in SCOPES:
            raise AccountError(f"unknown scope {scope!r}; scopes: {', '.join(SCOPES)}")
        key = _KEY_PREFIX + secrets.token_urlsafe(32)
        with self._tx() as s:
            row = ApiKey(digest=_key_digest(key), label=label[:100], scope=scope,
                         created_at=datetime.now(UTC), revoked_at=None)
            s.add(row)
            s.flush()
            return row.id, key

    def api_keys(self) -> list[dict]:
        """Every key's id, label, scope and dates (never the key: only its digest is kept)."""
        with self._tx() as s:
            rows = s.scalars(select(ApiKey).order_by(ApiKey.id)).all()
            return [{"id": r.id, "label": r.label, "scope": r.scope,
                     "created_at": r.created_at, "revoked_at": r.revoked_at} for r in rows]

    def find_api_key(self, key: str) -> KeyView | None:
        """The key's record if it exists and is not revoked, whatever its scope."""
        if not key or not key.startswith(_KEY_PREFIX) or len(key) > 200:
            return None
        with self._tx() as s:
            row = s.scalar(select(ApiKey).where(ApiKey.digest == _key_digest(key)))
        if row is None or row.revoked_at is not None:
            return None
        return KeyView(row.id, row.label, row.scope)

    def check_api_key(self, key: str, scope: str) -> KeyView | None:
        """The key's record if it exists, is not revoked and has the scope asked for."""
        found = self.find_api_key(key)
        return found if found is not None and found.scope == scope else None

    def revoke_api_key(self, key_id: int) -> None:
        with self._tx() as s:
            row = s.get(ApiKey, key_id)
            if row is None:
                raise AccountError(f"no API key {key_id}")
            row.revoked_at = datetime.now(UTC)


def _history_references(s: Session, name: str) -> int:
    """How many history rows name the user (as "role:name", or by name)."""
    total = 0
    for column in _ACTORS:
        total += s.scalar(select(func.count()).where(
            or_(column == name, column.endswith(f":{name}", autoescape=True)))) or 0
    for column in _NAMED:
        total += s.scalar(select(func.count()).where(column == name)) or 0
    return total

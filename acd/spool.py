"""The local durable spool: what was promised is on disk before the promise is spoken.

While the database is unreachable, a callback's record and its changes and the call
records go here instead: one file per item, written to a temporary name, fsync'd, renamed
into place and the folder fsync'd, so a crash leaves either the whole item or none. Each
item carries its idempotency key (the callback id or the call's unique id), and the
replayer applies the items to SQL in the order they were written, removing each once it
has landed; SQL writes by key are idempotent, so an item replayed twice lands once.

Bounded: past `limit` items `append` raises SpoolFull, and the caller is told nothing
was promised (the dialplan's safety net then takes the call).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


class SpoolFull(Exception):
    """The spool holds its limit: nothing more can be made durable here."""


@dataclass(frozen=True)
class SpoolItem:
    path: Path
    kind: str  # e.g. "callback.save", "callback.update", "call"
    key: str
    payload: dict
    written_at: float


class DurableSpool:
    """Append-only items in one folder, replayed in the order they were written."""

    def __init__(self, folder: Path, limit: int = 10000) -> None:
        self.folder = folder
        self.limit = limit
        self._seq = itertools.count()

    def append(self, kind: str, key: str, payload: dict) -> SpoolItem:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.depth() >= self.limit:
            raise SpoolFull(f"spool {self.folder} holds {self.limit} items")
        now = time.time()
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(self._seq):06d}.json"
        record = {"kind": kind, "key": key, "payload": payload, "written_at": now}
        tmp = self.folder / f".{name}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(record, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        final = self.folder / name
        os.replace(tmp, final)
        self._fsync_folder()
        return SpoolItem(final, kind, key, payload, now)

    def items(self) -> list[SpoolItem]:
        """Everything not yet replayed, oldest first; an unreadable file is set aside."""
        found = []
        for path in (self.folder / name for name in sorted(self._waiting())):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                found.append(SpoolItem(path, str(record["kind"]), str(record["key"]),
                                       dict(record["payload"]),
                                       float(record.get("written_at", 0))))
            except (ValueError, KeyError, TypeError, OSError) as exc:
                log.error("spool item %s unreadable (%s); set aside as .bad", path.name, exc)
                path.rename(path.with_suffix(".bad"))
        return found

    async def replay(self, apply: Callable[[SpoolItem], Awaitable[object]],
                     away: tuple[type[BaseException], ...]) -> tuple[int, int]:
        """Apply the items in order, removing each that landed; stop at the first that
        fails with one of `away` (the target is still unreachable); set aside (.bad) an
        item refused for its content, never retried blindly. Returns (landed, set aside).

        One replayer at a time per folder (two processes of an instance share it): the
        others skip the round while it holds the folder's lock, which dies with it."""
        with self._replay_lock() as mine:
            if not mine:
                return 0, 0
            return await self._replay(apply, away)

    @contextlib.contextmanager
    def _replay_lock(self) -> Iterator[bool]:
        if not self.folder.is_dir():
            yield False
            return
        fd = os.open(self.folder / ".replay.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # releases the lock

    async def _replay(self, apply: Callable[[SpoolItem], Awaitable[object]],
                      away: tuple[type[BaseException], ...]) -> tuple[int, int]:
        landed = set_aside = 0
        for item in self.items():
            try:
                await apply(item)
            except away:
                break
            except Exception:
                log.exception("spool item %s (%s) refused; set aside", item.path.name, item.kind)
                item.path.rename(item.path.with_suffix(".bad"))
                set_aside += 1
                continue
            self.remove(item)
            landed += 1
        return landed, set_aside

    def remove(self, item: SpoolItem) -> None:
        item.path.unlink(missing_ok=True)

    def depth(self) -> int:
        return sum(1 for _ in self._waiting())

    def holds_any(self) -> bool:
        """Anything waiting? Stops at the first item (asked on every write)."""
        return next(self._waiting(), None) is not None

    def _waiting(self) -> Iterator[str]:
        try:
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    if entry.name.endswith(".json") and not entry.name.startswith("."):
                        yield entry.name
        except FileNotFoundError:
            return

    def oldest_age_s(self) -> float:
        """How long the oldest item has waited (0 when empty): the not-draining alarm."""
        oldest = min(self._waiting(), default=None)
        if oldest is None:
            return 0.0
        return max(0.0, time.time() - int(oldest.split("-", 1)[0]) / 1e9)

    def _fsync_folder(self) -> None:
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def prune(folder: Path, patterns: tuple[str, ...], older_than_s: float) -> int:
    """Retention: delete settled files (e.g. *.done) older than the setting."""
    if older_than_s <= 0 or not folder.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    removed = 0
    for pattern in patterns:
        for path in folder.glob(pattern):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
    return removed


async def prune_forever(folder: Path, patterns: tuple[str, ...], older_than_s: float,
                        every_s: float = 3600.0) -> None:
    """A retention job (e.g. recordings): a failed round is logged and tried again."""
    while True:
        try:
            removed = await asyncio.to_thread(prune, folder, patterns, older_than_s)
            if removed:
                log.info("retention: removed %d files older than %.0f days from %s", removed,
                         older_than_s / 86400, folder)
        except OSError as exc:
            log.warning("retention round in %s failed (%s)", folder, exc)
        await asyncio.sleep(every_s)

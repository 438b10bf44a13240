"""The queue_log file: lines queued in memory (bounded), written by one supervised task.

Off the ringing path: `put` never blocks and never raises; a full queue drops the line
and counts it (a report loses a line, no caller waits). The drain task appends batches
in a thread, and rolls the file over to `<name>.1` ... `<name>.<keep>` once it passes
`max_bytes`, as logrotate would: the disk a queue_log takes is bounded. A write that
fails (disk full, folder gone) is logged and retried with the next batch; the task
itself restarts after any error until it is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

QUEUE_LINES = 10000
BATCH = 500
RETRY_S = 1.0


def rotate(path: Path, keep: int) -> None:
    """queue_log -> queue_log.1 -> ... -> queue_log.<keep> (the oldest goes)."""
    for n in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{n + 1}"))
    if path.exists():
        path.replace(path.with_name(f"{path.name}.1"))


def append(path: Path, lines: list[str], max_bytes: int, keep: int) -> None:
    """Append lines, rolling the file over whenever it reaches `max_bytes`."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = 0
    pending: list[str] = []
    for text in lines:
        if max_bytes and size >= max_bytes:
            _write(path, pending)
            rotate(path, keep)
            pending, size = [], 0
        pending.append(f"{text}\n")
        size += len(pending[-1].encode("utf-8"))
    _write(path, pending)


def _write(path: Path, chunks: list[str]) -> None:
    if not chunks:
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write("".join(chunks))


class QueueLogFile:
    """A sink for acd.queue_log.QueueLog writing one file, bounded in memory and on disk."""

    def __init__(self, path: Path, max_bytes: int = 50_000_000, keep: int = 5,
                 queue_lines: int = QUEUE_LINES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.keep = max(1, keep)
        self.queue: asyncio.Queue[str] = asyncio.Queue(queue_lines)
        self.dropped = 0
        self.written = 0
        self._task: asyncio.Task | None = None

    def __call__(self, text: str) -> None:
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped in (1, 100) or self.dropped % 10000 == 0:
                log.warning("queue_log backlog full: %d lines dropped", self.dropped)

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._task = asyncio.get_running_loop().create_task(self._supervised())

    async def stop(self, deadline_s: float = 3.0) -> None:
        """Write what is queued (for at most `deadline_s`), then end the task."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.flush(), deadline_s)
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def flush(self) -> None:
        """Until every line queued so far is on disk (the tests' and stop's wait)."""
        await self.queue.join()

    async def _supervised(self) -> None:
        while True:
            try:
                await self._drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("queue_log writer failed; restarting")
                await asyncio.sleep(RETRY_S)

    async def _drain(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                while True:
                    try:
                        await asyncio.to_thread(append, self.path, batch, self.max_bytes,
                                                self.keep)
                        self.written += len(batch)
                        break
                    except OSError as exc:  # kept in hand, retried; new lines queue behind
                        log.warning("queue_log not written (%s); retrying", exc)
                        await asyncio.sleep(RETRY_S)
            finally:
                for _ in batch:
                    self.queue.task_done()

"""One-off spoken texts for Asterisk to play, such as an emergency's summary.

They hold personal data (a name, an address): readable by Asterisk's group only, and
deleted as soon as they have served (`forget`).
"""

from __future__ import annotations

import asyncio
import grp
import os
from pathlib import Path

from ivr.prompts import SLOW_WPM, PromptError, synthesize

GROUP = "asterisk"  # Asterisk's own account's group (asterisk_conf.run_account)


class SpokenTexts:
    """Writes `<folder>/<name>.wav`; Asterisk plays it as `<sound_prefix>/<name>`."""

    def __init__(self, folder: Path, sound_prefix: str) -> None:
        self.folder = folder
        self.sound_prefix = sound_prefix

    def _path(self, name: str) -> Path:
        safe = "".join(ch for ch in name if ch.isascii() and (ch.isalnum() or ch == "-"))[:64]
        return self.folder / f"{safe}.wav"

    async def speak(self, name: str, text: str) -> str:
        """The sound name to play, or "" when no voice could be made (then nothing plays)."""
        try:
            data = await asyncio.to_thread(synthesize, text, words_per_minute=SLOW_WPM)
        except PromptError:
            return ""
        path = self._path(name)
        await asyncio.to_thread(self._write, path, data)
        return f"{self.sound_prefix}/{path.stem}"

    def _write(self, path: Path, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        try:
            gid = grp.getgrnam(GROUP).gr_gid
        except KeyError:  # no such account: Asterisk runs as this same user
            gid = -1
        if gid != -1 and os.geteuid() == 0:
            os.chown(tmp, -1, gid)
            os.chown(self.folder, -1, gid)
            os.chmod(self.folder, 0o750)  # noqa: S103 - Asterisk's group only
        os.chmod(tmp, 0o640)
        tmp.replace(path)

    async def forget(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

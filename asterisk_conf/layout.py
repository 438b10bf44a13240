"""Where one instance's Asterisk files live, inside Asterisk's root and as Python sees them.

The running hotline needs this too (recordings, the fallback spool, prompts), so it is
kept apart from provisioning: pure paths, no I/O.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    """Where one instance's files live, seen from inside Asterisk's root."""

    root: Path
    chrooted: bool
    instance: str

    def inner(self, kind: str) -> str:
        return f"/{kind}/hotline/{self.instance}"

    @property
    def conf_dir(self) -> str:
        return f"/etc/hotline/{self.instance}"

    @property
    def run_dir(self) -> str:
        return f"/run/hotline/{self.instance}"

    @property
    def spool_dir(self) -> str:
        return self.inner("var/spool")

    @property
    def log_dir(self) -> str:
        return self.inner("var/log")

    @property
    def data_dir(self) -> str:
        return self.inner("var/lib")

    @property
    def agi_dir(self) -> str:
        return f"/usr/share/hotline/{self.instance}/agi-bin"

    @property
    def sounds_dir(self) -> str:
        """Prompts live under Asterisk's sound path so Playback(hotline/NAME) finds them."""
        return "/usr/share/asterisk/sounds/hotline"

    @property
    def comfort_dir(self) -> str:
        """Music on hold of an elderly caller alone in an emergency room (one prompt)."""
        return "/usr/share/asterisk/sounds/hotline-comfort"

    @property
    def summaries_dir(self) -> str:
        """One-off spoken summaries (emergencies), deleted once used."""
        return f"{self.sounds_dir}/emergency"

    @property
    def recordings_dir(self) -> str:
        return f"{self.spool_dir}/recordings"

    @property
    def call_recordings_dir(self) -> str:
        """Where MixMonitor writes conversations a person answered, until the hotline
        takes them into its own store (Asterisk may write here, never read the kept)."""
        return f"{self.spool_dir}/call-recordings"

    @property
    def callback_spool_dir(self) -> str:
        """Where the pyst2 safety net leaves callback requests for the ACD."""
        return f"{self.spool_dir}/callbacks"

    def host(self, inner_path: str) -> Path:
        """The same file as the Python side sees it (the root is shared, no copy)."""
        return self.root / inner_path.lstrip("/")

    @property
    def conf_file(self) -> str:
        return f"{self.conf_dir}/asterisk.conf"


def installed_asterisk() -> str | None:
    return shutil.which("asterisk") or (
        "/usr/sbin/asterisk" if os.path.exists("/usr/sbin/asterisk") else None
    )


def layout_for(state_dir: Path, instance: str) -> Layout:
    """An installed Asterisk runs in /; otherwise in the cached root under the state dir."""
    if installed_asterisk():
        return Layout(root=Path("/"), chrooted=False, instance=instance)
    return Layout(root=state_dir / "asterisk-root", chrooted=True, instance=instance)

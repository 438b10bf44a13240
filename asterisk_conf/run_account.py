"""The unprivileged account Asterisk runs as, and the files it may touch.

Asterisk starts as root only to be told `-U`/`-G`; it drops to this account at once.
The account is the host's own (created if missing), mirrored into the chrooted root
under the same uid: the root's package account has a uid of its own choosing (101 on
Debian sid), which on this host may belong to someone else entirely (PostgreSQL).
Asterisk owns what it writes (run, spool, log, AstDB folders); its configuration and
the spool key stay root's, readable by its group only.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path

ACCOUNT = "asterisk"
# folders the Debian package gave its own account, inside the root
PACKAGE_DIRS = ("etc/asterisk", "var/lib/asterisk", "var/spool/asterisk", "var/log/asterisk",
                "var/run/asterisk", "run/asterisk")


class AccountError(RuntimeError):
    """The run account could not be made or mirrored."""


@dataclass(frozen=True)
class RunAccount:
    name: str
    uid: int
    gid: int

    def args(self) -> list[str]:
        return ["-U", self.name, "-G", self.name]


def host_account(name: str = ACCOUNT) -> RunAccount:
    """The host's system account NAME with a group of its own, made if it is missing."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        result = subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home",
             "--home-dir", "/var/lib/asterisk", "--shell", "/usr/sbin/nologin", name],
            capture_output=True, text=True)
        if result.returncode != 0:
            raise AccountError(f"useradd {name}: {result.stderr.strip()}") from None
        entry = pwd.getpwnam(name)
    return RunAccount(name, entry.pw_uid, entry.pw_gid)


def _rewrite(path: Path, name: str, fields: dict[int, str]) -> int | None:
    """Set FIELDS (index -> value) of NAME's line in a colon file; the old uid/gid, or
    None when the line already matched. A missing line is appended."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        parts = line.split(":")
        if parts[0] != name:
            continue
        old = parts[2]
        wanted = list(parts)
        for position, value in fields.items():
            wanted[position] = value
        if wanted == parts:
            return None
        lines[index] = ":".join(wanted)
        break
    else:
        old = ""
        width = 7 if path.name == "passwd" else 4
        blank = [name, "x"] + [""] * (width - 2)
        for position, value in fields.items():
            blank[position] = value
        lines.append(":".join(blank))
    for other in lines:
        parts = other.split(":")
        if parts[0] != name and len(parts) > 2 and parts[2] == fields[2]:
            raise AccountError(f"{path}: id {fields[2]} already belongs to {parts[0]}")
    tmp = path.with_name(path.name + ".hotline.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(tmp, 0o644)
    tmp.replace(path)
    return int(old) if old.isdigit() else None


def mirror_into_root(root: Path, account: RunAccount) -> None:
    """The root's account files name ACCOUNT with the host's ids; what the package gave
    the old ids is handed over, so no file in the root keeps a stranger's uid."""
    old_uid = _rewrite(root / "etc/passwd", account.name, {
        2: str(account.uid), 3: str(account.gid), 4: "Asterisk (hotline)",
        5: "/var/lib/asterisk", 6: "/usr/sbin/nologin"})
    old_gid = _rewrite(root / "etc/group", account.name, {2: str(account.gid)})
    if old_uid is None and old_gid is None:
        return
    for folder in PACKAGE_DIRS:
        for path in _tree(root / folder):
            stat = path.lstat()
            uid = account.uid if stat.st_uid == old_uid else -1
            gid = account.gid if stat.st_gid == old_gid else -1
            if uid != -1 or gid != -1:
                os.lchown(path, uid, gid)


def _tree(top: Path) -> list[Path]:
    if not top.exists():
        return []
    found = [top]
    for folder, dirs, files in os.walk(top):
        found += [Path(folder) / name for name in dirs + files]
    return found


def hand_over(account: RunAccount, owned: list[Path], readable: list[Path]) -> None:
    """OWNED folders (and all in them) become the account's, mode 0750; READABLE files
    and folders stay root's, group-readable by the account and hidden from others."""
    for top in owned:
        for path in _tree(top):
            os.lchown(path, account.uid, account.gid)
            if path.is_dir() and not path.is_symlink():
                os.chmod(path, 0o750)  # noqa: S103 - the group is its own
    for path in readable:
        os.chown(path, 0, account.gid)
        os.chmod(path, 0o750 if path.is_dir() else 0o640)

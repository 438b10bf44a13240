"""Provision and run Asterisk 22 for the hotline: `hotline asterisk up|down|status|cli`.

An installed Asterisk is used when there is one. Otherwise a Debian sid root with
Asterisk is built once with debootstrap under the state directory (outside the
checkout, so clones and CI reuse it) and Asterisk runs chrooted inside it, bound to
loopback. Each instance gets its own conf/run/spool/log folders inside the root
(``asterisk_conf.layout``), so a test instance never disturbs a running hotline.
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from asterisk_conf.layout import Layout
from asterisk_conf.render import (
    SECRET_FILES,
    SPOOL_KEY_FILE,
    AsteriskValues,
    RenderError,
    render_config,
)
from asterisk_conf.run_account import (
    AccountError,
    RunAccount,
    hand_over,
    host_account,
    mirror_into_root,
)

ASTERISK_UMASK = 0o027  # what Asterisk writes (callers' recordings) is not world-readable

DEBIAN_MIRROR = os.environ.get("HOTLINE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
ROOT_PACKAGES = "asterisk,python3"

Installer = Callable[[Layout], None]  # puts more files into the root (e.g. prompts)


class SandboxError(RuntimeError):
    """Asterisk could not be provisioned, started or reached."""


def hosts_file(hostname: str) -> str:
    """/etc/hosts for the root: loopback under every name the machine answers to."""
    names = " ".join(dict.fromkeys(["localhost", hostname, hostname.split(".")[0]]))
    return f"127.0.0.1\t{names}\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"


def _root_ready(root: Path) -> bool:
    return (root / "usr/sbin/asterisk").exists() and (root / "usr/bin/python3").exists()


def _module_dir(root: Path) -> str:
    for pattern in ("usr/lib/*/asterisk/modules", "usr/lib/asterisk/modules"):
        found = sorted(glob.glob(str(root / pattern)))
        if found:
            return "/" + str(Path(found[0]).relative_to(root))
    raise SandboxError(f"no Asterisk modules folder under {root}")


class Sandbox:
    """Start, stop and talk to the Asterisk of one config instance."""

    def __init__(self, values: AsteriskValues, layout: Layout,
                 installers: tuple[Installer, ...] = (),
                 log: Callable[[str], None] = print) -> None:
        self.values = values
        self.layout = layout
        self.installers = installers
        self.log = log
        self._account: RunAccount | None = None

    def account(self) -> RunAccount | None:
        """Who Asterisk runs as: its own account when we are root (None otherwise:
        then it already runs as the unprivileged user who started it)."""
        if os.geteuid() != 0:
            return None
        if self._account is None:
            try:
                account = host_account()
                if self.layout.chrooted:
                    mirror_into_root(self.layout.root, account)
            except (AccountError, OSError) as exc:
                raise SandboxError(f"Asterisk's run account: {exc}") from exc
            self._account = account
        return self._account

    # ---- building the root ----
    def ensure_root(self) -> float:
        """Build the cached Debian sid root if missing; return seconds spent.

        Instances share the root, so a lock keeps two `up`s from building it at once."""
        if not self.layout.chrooted:
            return 0.0
        root = self.layout.root
        if _root_ready(root):
            return 0.0
        root.parent.mkdir(parents=True, exist_ok=True)
        with open(root.with_name(root.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return 0.0 if _root_ready(root) else self._build_root(root)

    def _build_root(self, root: Path) -> float:
        if os.geteuid() != 0:
            raise SandboxError("building the Asterisk root needs root (debootstrap, chroot)")
        debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
        if not os.path.exists(debootstrap):
            raise SandboxError("debootstrap is missing: apt-get install debootstrap")
        started = time.monotonic()
        building = root.with_name(root.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        building.parent.mkdir(parents=True, exist_ok=True)
        self.log(f"building Asterisk root in {root} (debootstrap sid, about a minute)")
        cmd = [debootstrap, "--variant=minbase", f"--include={ROOT_PACKAGES}", "sid",
               str(building), DEBIAN_MIRROR]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
            raise SandboxError(f"debootstrap failed:\n{tail}")
        shutil.rmtree(root, ignore_errors=True)
        building.rename(root)
        return time.monotonic() - started

    # ---- configuration ----
    def install_config(self) -> None:
        layout = self.layout
        for inner in (layout.conf_dir, layout.run_dir, layout.spool_dir, layout.log_dir,
                      layout.data_dir, layout.agi_dir, layout.sounds_dir,
                      layout.recordings_dir, layout.call_recordings_dir):
            layout.host(inner).mkdir(parents=True, exist_ok=True)
        try:
            rendered = render_config(self.values, layout, _module_dir(layout.root))
        except RenderError as exc:
            raise SandboxError(str(exc)) from exc
        for name, text in rendered.items():
            target = layout.host(f"{layout.conf_dir}/{name}")
            tmp = target.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.chmod(tmp, 0o600 if name in SECRET_FILES else 0o644)
            tmp.replace(target)
        self._install_hosts()
        self._install_agi_scripts()
        self._install_spool_key()
        for install in self.installers:
            install(layout)
        self._hand_over(list(rendered))

    def _hand_over(self, conf_names: list[str]) -> None:
        """What Asterisk writes becomes its account's; what it only reads (its
        configuration with the AMI and SIP secrets, the spool key) stays root's,
        readable by its group."""
        account = self.account()
        if account is None:
            return
        layout = self.layout
        owned = [layout.host(d) for d in (layout.run_dir, layout.spool_dir, layout.log_dir,
                                          layout.data_dir)]
        conf = layout.host(layout.conf_dir)
        readable = [conf, *(conf / name for name in conf_names),
                    layout.host(f"{layout.agi_dir}/{SPOOL_KEY_FILE}")]
        hand_over(account, owned, readable)

    def _install_hosts(self) -> None:
        """The machine's own name in the root's /etc/hosts.

        Asterisk looks its hostname up while setting up calls; without an entry the
        lookup goes to DNS and, when a query is lost under a burst, stalls SIP for the
        resolver's 5 s timeout (every ACK waited: callers heard 200 OK 25 s late)."""
        if not self.layout.chrooted:
            return
        hosts = self.layout.root / "etc/hosts"
        text = hosts_file(socket.gethostname())
        if hosts.exists() and hosts.read_text(encoding="utf-8") == text:
            return
        tmp = hosts.with_name(f"hosts.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(hosts)

    def _install_spool_key(self) -> None:
        """The safety net signs its requests with this key (owner-only, beside it)."""
        target = self.layout.host(f"{self.layout.agi_dir}/{SPOOL_KEY_FILE}")
        fd = os.open(target.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.values.spool_secret)
        target.with_suffix(".tmp").replace(target)

    def _install_agi_scripts(self) -> None:
        """Copy the pyst2 safety-net script and pyst2 itself where Asterisk can run them."""
        import asterisk as pyst2_package
        import six

        agi_dir = self.layout.host(self.layout.agi_dir)
        for script in resources.files("agi_scripts").iterdir():
            if script.name.endswith(".py") and not script.name.startswith("_"):
                target = agi_dir / script.name
                target.write_text(script.read_text(encoding="utf-8"), encoding="utf-8")
                os.chmod(target, 0o755)  # noqa: S103 - Asterisk executes it
        pyst2_src = Path(pyst2_package.__file__).parent
        shutil.copytree(pyst2_src, agi_dir / "asterisk", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy2(six.__file__, agi_dir / "six.py")  # pyst2 needs it

    # ---- running ----
    def _command(self, *args: str) -> list[str]:
        base = ["/usr/sbin/asterisk", "-C", self.layout.conf_file, *args]
        if self.layout.chrooted:
            return ["chroot", str(self.layout.root), *base]
        return base

    def rx(self, command: str, timeout: float = 15) -> subprocess.CompletedProcess:
        """Run one CLI command on the running Asterisk."""
        return subprocess.run(self._command("-rx", command), capture_output=True, text=True,
                              timeout=timeout)

    def running(self) -> bool:
        try:
            result = self.rx("core show uptime", timeout=5)
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0 and "uptime" in result.stdout.lower()

    def _pid(self) -> int | None:
        pid_file = self.layout.host(f"{self.layout.run_dir}/asterisk.pid")
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def _runs_as_its_account(self) -> bool:
        """False for an Asterisk started as root before it had an account (restart it)."""
        account, pid = self.account(), self._pid()
        if account is None or pid is None:
            return True
        return Path(f"/proc/{pid}").stat().st_uid == account.uid

    def up(self) -> dict[str, float]:
        """Idempotent: build if needed, render config, start or reload, wait fully booted."""
        started = time.monotonic()
        build_seconds = self.ensure_root()
        self.install_config()
        running = self.running()
        if running and self._runs_as_its_account():
            self.rx("core reload")
            self.log("asterisk already running: configuration reloaded")
        else:
            if running:
                self.down()  # started as root before it had an account of its own
            stale = self._pid()
            if stale:
                os.kill(stale, signal.SIGKILL)
            for leftover in ("asterisk.ctl", "asterisk.pid"):
                self.layout.host(f"{self.layout.run_dir}/{leftover}").unlink(missing_ok=True)
            # recordings and safety-net files: owner and group only (ASTERISK_UMASK)
            account = self.account()
            start = self._command(*(account.args() if account else ()))
            result = subprocess.run(start, capture_output=True, text=True,
                                    umask=ASTERISK_UMASK)
            if result.returncode != 0:
                raise SandboxError(f"asterisk did not start: {result.stderr.strip()}")
        self._wait_booted(deadline=time.monotonic() + 60)
        return {"build_s": round(build_seconds, 2), "total_s": round(time.monotonic() - started, 2)}

    def _wait_booted(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                result = self.rx("core waitfullybooted", timeout=10)
                if result.returncode == 0 and self.running():
                    return
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.2)
        log_file = self.layout.host(f"{self.layout.log_dir}/messages.log")
        tail = log_file.read_text(errors="replace").splitlines()[-20:] if log_file.exists() else []
        raise SandboxError("asterisk did not finish booting:\n" + "\n".join(tail))

    def down(self, timeout: float = 15) -> bool:
        """Stop cleanly; kill if it will not. Returns whether it was running."""
        pid = self._pid()
        if pid is None and not self.running():
            return False
        self.rx("core stop now", timeout=10)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._pid() is None:
                return True
            time.sleep(0.1)
        pid = self._pid()
        if pid:
            os.kill(pid, signal.SIGKILL)
        return True

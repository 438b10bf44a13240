"""Provision and run Asterisk 22 for the hotline: `hotline asterisk up|down|status|cli`.

An installed Asterisk is used when there is one. Otherwise a Debian sid root with
Asterisk is built once with debootstrap under the state directory (outside the
checkout, so clones and CI reuse it) and Asterisk runs chrooted inside it, bound to
loopback. Each config instance gets its own conf/run/spool/log folders inside the
root, so a test instance never disturbs a running hotline.
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
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hotline.config import Config

DEBIAN_MIRROR = os.environ.get("HOTLINE_DEBIAN_MIRROR", "http://deb.debian.org/debian")
ROOT_PACKAGES = "asterisk,python3"
CONF_FILES = (
    "asterisk.conf",
    "logger.conf",
    "modules.conf",
    "manager.conf",
    "pjsip.conf",
    "extensions.conf",
    "indications.conf",
    "rtp.conf",
    "features.conf",
    "cdr.conf",
    "ccss.conf",
    "musiconhold.conf",
    "queues.conf",
    "cel.conf",
    "acl.conf",
    "udptl.conf",
    "pjproject.conf",
)
SECRET_FILES = {"manager.conf", "pjsip.conf"}


class SandboxError(RuntimeError):
    """Asterisk could not be provisioned, started or reached."""


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
    def recordings_dir(self) -> str:
        return f"{self.spool_dir}/recordings"

    def host(self, inner_path: str) -> Path:
        """The same file as the Python side sees it (the root is shared, no copy)."""
        return self.root / inner_path.lstrip("/")

    @property
    def conf_file(self) -> str:
        return f"{self.conf_dir}/asterisk.conf"


def hosts_file(hostname: str) -> str:
    """/etc/hosts for the root: loopback under every name the machine answers to."""
    names = " ".join(dict.fromkeys(["localhost", hostname, hostname.split(".")[0]]))
    return f"127.0.0.1\t{names}\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"


def _root_ready(root: Path) -> bool:
    return (root / "usr/sbin/asterisk").exists() and (root / "usr/bin/python3").exists()


def installed_asterisk() -> str | None:
    return shutil.which("asterisk") or (
        "/usr/sbin/asterisk" if os.path.exists("/usr/sbin/asterisk") else None
    )


def layout_for(cfg: Config) -> Layout:
    if installed_asterisk():
        return Layout(root=Path("/"), chrooted=False, instance=cfg.instance)
    return Layout(root=cfg.state_dir / "asterisk-root", chrooted=True, instance=cfg.instance)


def _module_dir(root: Path) -> str:
    for pattern in ("usr/lib/*/asterisk/modules", "usr/lib/asterisk/modules"):
        found = sorted(glob.glob(str(root / pattern)))
        if found:
            return "/" + str(Path(found[0]).relative_to(root))
    raise SandboxError(f"no Asterisk modules folder under {root}")


def _phones_section(cfg: Config) -> str:
    """PJSIP sections for seats (context from-seat) and terminals (from-terminal)."""
    blocks = []
    for ext, context, label in [(s, "from-seat", "Seat") for s in cfg.seats] + [
        (t, "from-terminal", "Terminal") for t in cfg.terminals
    ]:
        blocks.append(
            f"[{ext}](phone-endpoint)\ncontext = {context}\nauth = {ext}-auth\naors = {ext}\n"
            f'callerid = "{label} {ext}" <{ext}>\n\n'
            f"[{ext}](phone-aor)\n\n"
            f"[{ext}-auth](phone-auth)\nusername = {ext}\npassword = {cfg.seat_password(ext)}\n"
        )
    return "\n".join(blocks)


def _queue_values(cfg: Config) -> dict[str, str]:
    """app_queue settings for `hotline bench acd`: the same seats and (rounded) timings.

    queues.conf takes whole seconds, so compressed fractions round to at least 1 s.
    """
    def whole(seconds: float) -> str:
        return str(max(1, round(seconds)))

    return {
        "queue_timeout": whole(cfg.acd_seat_ring_s),
        "queue_retry": "1",
        "queue_wrapup": whole(cfg.acd_wrapup_s),
        "queue_members": "\n".join(f"member => PJSIP/{seat}" for seat in cfg.seats),
    }


def render_config(cfg: Config, layout: Layout, mod_dir: str) -> dict[str, str]:
    """Fill the asterisk_conf templates; pure, so tests can read what Asterisk gets."""
    values = {
        "conf_dir": layout.conf_dir,
        "mod_dir": mod_dir,
        "data_dir": layout.data_dir,
        "agi_dir": layout.agi_dir,
        "spool_dir": layout.spool_dir,
        "run_dir": layout.run_dir,
        "log_dir": layout.log_dir,
        "ami_host": cfg.ami_host,
        "ami_port": str(cfg.ami_port),
        "ami_user": cfg.ami_user,
        "ami_secret": cfg.ami_secret,
        "agi_host": cfg.agi_host,
        "agi_port": str(cfg.agi_port),
        "sip_host": cfg.sip_host,
        "sip_port": str(cfg.sip_port),
        "trunk_port": str(cfg.trunk_port),
        "rtp_start": str(cfg.rtp_start),
        "rtp_end": str(cfg.rtp_end),
        "hotline_number": cfg.hotline_number,
        "phones": _phones_section(cfg),
        **_queue_values(cfg),
    }
    rendered = {}
    templates = resources.files("asterisk_conf")
    for name in CONF_FILES:
        text = templates.joinpath(name).read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(f"@@{key}@@", value)
        if "@@" in text:
            raise SandboxError(f"{name}: unfilled placeholder in template")
        rendered[name] = text
    return rendered


class Sandbox:
    """Start, stop and talk to the Asterisk of one config instance."""

    def __init__(self, cfg: Config, log=print) -> None:
        self.cfg = cfg
        self.layout = layout_for(cfg)
        self.log = log

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
                      layout.recordings_dir):
            layout.host(inner).mkdir(parents=True, exist_ok=True)
        rendered = render_config(self.cfg, layout, _module_dir(layout.root))
        for name, text in rendered.items():
            target = layout.host(f"{layout.conf_dir}/{name}")
            tmp = target.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.chmod(tmp, 0o600 if name in SECRET_FILES else 0o644)
            tmp.replace(target)
        self._install_hosts()
        self._install_agi_scripts()
        self._install_prompts()

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

    def _install_prompts(self) -> None:
        """Mandarin prompts (espeak-ng) unless recorded ones were dropped in the folder."""
        from ivr.prompts import PromptError, ensure_prompts

        try:
            ensure_prompts(self.layout.host(self.layout.sounds_dir))
        except PromptError as exc:
            self.log(f"prompts not generated ({exc}); calls will hear beeps only")

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

    def up(self) -> dict[str, float]:
        """Idempotent: build if needed, render config, start or reload, wait fully booted."""
        started = time.monotonic()
        build_seconds = self.ensure_root()
        self.install_config()
        if self.running():
            self.rx("core reload")
            self.log("asterisk already running: configuration reloaded")
        else:
            stale = self._pid()
            if stale:
                os.kill(stale, signal.SIGKILL)
            for leftover in ("asterisk.ctl", "asterisk.pid"):
                self.layout.host(f"{self.layout.run_dir}/{leftover}").unlink(missing_ok=True)
            result = subprocess.run(self._command(), capture_output=True, text=True)
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

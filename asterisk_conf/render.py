"""Fill the asterisk_conf templates from plain values: pure, so tests read what Asterisk gets."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from asterisk_conf.layout import Layout

CONF_FILES = (
    "asterisk.conf",
    "logger.conf",
    "modules.conf",
    "manager.conf",
    "pjsip.conf",
    "extensions.conf",
    "extensions_bench.conf",
    "indications.conf",
    "rtp.conf",
    "features.conf",
    "cdr.conf",
    "ccss.conf",
    "musiconhold.conf",
    "confbridge.conf",
    "queues.conf",
    "cel.conf",
    "cdr_sqlite3_custom.conf",
    "cel_sqlite3_custom.conf",
    "acl.conf",
    "udptl.conf",
    "pjproject.conf",
)
SECRET_FILES = {"manager.conf", "pjsip.conf"}
SPOOL_KEY_FILE = "hotline-spool.key"  # beside the safety-net script, which signs with it


class RenderError(ValueError):
    """A template asks for a value nobody gave."""


@dataclass(frozen=True)
class Phone:
    """One PJSIP phone endpoint: a seat (context from-seat) or an elderly terminal."""

    extension: str
    password: str
    terminal: bool = False


@dataclass(frozen=True)
class AsteriskValues:
    """Everything the templates need, as plain values (the composition root fills it)."""

    ami_host: str
    ami_port: int
    ami_user: str
    ami_secret: str
    agi_host: str
    agi_port: int
    agi_alt_port: int  # a second ACD process's FastAGI: where a caller enters again
    sip_host: str
    sip_port: int
    trunk_port: int
    rtp_start: int
    rtp_end: int
    max_calls: int  # channels, not calls
    hotline_number: str
    progress_number: str
    phones: tuple[Phone, ...]
    seat_ring_s: float  # app_queue (bench) settings: the ACD's timings
    wrapup_s: float
    bench_queues: bool = False  # `hotline bench acd`: app_queue numbers on the trunk
    spool_secret: str = ""  # signs the safety net's callback requests
    call_recording: bool = True  # MixMonitor on every conversation a person answers
    recording_notice: bool = True  # the caller hears that the call is recorded


def _phones_section(phones: tuple[Phone, ...]) -> str:
    """PJSIP sections for seats (context from-seat) and terminals (from-terminal)."""
    blocks = []
    for phone in sorted(phones, key=lambda p: p.terminal):
        ext = phone.extension
        context, label = ("from-terminal", "Terminal") if phone.terminal else ("from-seat", "Seat")
        blocks.append(
            f"[{ext}](phone-endpoint)\ncontext = {context}\nauth = {ext}-auth\naors = {ext}\n"
            f'callerid = "{label} {ext}" <{ext}>\n\n'
            f"[{ext}](phone-aor)\n\n"
            f"[{ext}-auth](phone-auth)\nusername = {ext}\npassword = {phone.password}\n"
        )
    return "\n".join(blocks)


def _queue_values(values: AsteriskValues) -> dict[str, str]:
    """app_queue settings for `hotline bench acd`: the same seats and (rounded) timings.

    queues.conf takes whole seconds, so compressed fractions round to at least 1 s.
    """
    def whole(seconds: float) -> str:
        return str(max(1, round(seconds)))

    seats = [p.extension for p in values.phones if not p.terminal]
    return {
        "queue_timeout": whole(values.seat_ring_s),
        "queue_retry": "1",
        "queue_wrapup": whole(values.wrapup_s),
        "queue_members": "\n".join(f"member => PJSIP/{seat}" for seat in seats),
    }


def render_config(values: AsteriskValues, layout: Layout, mod_dir: str) -> dict[str, str]:
    """Every configuration file's text, by file name."""
    filled = {
        "conf_dir": layout.conf_dir,
        "mod_dir": mod_dir,
        "data_dir": layout.data_dir,
        "agi_dir": layout.agi_dir,
        "comfort_dir": layout.comfort_dir,
        "spool_dir": layout.spool_dir,
        "call_recordings_dir": layout.call_recordings_dir,
        "call_recording": "1" if values.call_recording else "0",
        "recording_notice": "1" if values.call_recording and values.recording_notice else "0",
        "run_dir": layout.run_dir,
        "log_dir": layout.log_dir,
        "ami_host": values.ami_host,
        "ami_port": str(values.ami_port),
        "ami_user": values.ami_user,
        "ami_secret": values.ami_secret,
        "agi_host": values.agi_host,
        "agi_port": str(values.agi_port),
        "agi_alt_port": str(values.agi_alt_port or values.agi_port),
        "sip_host": values.sip_host,
        "sip_port": str(values.sip_port),
        "trunk_port": str(values.trunk_port),
        "rtp_start": str(values.rtp_start),
        "rtp_end": str(values.rtp_end),
        "max_calls": str(values.max_calls),
        "hotline_number": values.hotline_number,
        "progress_number": values.progress_number,
        "phones": _phones_section(values.phones),
        "bench_include": '#include "extensions_bench.conf"' if values.bench_queues else "",
        **_queue_values(values),
    }
    rendered = {}
    templates = resources.files("asterisk_conf")
    for name in CONF_FILES:
        text = templates.joinpath(name).read_text(encoding="utf-8")
        for key, value in filled.items():
            text = text.replace(f"@@{key}@@", value)
        if "@@" in text:
            raise RenderError(f"{name}: unfilled placeholder in template")
        rendered[name] = text
    return rendered

"""One configuration for every process: defaults for one machine, a TOML file, environment.

Precedence (last wins): built-in defaults, the TOML file (``HOTLINE_CONFIG`` or
``./hotline.toml``), then ``HOTLINE_<SECTION>_<KEY>`` environment variables.
Secrets never live in the repository: when neither the file nor the environment
gives one, a random secret is generated once and kept in ``<state_dir>/secrets.toml``
(mode 0600), so Asterisk and the Python side agree without anyone typing it.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


def _default_state_dir() -> Path:
    """Root keeps the sandbox in /var/cache so clones and CI reuse it; others in ~/.cache."""
    if os.geteuid() == 0:
        return Path("/var/cache/hotline")
    return Path.home() / ".cache" / "hotline"


@dataclass(frozen=True)
class Config:
    """Everything a hotline process needs to find its peers."""

    instance: str = "main"
    state_dir: Path = field(default_factory=_default_state_dir)
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "hotline"
    ami_secret: str = ""
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    agi_alt_port: int = 0  # a second process's FastAGI port; 0: the same one
    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    sip_secret: str = ""
    rtp_start: int = 10000
    rtp_end: int = 10999
    asterisk_max_calls: int = 0  # channels Asterisk admits; 0: what the RTP range holds
    trunk_port: int = 5070
    web_host: str = "127.0.0.1"
    web_port: int = 8890
    web_secure_cookies: bool = False  # yes behind a TLS reverse proxy: cookies only over HTTPS
    spool_secret: str = ""  # signs the safety net's spool files (generated into secrets.toml)
    wechat_token: str = ""  # the token typed into the WeChat console (signs its webhooks)
    database_url: str = ""
    redis_url: str = ""  # empty: the hotline's own Redis; redis+sentinel://… for Sentinel
    redis_port: int = 6390  # the hotline's own Redis, on loopback
    redis_password: str = ""  # the hotline's own Redis (generated into secrets.toml)
    redis_prefix: str = ""
    seat_first: int = 8001  # the seat range, used while the seat table lists no seat
    seat_count: int = 10  # (`hotline seat add|import`; hotline.seats)
    terminal_first: int = 9001
    terminal_count: int = 10
    hotline_number: str = "88900000"
    progress_number: str = "88900009"  # the trunk number citizens call to look a case up
    vosk_model: str = ""  # "": the one `hotline speech install-model` made active
    vosk_language: str = ""  # the model's language code; "": from its name or README
    vosk_allow_other_language: bool = False  # tests only: the packaged Korean test model
    language: str = "zh"  # what the callers speak; a model speaking another is refused
    acd_policy: str = "longest_idle"
    acd_ring_window_s: float = 15  # three rings of the cn cadence (1 s on, 4 s off)
    acd_elderly_window_s: float = 10  # a terminal's caller: a person, else the emergency path
    acd_seat_ring_s: float = 8  # one seat rings this long before the next is tried
    acd_min_ring_s: float = 4  # a seat is offered only if it can ring this long in the window
    acd_device_settle_s: float = 2  # after a call: wait at most this for Asterisk's NOT_INUSE
    acd_not_ready_s: float = 0.5  # a phone that refused a call just after one: tried after this
    acd_wrapup_s: float = 15
    acd_pause_after_missed: int = 3
    acd_pause_reasons: str = "1=午休,2=培训,3=会议,4=处理工单"  # names of *23N's pause codes
    acd_callback_deadline_s: float = 300  # the five-minute promise (float: benches compress time)
    acd_callback_retries: int = 3
    acd_callback_backoff_s: str = "30,60,120"
    acd_callback_due_lead_s: float = 180  # due this long before its deadline (see bench --simulate)
    acd_callback_reserve_seats: int = 1  # seats a callback not yet due leaves to live callers
    acd_lease_s: float = 15  # a dead process's callers and seats come back within this
    callback_area_code: str = "0579"  # local fixed lines are dialled with it
    callback_other_areas: bool = False  # yes: call back other mainland area codes too
    callback_daily_limit: int = 3  # automatic callbacks to one number a day; more: an agent
    acd_settled_ttl_s: float = 900  # a finished caller's line entry is kept this long in Redis
    spool_limit: int = 10000  # records kept on disk while the database is away
    spool_retention_days: float = 30  # settled safety-net requests (.done, .bad) are kept
    # app_queue-style queue_log of the hotline's traffic (QueueMetrics, qpanel, Wazo)
    queue_log_enabled: bool = True
    queue_log_path: str = ""  # empty: <instance dir>/queue_log
    queue_log_queue: str = "8890"  # the virtual queue's name in every line
    queue_log_max_mb: float = 50  # rolled over to queue_log.1 ... past this
    queue_log_keep: int = 5  # rolled-over files kept
    recording_retention_days: float = 180  # callers' recorded requests; 0 keeps them for ever
    call_recording_enabled: bool = True  # every conversation a person answers is recorded
    call_recording_notice: bool = True  # the caller hears that the call is recorded
    call_recording_format: str = "wav"  # wav (8 kHz stereo) | mp3 | opus (ffmpeg after the call)
    call_recording_retention_days: float = 180  # then deleted (the case log says so); 0: kept
    call_recording_max_mb: int = 20000  # all kept recordings at most this; oldest go first
    followup_enabled: bool = True  # yes/no (a TOML bool works too)
    followup_interval_s: int = 60  # how often due follow-up visits are looked at
    followup_retries: int = 2  # calls after the first before an agent takes over
    followup_backoff_s: str = "1800,3600"  # wait before retry n (the last one repeats)
    followup_ring_s: int = 30
    followup_max_calls: int = 5  # follow-up calls in the air at once
    followup_reply_wait_s: float = 3600  # a visit waits (at most this) for the reply to arrive
    # each kind's own questions after satisfaction (kind=names;...): timeliness, attitude
    followup_questions: str = ("affairs=timeliness,attitude;complaint=timeliness,attitude;"
                               "suggestion=attitude;emergency=attitude;consult=timeliness")
    checkin_enabled: bool = True  # elderly check-in calls at each person's windows
    checkin_interval_s: float = 30  # how often due check-ins are looked for
    checkin_retries: int = 3  # unanswered calls again after the first, then escalated
    checkin_backoff_s: float = 600  # between attempts
    checkin_ring_s: int = 30
    outbound_phone_by_sms: bool = False  # yes: phone callers' replies by SMS (mobiles)
    outbound_notify_orders: bool = True  # departments and companies told of each new order
    outbound_sms_url: str = ""  # the SMS gateway's send URL; empty: no SMS goes out
    outbound_sms_token: str = ""  # its bearer token (keep it in secrets.toml)
    outbound_wechat_api: str = "https://api.weixin.qq.com"
    outbound_wechat_appid: str = ""  # empty: no WeChat messages go out
    outbound_wechat_secret: str = ""
    outbound_voice: bool = True  # replies read out by an automatic call
    outbound_attempts: int = 4  # tries per message before it is given up (and said so)
    outbound_backoff_s: str = "30,120,600"  # wait before retry n (the last one repeats)
    outbound_interval_s: float = 5  # how often owed messages are looked for
    outbound_ring_s: int = 30
    cases_merge_window_h: float = 24  # a report of an open case's place and topic joins it
    cases_leader_days: int = 2  # a leader's instruction makes a case due within these days
    # where out-of-jurisdiction closures refer citizens, comma-separated; empty: the
    # built-in list (case_store.policy.REFERRALS: provincial 12345, courts, police, ...)
    cases_referrals: str = ""
    penalty_window_days: float = 30  # company figures count dispatches this recent
    penalty_suspension_days: float = 7  # an order suspension lasts this long
    penalty_min_orders: int = 5  # judge no company on fewer dispatches
    penalty_yellow_on_time: float = 0.90  # on-time contact rate below this: yellow card
    penalty_suspend_on_time: float = 0.80  # ... order suspension
    penalty_terminate_on_time: float = 0.60  # ... termination proposal
    penalty_yellow_complaints: int = 2  # "not satisfied" follow-ups: yellow card
    penalty_suspend_complaints: int = 3
    penalty_terminate_complaints: int = 5

    @property
    def effective_max_calls(self) -> int:
        """Channels Asterisk admits (`maxcalls`): one beyond gets an immediate refusal
        instead of a box too loaded to answer anyone. By default what the RTP range holds:
        an RTP and an RTCP port a channel."""
        return self.asterisk_max_calls or max(1, (self.rtp_end - self.rtp_start + 1) // 2)

    @property
    def seats(self) -> list[str]:
        """Seat extensions, which are also their PJSIP endpoint names."""
        return [str(self.seat_first + i) for i in range(self.seat_count)]

    @property
    def terminals(self) -> list[str]:
        """Elderly one-touch terminal endpoints."""
        return [str(self.terminal_first + i) for i in range(self.terminal_count)]

    @property
    def queue_log_file(self) -> Path:
        """Where the hotline writes its queue_log (beside its other per-instance files)."""
        return Path(self.queue_log_path) if self.queue_log_path else \
            self.instance_dir / "queue_log"

    @property
    def instance_dir(self) -> Path:
        """Per-instance files on the Python side (logs, sqlite, recordings link)."""
        return self.state_dir / "instances" / self.instance

    @property
    def call_recordings_dir(self) -> Path:
        """The kept call recordings: the hotline's own (umask 077), out of Asterisk's root."""
        return self.instance_dir / "call-recordings"

    @property
    def own_redis_url(self) -> str:
        """The hotline's own Redis (`hotline redis up`), with its password."""
        return f"redis://:{self.redis_password}@127.0.0.1:{self.redis_port}/0"

    @property
    def key_prefix(self) -> str:
        """Redis keys of this instance start with this, so instances never share state.

        The name is a hash tag (``{hotline:main}``) unless it holds one already: every
        key of an instance is then in one Redis Cluster slot, which the ACD's scripts
        (a claim touches the line, the seat and the audit log at once) need."""
        name = self.redis_prefix or f"hotline:{self.instance}"
        return name if "{" in name else "{" + name + "}"

    @property
    def durable_spool_dir(self) -> Path:
        """Records waiting for the database (one folder per key prefix: per hotline)."""
        name = self.key_prefix.replace("{", "").replace("}", "")  # as before hash tags
        safe = "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in name)
        return self.instance_dir / "durable-spool" / safe

    @property
    def speech_models_dir(self) -> Path:
        """Where `hotline speech install-model` puts models (shared by instances)."""
        return self.state_dir / "speech-models"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.instance_dir / 'cases.sqlite'}"

    def seat_password(self, seat: str) -> str:
        """Each seat gets its own SIP password, derived from the one local secret."""
        import hashlib
        import hmac

        digest = hmac.new(self.sip_secret.encode(), seat.encode(), hashlib.sha256)
        return digest.hexdigest()[:20]


_SECTIONS = {
    "ami": ("host", "port", "user", "secret"),
    "agi": ("host", "port", "alt_port"),
    "asterisk": ("max_calls",),
    "sip": ("host", "port", "secret"),
    "rtp": ("start", "end"),
    "trunk": ("port",),
    "web": ("host", "port", "secure_cookies"),
    "wechat": ("token",),
    "spool": ("limit", "retention_days", "secret"),
    "redis": ("url", "prefix", "port", "password"),
    "database": ("url",),
    "seat": ("first", "count"),
    "terminal": ("first", "count"),
    "vosk": ("model", "language", "allow_other_language"),
    "acd": ("policy", "ring_window_s", "elderly_window_s", "seat_ring_s", "min_ring_s",
            "device_settle_s", "not_ready_s", "wrapup_s", "pause_after_missed", "pause_reasons",
            "callback_deadline_s", "callback_retries", "callback_backoff_s",
            "callback_due_lead_s", "callback_reserve_seats", "lease_s", "settled_ttl_s"),
    "callback": ("area_code", "other_areas", "daily_limit"),
    "recording": ("retention_days",),
    "queue_log": ("enabled", "path", "queue", "max_mb", "keep"),
    "call_recording": ("enabled", "notice", "format", "retention_days", "max_mb"),
    "followup": ("enabled", "interval_s", "retries", "backoff_s", "ring_s", "max_calls",
                 "reply_wait_s", "questions"),
    "checkin": ("enabled", "interval_s", "retries", "backoff_s", "ring_s"),
    "outbound": ("phone_by_sms", "notify_orders", "sms_url", "sms_token", "wechat_api",
                 "wechat_appid", "wechat_secret", "voice", "attempts", "backoff_s",
                 "interval_s", "ring_s"),
    "cases": ("merge_window_h", "leader_days", "referrals"),
    "penalty": ("window_days", "suspension_days", "min_orders", "yellow_on_time",
                "suspend_on_time", "terminate_on_time", "yellow_complaints",
                "suspend_complaints", "terminate_complaints"),
}
_TOP_LEVEL = ("instance", "state_dir", "hotline_number", "progress_number", "language")


class ConfigError(ValueError):
    """The configuration file or environment holds a value that cannot be used."""


def _coerce(name: str, raw: Any) -> Any:
    kind = {f.name: f.type for f in fields(Config)}[name]
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(str(raw)).expanduser()
        if kind == "bool":  # yes/no, on/off, 1/0, true/false or a TOML bool
            return str(raw).strip().lower() in ("1", "true", "yes", "on")
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config value {name}={raw!r} is not a valid {kind}") from exc


def _from_mapping(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in _TOP_LEVEL:
        if key in data:
            values[key] = _coerce(key, data[key])
    for section, keys in _SECTIONS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"[{section}] must be a table")
        for key in keys:
            if key in table:
                values[f"{section}_{key}"] = _coerce(f"{section}_{key}", table[key])
    return values


def _from_environment(env: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    names = list(_TOP_LEVEL) + [f"{s}_{k}" for s, keys in _SECTIONS.items() for k in keys]
    for name in names:
        raw = env.get(f"HOTLINE_{name.upper()}")
        if raw is not None and raw != "":
            values[name] = _coerce(name, raw)
    return values


SECRETS = ("ami_secret", "sip_secret", "wechat_token", "spool_secret", "redis_password")


# issued by others (the SMS provider, WeChat): read from the secrets file, never made up
PROVIDED_SECRETS = ("outbound_sms_token", "outbound_wechat_secret")


def _ensure_secrets(cfg: Config) -> Config:
    """Fill missing secrets from (or into) the local secrets file."""
    missing = [key for key in SECRETS if not getattr(cfg, key)]
    provided = [key for key in PROVIDED_SECRETS if not getattr(cfg, key)]
    if not missing and not provided:
        return cfg
    path = cfg.state_dir / "secrets.toml"
    stored: dict[str, Any] = {}
    if path.exists():
        stored = tomllib.loads(path.read_text())
    cfg = replace(cfg, **{key: str(stored[key]) for key in provided if stored.get(key)})
    if not missing:
        return cfg
    changed = False
    for key in missing:
        if not stored.get(key):
            stored[key] = secrets.token_hex(16)
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(f'{k} = "{v}"\n' for k, v in sorted(stored.items()))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(body)
    return replace(cfg, **{key: str(stored[key]) for key in missing})


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Read defaults, the TOML file and the environment into one Config."""
    env = dict(os.environ) if env is None else env
    chosen = path or env.get("HOTLINE_CONFIG") or "hotline.toml"
    values: dict[str, Any] = {}
    file_path = Path(chosen)
    if file_path.exists():
        try:
            values.update(_from_mapping(tomllib.loads(file_path.read_text())))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file_path}: {exc}") from exc
    elif path is not None or env.get("HOTLINE_CONFIG"):
        raise ConfigError(f"config file {file_path} does not exist")
    values.update(_from_environment(env))
    cfg = Config(**values)
    for name in ("hotline_number", "progress_number"):  # both go into the dialplan
        if not (getattr(cfg, name).isascii() and getattr(cfg, name).isdigit()):
            raise ConfigError(f"{name} must be digits, not {getattr(cfg, name)!r}")
    if not cfg.instance.isidentifier():
        raise ConfigError(f"instance name {cfg.instance!r} must be a plain identifier")
    from hotline.redis_client import RedisUrlError, sentinel_target

    try:
        sentinel_target(cfg.redis_url)
    except RedisUrlError as exc:
        raise ConfigError(f"redis url: {exc}") from exc
    cfg = _ensure_secrets(cfg)
    if not cfg.redis_url:  # the hotline's own Redis, with its password
        cfg = replace(cfg, redis_url=cfg.own_redis_url)
    return cfg

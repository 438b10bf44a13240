"""The hotline's Asterisk, from its config: the plain values the templates take, the
instance's folder layout, and the sandbox that provisions it with the IVR's prompts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from asterisk_conf.layout import Layout
from asterisk_conf.layout import layout_for as _layout_for
from asterisk_conf.render import AsteriskValues, Phone
from asterisk_conf.sandbox import Sandbox
from hotline.config import Config
from hotline.seats import seat_numbers

log = logging.getLogger(__name__)


def registered_terminals(read: Callable[[], list[str]]) -> list[str]:
    """The elderly registry's terminals (`read` asks it), provisioned and called back like
    the configured ones; none when the database cannot say yet (a first `asterisk up`
    before any `hotline run`, or the database away at start)."""
    try:
        return read()
    except Exception as exc:
        log.warning("elderly registry not read (%s); configured terminals only",
                    type(exc).__name__)
        return []


def asterisk_values(cfg: Config, bench_queues: bool = False,
                    seats: Sequence[str] | None = None) -> AsteriskValues:
    """The templates' values; `seats` default to the seat table's, else the range."""
    from case_store.elderly import ElderlyRegistry

    seats = seat_numbers(cfg) if seats is None else list(seats)
    terminals = dict.fromkeys([*cfg.terminals, *registered_terminals(
        lambda: ElderlyRegistry(cfg.effective_database_url).terminals())])
    phones = tuple(Phone(ext, cfg.seat_password(ext)) for ext in seats) + tuple(
        Phone(ext, cfg.seat_password(ext), terminal=True) for ext in terminals
        if ext not in seats)
    return AsteriskValues(
        ami_host=cfg.ami_host, ami_port=cfg.ami_port, ami_user=cfg.ami_user,
        ami_secret=cfg.ami_secret, agi_host=cfg.agi_host, agi_port=cfg.agi_port,
        agi_alt_port=cfg.agi_alt_port,
        sip_host=cfg.sip_host, sip_port=cfg.sip_port, trunk_port=cfg.trunk_port,
        rtp_start=cfg.rtp_start, rtp_end=cfg.rtp_end, max_calls=cfg.effective_max_calls,
        hotline_number=cfg.hotline_number,
        progress_number=cfg.progress_number,
        phones=phones, seat_ring_s=cfg.acd_seat_ring_s, wrapup_s=cfg.acd_wrapup_s,
        bench_queues=bench_queues, spool_secret=cfg.spool_secret,
        call_recording=cfg.call_recording_enabled,
        recording_notice=cfg.call_recording_notice)


def layout_for(cfg: Config) -> Layout:
    return _layout_for(cfg.state_dir, cfg.instance)


def sandbox_for(cfg: Config, log: Callable[[str], None] = print,
                bench_queues: bool = False) -> Sandbox:
    """The Asterisk of this config's instance, which installs the Mandarin prompts
    (`bench_queues`: the ACD bench's app_queue numbers too)."""

    def install_prompts(layout: Layout) -> None:
        from ivr.prompts import COMFORT_PROMPTS, PromptError, ensure_prompts

        try:
            ensure_prompts(layout.host(layout.sounds_dir))
            ensure_prompts(layout.host(layout.comfort_dir), COMFORT_PROMPTS)
        except PromptError as exc:
            log(f"prompts not generated ({exc}); calls will hear beeps only")

    return Sandbox(asterisk_values(cfg, bench_queues), layout_for(cfg),
                   installers=(install_prompts,),
                   log=log)

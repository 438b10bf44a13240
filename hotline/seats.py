"""Which seats this hotline has: the seat table when it lists any, else the configured
range (`[seat] first`/`count`), so an install that never lists a seat is unchanged.

Resolved once as a process starts (`hotline run`, `hotline asterisk up`, a report) and
handed to what serves seats; a change to the table takes effect with the next
`hotline asterisk up` (PJSIP re-rendered and reloaded) and `hotline run` restart.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from hotline.config import Config

log = logging.getLogger(__name__)


def reserved_numbers(cfg: Config) -> dict[str, str]:
    """Numbers that are not seats' to take, and what they are."""
    reserved = {t: "a configured elderly terminal" for t in cfg.terminals}
    reserved[cfg.hotline_number] = "the hotline number"
    reserved[cfg.progress_number] = "the case progress number"
    return reserved


def seat_roster(cfg: Config, engine: str | Engine | None = None):
    """The seat roster on `engine` (default: the config's database), checking numbers
    against this config's terminals and hotline numbers."""
    from case_store.seat_roster import SeatRoster

    return SeatRoster(engine or cfg.effective_database_url, reserved_numbers(cfg))


def seat_numbers(cfg: Config, engine: str | Engine | None = None) -> list[str]:
    """The seats to render and serve: the table's enabled seats when it has any rows,
    else the configured range."""
    listed = seat_roster(cfg, engine).enabled_numbers()
    if listed is None:
        return list(cfg.seats)
    if not listed:
        log.warning("the seat table lists seats but none is enabled: no seat is served")
    return listed

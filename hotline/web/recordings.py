"""Call recordings in the console: the player on the case page and the desk, and the one
route that serves the audio, to the roles that need it, with every play logged first.

Who may listen: supervisors (quality checks, complaints, agents included) any recording;
an agent only the recordings of their own seat (their own conversations). Departments,
companies, leaders, the elderly centre and admins get none: they have the case's text,
and a recording holds the citizen's voice and whatever else was said.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from aiohttp import web

from case_store.recordings import RecordingView
from hotline.web.auth import require
from hotline.web.context import SESSION, ctx
from hotline.web.html import Safe, h, join
from hotline.web.i18n import Words

log = logging.getLogger(__name__)

LISTENERS = ("supervisor", "agent")


def may_listen(session: dict, recording: RecordingView) -> bool:
    """Supervisors any recording; an agent their own seat's; nobody else."""
    role = session.get("role")
    if role == "supervisor":
        return True
    return role == "agent" and bool(session.get("seat")) and recording.seat == session["seat"]


def _player(recording: RecordingView, w: Words) -> Safe:
    when = recording.recorded_at.strftime("%Y-%m-%d %H:%M:%S")
    seconds = round(recording.duration_ms / 1000)
    label = h("{} · {} {} · {} s", when, w.seat, recording.seat or "—", seconds)
    if recording.deleted_reason:
        gone = w("recording_gone_" + recording.deleted_reason)
        return h('<li class="recording gone" data-recording="{}">{} — {}</li>',
                 recording.id, label, gone)
    return h('<li class="recording" data-recording="{}">{} <audio controls preload="none" '
             'src="/recordings/{}"></audio></li>', recording.id, label, recording.id)


def player_list(session: dict, recordings: list[RecordingView], w: Words) -> Safe:
    """The recordings this user may hear, as players (deleted ones say why)."""
    shown = [r for r in recordings if may_listen(session, r)]
    if not shown:
        return h('<p class="muted">{}</p>', w.no_recordings)
    return h('<ul class="recordings">{}</ul><p class="muted">{}</p>',
             join(_player(r, w) for r in shown), w.plays_logged)


async def case_section(request: web.Request, number: str, w: Words) -> Safe:
    """The case page's recordings, for the roles that may hear them; nothing otherwise."""
    c, session = ctx(request), request[SESSION]
    if c.recordings is None or session.get("role") not in LISTENERS:
        return Safe("")
    recordings = await asyncio.to_thread(c.recordings.for_case, number)
    return h('<section id="recordings"><h2>{}</h2>{}</section>', w.recordings,
             player_list(session, recordings, w))


def desk_card(session: dict, recordings: list[RecordingView], w: Words) -> Safe:
    """The desk's card: this seat's latest recordings."""
    return h('<section class="card" id="desk-recordings"><h2>{}</h2>{}</section>',
             w.my_recordings, player_list(session, recordings, w))


def _file(base: Path, relative: str) -> Path | None:
    """The recording's file, only if it lies inside the store (a row is never trusted)."""
    target = (base / relative).resolve()
    if not target.is_relative_to(base.resolve()) or not target.is_file():
        return None
    return target


@require(*LISTENERS)
async def serve_recording(request: web.Request) -> web.StreamResponse:
    c, session = ctx(request), request[SESSION]
    if c.recordings is None:
        raise web.HTTPNotFound(text="no recordings here")
    try:
        recording_id = int(request.match_info["id"])
    except ValueError as exc:
        raise web.HTTPNotFound(text="no such recording") from exc
    recording = await asyncio.to_thread(c.recordings.get, recording_id)
    if recording is None:
        raise web.HTTPNotFound(text="no such recording")
    if not may_listen(session, recording):
        raise web.HTTPForbidden(text="this recording is not yours to hear")
    if recording.deleted_reason:
        raise web.HTTPGone(text=Words("zh")("recording_gone_" + recording.deleted_reason))
    path = _file(Path(c.recordings_dir), recording.path)
    if path is None:
        log.warning("call recording %s: file missing from the store", recording.stem)
        raise web.HTTPNotFound(text="the recording's file is missing")
    case = await asyncio.to_thread(c.recordings.case_of, recording)
    await asyncio.to_thread(c.recordings.log_play, recording.id, session["name"],
                            session["role"], case)
    log.info("call recording %s played by %s (%s), case %s", recording.id, session["name"],
             session["role"], case)
    return web.FileResponse(path, headers={"Content-Type": recording.media_type,
                                           "Cache-Control": "private, no-store"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/recordings/{id}", serve_recording)

"""Call recordings in SQL: linked to their call or callback (and so to the case), every
play logged, and the retention pass that deletes what is past its time.

A recording's case is looked up through its call (the case the desk opened for that
call, ``cases.call_ref``, or the one the IVR filed, ``calls.case_number``) or its
callback, at the moment it is asked: a case saved after the recording was kept still
finds it. Files live outside Asterisk's reach, in the hotline's own folder; this module
only names them (relative paths) and deletes them in the retention pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from case_store.models import Call, Callback, CallRecording, Case, RecordingPlay
from case_store.recording_names import RecordingName, Stored, to_delete
from case_store.unit import UnitOfWork, utc_now
from case_store.views import local

log = logging.getLogger(__name__)

DELETED_NOTE = "录音已按保存期限删除"
DELETED_FOR_SPACE = "录音已因存储空间上限删除"
SWEEP_ACTOR = "system:recording_retention"
MAX_LIST = 200


@dataclass(frozen=True)
class RecordingView:
    """One recording as the console lists it; ``deleted_reason`` set once it is gone."""

    id: int
    stem: str
    path: str
    call_uniqueid: str | None
    callback_id: str | None
    seat: str | None
    audio_format: str
    recorded_at: datetime
    duration_ms: int
    size: int
    deleted_reason: str | None

    @classmethod
    def of(cls, row: CallRecording) -> RecordingView:
        return cls(id=row.id, stem=row.stem, path=row.path, call_uniqueid=row.call_uniqueid,
                   callback_id=row.callback_id, seat=row.seat, audio_format=row.audio_format,
                   recorded_at=local(row.recorded_at), duration_ms=row.duration_ms,
                   size=row.size, deleted_reason=row.deleted_reason)

    @property
    def media_type(self) -> str:
        return {"wav": "audio/wav", "mp3": "audio/mpeg", "opus": "audio/ogg"}.get(
            self.audio_format, "application/octet-stream")


class CallRecordings:
    """``link``, ``for_case``, ``for_seat``, ``get``, ``case_of``, ``log_play``, ``sweep``."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self.uow = UnitOfWork(engine, clock)

    def link(self, name: RecordingName, path: str, audio_format: str, recorded_at: datetime,
             duration_ms: int, size: int) -> RecordingView:
        """Keep a finished recording; linking the same file again changes nothing."""
        with self.uow.tx() as s:
            row = s.scalar(select(CallRecording).where(CallRecording.stem == name.stem))
            if row is None:
                seat = name.seat
                if seat is None and name.callback_id:
                    seat = s.scalar(select(Callback.seat)
                                    .where(Callback.callback_id == name.callback_id))
                row = CallRecording(stem=name.stem, path=path, call_uniqueid=name.call_uniqueid,
                                    callback_id=name.callback_id, seat=seat,
                                    audio_format=audio_format, recorded_at=recorded_at,
                                    duration_ms=duration_ms, size=size)
                s.add(row)
                s.flush()
            return RecordingView.of(row)

    def get(self, recording_id: int) -> RecordingView | None:
        with self.uow.read() as s:
            row = s.get(CallRecording, recording_id)
            return RecordingView.of(row) if row else None

    def for_case(self, number: str) -> list[RecordingView]:
        """Every recording of the calls and callbacks of a case, oldest first."""
        with self.uow.read() as s:
            calls = set(s.scalars(select(Call.uniqueid).where(Call.case_number == number)))
            calls |= {ref for ref in s.scalars(select(Case.call_ref)
                                               .where(Case.number == number)) if ref}
            callbacks = set(s.scalars(select(Callback.callback_id)
                                      .where(Callback.case_number == number)))
            if not calls and not callbacks:
                return []
            rows = s.scalars(select(CallRecording).where(or_(
                CallRecording.call_uniqueid.in_(calls),
                CallRecording.callback_id.in_(callbacks)))
                .order_by(CallRecording.recorded_at, CallRecording.id).limit(MAX_LIST))
            return [RecordingView.of(r) for r in rows]

    def for_seat(self, seat: str, limit: int = 10) -> list[RecordingView]:
        """A seat's latest recordings still kept (the desk's list), newest first."""
        with self.uow.read() as s:
            rows = s.scalars(select(CallRecording).where(CallRecording.seat == seat,
                                                         CallRecording.deleted_at.is_(None))
                             .order_by(CallRecording.recorded_at.desc(),
                                       CallRecording.id.desc()).limit(limit))
            return [RecordingView.of(r) for r in rows]

    def case_of(self, recording: RecordingView) -> str | None:
        """The case a recording belongs to (None while no case names its call)."""
        with self.uow.read() as s:
            return _case_number(s, recording.call_uniqueid, recording.callback_id)

    def log_play(self, recording_id: int, listener: str, role: str,
                 case_number: str | None) -> None:
        """Logged before the audio goes out: who heard whose call cannot be denied later."""
        with self.uow.tx() as s:
            s.add(RecordingPlay(at=self.uow.clock(), recording_id=recording_id,
                                listener=listener[:64], role=role[:16],
                                case_number=(case_number or None)))

    def plays(self, recording_id: int) -> list[tuple[datetime, str, str]]:
        with self.uow.read() as s:
            rows = s.scalars(select(RecordingPlay).where(RecordingPlay.recording_id
                                                         == recording_id)
                             .order_by(RecordingPlay.id))
            return [(local(r.at), r.listener, r.role) for r in rows]

    def sweep(self, store_dir: Path, retention_days: float, max_bytes: int,
              limit: int = 500) -> list[int]:
        """Delete recordings past ``retention_days`` and, oldest first, beyond
        ``max_bytes`` in all: the file goes, the row says why, and the case's log says
        so. Returns the ids deleted. Any number of processes may run it (rows locked)."""
        now = self.uow.clock()
        with self.uow.read() as s:
            kept = [Stored(r.id, r.recorded_at, r.size) for r in s.scalars(
                select(CallRecording).where(CallRecording.deleted_at.is_(None)))]
        deleted = []
        for recording_id, reason in to_delete(kept, now, retention_days, max_bytes)[:limit]:
            if self._delete_one(store_dir, recording_id, reason, now):
                deleted.append(recording_id)
        return deleted

    def _delete_one(self, store_dir: Path, recording_id: int, reason: str,
                    now: datetime) -> bool:
        with self.uow.tx() as s:
            row = s.scalar(select(CallRecording).where(CallRecording.id == recording_id,
                                                       CallRecording.deleted_at.is_(None))
                           .with_for_update(skip_locked=True))
            if row is None:
                return False
            (store_dir / row.path).unlink(missing_ok=True)
            row.deleted_at, row.deleted_reason = now, reason
            number = _case_number(s, row.call_uniqueid, row.callback_id)
            if number:
                case = self.uow.load(s, number, lock=True)
                note = DELETED_NOTE if reason == "retention" else DELETED_FOR_SPACE
                self.uow.event(s, case, SWEEP_ACTOR, "recording_deleted",
                               {"note": note, "recording": row.id, "reason": reason},
                               to_status=case.status)
            log.info("call recording %s deleted (%s), case %s", row.stem, reason, number)
            return True


def _case_number(s: Session, call_uniqueid: str | None, callback_id: str | None) -> str | None:
    if call_uniqueid:
        number = s.scalar(select(Case.number).where(Case.call_ref == call_uniqueid)
                          .order_by(Case.id.desc()).limit(1))
        if number:
            return number
        number = s.scalar(select(Call.case_number).where(Call.uniqueid == call_uniqueid))
        if number:
            return number
        callback_id = callback_id or s.scalar(select(Call.callback_id)
                                              .where(Call.uniqueid == call_uniqueid))
    if callback_id:
        return s.scalar(select(Callback.case_number)
                        .where(Callback.callback_id == callback_id)) or None
    return None

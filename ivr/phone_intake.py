"""A spoken request becomes a case: transcribe the recording, tag it, write the case.

`understand` runs while the caller is still on the line (the IVR reads the topic back
and lets them correct the kind by DTMF); `file` hands the case to the intake service
every channel uses (``case_store.intake_service``) after the call, off the call path.
Whatever fails (no model, a broken or silent recording) the case is still written,
with "no transcript" and flagged for the agent, and the owed callback carries the case
number, transcript and tags to the agent's desk. While the database is away the request
goes to the durable spool and `replay` files it once the database is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from acd.engine import Acd
from acd.line import Entry
from acd.records import DATABASE_AWAY
from acd.spool import DurableSpool
from case_store.intake_service import Intake, IntakeService
from ivr.heard import Heard

log = logging.getLogger(__name__)

NO_TRANSCRIPT = "（无转写，请坐席回电确认诉求）"
UNDERSTAND_TIMEOUT_S = 10.0
ACTOR = "phone-intake"


class PhoneIntake:
    def __init__(self, intake: IntakeService, acd: Acd, recognizer,
                 host_path: Callable[[str], Path], spool: DurableSpool | None = None) -> None:
        self.intake = intake
        self.spool = spool
        self.acd = acd
        self.recognizer = recognizer
        self.host_path = host_path
        self._tasks: set[asyncio.Task] = set()
        self.cases: list[str] = []

    async def understand(self, recording: str) -> Heard:
        """Transcribe and tag now (bounded), so the IVR can read the topic back."""
        if self.recognizer is None:
            return Heard("", "no_model")
        try:
            transcript = await asyncio.wait_for(
                self.recognizer.transcribe(self.host_path(recording)), UNDERSTAND_TIMEOUT_S)
        except TimeoutError:
            return Heard("", "timeout")
        text = transcript.text.strip()
        if not text:
            return Heard("", transcript.status)
        tags = self.intake.tag(text)
        return Heard(text, transcript.status, tags.kind, tags.topic, tags.place or None,
                     tags.confidence, tags.needs_confirmation, tuple(tags.alternatives))

    async def __call__(self, entry: Entry, heard: Heard, kind_chosen: str | None) -> None:
        """File the case in the background; the caller has hung up or is hanging up."""
        task = asyncio.create_task(self.file(entry, heard, kind_chosen))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def file_recording(self, entry: Entry, recording: str) -> None:
        """A request the dialplan's safety net recorded: understood and filed like any."""
        heard = await self.understand(recording) if recording else Heard("", "not_recorded")
        await self(entry, heard, None)

    async def drain(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def file(self, entry: Entry, heard: Heard, kind_chosen: str | None) -> str | None:
        kind = kind_chosen or heard.kind or "consult"
        request = Intake(
            channel="terminal" if entry.origin == "terminal" else "phone",
            caller=entry.caller or "anonymous", caller_name=entry.caller_name or None,
            text=heard.text or NO_TRANSCRIPT, transcript=heard.text or None, kind=kind,
            topic=heard.topic if kind == heard.kind else None, place=heard.place,
            call_ref=entry.uniqueid or None, elderly=entry.priority == 0)
        after = {"entry_id": entry.id, "entry_kind": entry.kind, "uniqueid": entry.uniqueid,
                 "tags": {**heard.tags(), "kind": kind} if heard.kind or kind_chosen else {},
                 "transcript": heard.text}
        try:
            return await self._take(request, after)
        except DATABASE_AWAY as exc:
            if self.spool is None:
                log.exception("case for call %s not written", entry.uniqueid)
                return None
            log.warning("database away (%s); the case for call %s waits in the spool",
                        type(exc).__name__, entry.uniqueid)
            self.spool.append("case.intake", entry.uniqueid or entry.id,
                              {"request": asdict(request), "after": after})
            return None
        except Exception:
            log.exception("case for call %s not written", entry.uniqueid)
            return None

    async def _take(self, request: Intake, after: dict) -> str:
        case = (await self.intake.take(request, ACTOR)).case
        self.cases.append(case.number)
        log.info("call %s: case %s (%s)", after["uniqueid"], case.number, case.kind)
        if after["entry_kind"] == "callback":
            await self.acd.annotate_callback(after["entry_id"], transcript=after["transcript"],
                                             tags=after["tags"], case_number=case.number)
        await self.acd.record_call(after["uniqueid"], case_number=case.number)
        return case.number

    async def replay(self) -> int:
        """File the spooled requests in order; stop while the database is still away."""
        if self.spool is None:
            return 0
        filed, _set_aside = await self.spool.replay(
            lambda item: self._take(Intake(**item.payload["request"]), item.payload["after"]),
            DATABASE_AWAY)
        return filed

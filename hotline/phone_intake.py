"""A spoken request becomes a case: transcribe the recording, tag it, write the case.

Runs after the caller hung up, off the call path. Whatever fails (no model, a broken
or silent recording) the case is still written, with "no transcript" and flagged for
the agent, and the owed callback carries the case number, transcript and tags to the
agent's desk.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from acd.engine import Acd
from acd.line import Entry

log = logging.getLogger(__name__)

NO_TRANSCRIPT = "（无转写，请坐席回电确认诉求）"


class PhoneIntake:
    def __init__(self, store, acd: Acd, recognizer, tagger, host_path: Callable[[str], Path]):
        self.store = store
        self.acd = acd
        self.recognizer = recognizer
        self.tagger = tagger
        self.host_path = host_path
        self._tasks: set[asyncio.Task] = set()
        self.cases: list[str] = []

    async def __call__(self, entry: Entry, recording: str) -> None:
        task = asyncio.create_task(self.process(entry, recording))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def process(self, entry: Entry, recording: str) -> str | None:
        text, status = "", "no_model"
        if self.recognizer is not None:
            transcript = await self.recognizer.transcribe(self.host_path(recording))
            text, status = transcript.text.strip(), transcript.status
        tags = self.tagger.tag(text) if text else None
        try:
            case = await asyncio.to_thread(
                self.store.create_case,
                channel="terminal" if entry.origin == "terminal" else "phone",
                caller=entry.caller or "anonymous", caller_name=entry.caller_name or None,
                text=text or NO_TRANSCRIPT, transcript=text or None,
                kind=tags.kind if tags else "consult", topic=tags.topic if tags else None,
                place=tags.place if tags else None, call_ref=entry.uniqueid or None,
                elderly=entry.priority == 0)
        except Exception:
            log.exception("case for call %s not written", entry.uniqueid)
            return None
        self.cases.append(case.number)
        tag_view = {"kind": tags.kind, "topic": tags.topic, "confidence": tags.confidence,
                    "needs_confirmation": tags.needs_confirmation} if tags else {}
        log.info("call %s: case %s (%s, transcript %s)", entry.uniqueid, case.number,
                 case.kind, status)
        if entry.kind == "callback":
            await self.acd.annotate_callback(entry.id, transcript=text, tags=tag_view,
                                             case_number=case.number)
        await self.acd.record_call(entry.uniqueid, case_number=case.number)
        return case.number

"""The `progress` FastAGI route: a citizen calls the lookup number and keys a case number.

The case is read only to the phone that raised it (``case_store.progress``): its status
and its latest reply are spoken; anything else (a mistyped number, someone else's
case, garbage keys) hears the same "not found", which tells nothing about which it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable

from ivr.fastagi import AgiHangup, AgiSession
from ivr.incoming import read_caller

log = logging.getLogger(__name__)

KEY_TIMEOUT_MS = 15000
MAX_KEYS = 20
TRIES = 2
Speak = Callable[[str, str], Awaitable[str]]
Forget = Callable[[str], Awaitable[None]]


def keyed_number(result: dict) -> str:
    """The ASCII digits a GET DATA returned ('' on timeout, hang-up or nothing useful)."""
    if "error" in result:
        return ""
    value = result.get("result", ("", ""))[0]
    return value if value.isascii() and value.isdigit() else ""


class ProgressRoute:
    """FastAGI `progress`; ``store`` is the CaseStore (synchronous, used via threads)."""

    def __init__(self, store, speak: Speak, forget: Forget) -> None:
        self.store = store
        self.speak = speak
        self.forget = forget

    async def handle(self, agi: AgiSession) -> None:
        caller = await read_caller(agi)
        name = f"progress-{uuid.uuid4().hex[:12]}"
        try:
            await agi.command("ANSWER")
            for _ in range(TRIES):
                number = keyed_number(await agi.command(
                    f"GET DATA hotline/progress_enter {KEY_TIMEOUT_MS} {MAX_KEYS}"))
                found = None
                if number:
                    found = await asyncio.to_thread(self.store.progress, number, caller.number)
                if found is None:
                    log.info("progress lookup: nothing for the keys given")
                    await agi.exec("Playback", "hotline/progress_not_found")
                    continue
                log.info("progress lookup: read case %s (%s)", found.number, found.status)
                sound = await self.speak(name, found.spoken())
                if sound:
                    await agi.command(f'STREAM FILE {sound} ""')
                break
            await agi.exec("Playback", "hotline/reply_goodbye")
        except AgiHangup:
            log.info("progress lookup: the caller hung up")
        finally:
            await self.forget(name)
            with contextlib.suppress(AgiHangup):
                await agi.command("HANGUP")

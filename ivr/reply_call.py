"""The `reply` FastAGI route: the citizen picked up an automatic call that reads them a
message (their case's reply, an answer, a closure).

The message is spoken with the prompt voice, slowly, and may be heard once more (1).
It counts as delivered once it has been played through to the end; a citizen who hung
up before that is called again later (the sender's lease runs out).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from ivr.fastagi import AgiHangup, AgiSession

log = logging.getLogger(__name__)

AGAIN_MS = 5000
Speak = Callable[[str, str], Awaitable[str]]
Forget = Callable[[str], Awaitable[None]]
Release = Callable[[str], Awaitable[None]]


def _played_through(result: dict) -> bool:
    """STREAM FILE answers result=0 at the end of the file, a key's code if one was
    pressed; -1 (or an error) when the channel went away."""
    if "error" in result:
        return False
    return result.get("result", ("-1", ""))[0] not in ("-1", "")


class ReplyCallRoute:
    """FastAGI `reply`; ``store`` is the CaseStore (synchronous, used via threads)."""

    def __init__(self, store, speak: Speak, forget: Forget, release_line: Release) -> None:
        """``release_line(number)`` frees the citizen's line key the call was placed under."""
        self.store = store
        self.speak = speak
        self.forget = forget
        self.release_line = release_line

    async def handle(self, agi: AgiSession) -> None:
        raw = (await agi.get_variable("REPLY_DELIVERY") or "").strip()
        if not raw.isdigit():
            log.warning("reply call without a valid delivery variable; hanging up")
            await agi.command("HANGUP")
            return
        message = await asyncio.to_thread(self.store.delivery, int(raw))
        name = f"reply-{message.id}"
        try:
            if message.status != "pending":
                log.info("reply %s: already %s; nothing to read", message.id, message.status)
                return
            sound = await self.speak(name, message.text)
            if not sound:
                log.error("reply %s: no voice could be made; left for another try", message.id)
                return
            await agi.command("ANSWER")
            await agi.exec("Playback", "hotline/reply_intro")
            if not _played_through(await agi.command(f'STREAM FILE {sound} ""')):
                log.info("reply %s: the citizen hung up before the end", message.id)
                return
            await asyncio.to_thread(self.store.delivery_sent, message.id, None,
                                    f"heard:{agi.headers.get('agi_uniqueid', '')}")
            again = await agi.command(f"GET DATA hotline/reply_again {AGAIN_MS} 1")
            if again.get("result", ("", ""))[0] == "1":
                await agi.command(f'STREAM FILE {sound} ""')
            await agi.exec("Playback", "hotline/reply_goodbye")
        finally:
            await self.forget(name)
            line = (await agi.get_variable("REPLY_LINE") or "").strip()
            if line.isdigit():
                await self.release_line(line)
            with contextlib.suppress(AgiHangup):
                await agi.command("HANGUP")

"""The `checkin` FastAGI route: what the elderly person says when the check-in rings.

1 is "all is well"; 2, or anything said, is "I need something": a case for the elderly
centre with what they said. Picking up and saying nothing at all is a concern too.
Either way the call counts as answered, so it is not placed again today.
"""

from __future__ import annotations

import asyncio
import logging

from ivr.checkin.dialler import attempts_key
from ivr.fastagi import AgiSession
from ivr.heard import Heard

log = logging.getLogger(__name__)

LISTEN_MS = 8000


class CheckinRoute:
    def __init__(self, store, redis, prefix: str, understand, recordings_dir: str) -> None:
        self.store = store
        self.redis = redis
        self.prefix = prefix
        self.understand = understand
        self.recordings_dir = recordings_dir

    async def handle(self, agi: AgiSession) -> None:
        terminal = "".join(ch for ch in await agi.get_variable("CHECKIN_TERMINAL") or ""
                           if ch in "0123456789")[:20]
        window = (await agi.get_variable("CHECKIN_WINDOW") or "")[:20]
        await self.redis.hset(attempts_key(self.prefix, terminal, window), "answered", "1")
        reply = await agi.command("GET DATA hotline/checkin_greeting 8000 1")
        key = str(reply.get("result", ("", ""))[0])
        heard = Heard("", "not_recorded")
        if key not in ("1", "2"):
            recording = f"{self.recordings_dir}/checkin-{terminal}-{window.replace(' ', '-')}"
            recording = recording.replace(":", "")
            await agi.command(f'RECORD FILE {recording} wav "#" {LISTEN_MS} s=3')
            heard = await self.understand(f"{recording}.wav")
        if key == "1":
            log.info("check-in %s: all is well", terminal)
        else:
            said = heard.text or ("（按2：需要帮助）" if key == "2" else "（接通后无应答）")
            log.warning("check-in %s: needs attention (%s)", terminal, said)
            await asyncio.to_thread(
                self.store.create_case, channel="terminal", caller=terminal, kind="emergency",
                topic="elderly_emergency", text=f"关爱回访：{said}", transcript=heard.text or None,
                elderly=True)
        await agi.exec("Playback", "hotline/checkin_thanks")
        await agi.command("HANGUP")

"""The `followup` FastAGI route: the citizen picked up a follow-up call (回访); ask and record.

The question is asked once more when nothing or a wrong key comes back. A KB answer is
asked whether it helped, praise about the hotline's service, anything else about the
handler's work; then a case a partner company handled gets three more questions
(response time, quality, price), a department's case its kind's own (timeliness,
attitude: ``FollowupSettings.questions``).
The answer is written before the goodbye, so a citizen who hangs up during it is
still counted; 3 (not satisfied) makes the store send the case back to its handler.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ivr.fastagi import AgiHangup, AgiSession
from ivr.followup.rules import FollowupSettings, first_question

log = logging.getLogger(__name__)

ANSWER_TIMEOUT_MS = 6000
ANSWERS = ("1", "2", "3")  # satisfied, basically satisfied, not satisfied
COMPANY_QUESTIONS = ("followup_company_time", "followup_company_quality",
                     "followup_company_price")


@dataclass
class Answers:
    """What the citizen keyed; None where they did not answer."""

    satisfaction: int | None = None
    company: tuple[int | None, ...] = ()
    own: dict[str, int | None] = field(default_factory=dict)  # the kind's own questions

    def as_record(self) -> dict[str, int | None]:
        time_, quality, price = (tuple(self.company) + (None, None, None))[:3]
        return {"company_time": time_, "company_quality": quality, "company_price": price}


async def ask(agi: AgiSession, prompt: str, tries: int = 2) -> int | None:
    """Play the question and read one key; a missing or wrong key gets one more try."""
    for attempt in range(tries):
        result = await agi.command(f"GET DATA hotline/{prompt} {ANSWER_TIMEOUT_MS} 1")
        if "error" in result:  # the channel is gone (AGISIGHUP=no gives -1 or 511)
            raise AgiHangup(result.get("msg", "hangup"))
        key = result.get("result", ("", ""))[0]
        if key in ANSWERS:
            return int(key)
        log.info("follow-up question %s: got %r, not 1/2/3", prompt, key or "nothing")
        if attempt + 1 < tries:
            await agi.exec("Playback", "hotline/followup_invalid")
    return None


class FollowupRoute:
    """FastAGI `followup`; the store is the CaseStore (synchronous, used via threads)."""

    def __init__(self, store, settings: FollowupSettings | None = None) -> None:
        self.store = store
        self.settings = settings or FollowupSettings()

    async def handle(self, agi: AgiSession) -> None:
        case_number = (await agi.get_variable("FOLLOWUP_CASE") or "").strip()
        if not case_number.isdigit():
            log.warning("follow-up call without a valid case variable; hanging up")
            await agi.command("HANGUP")
            return
        case = await asyncio.to_thread(self.store.get_case, case_number)
        uniqueid = agi.headers.get("agi_uniqueid", "")
        await self._call_record(uniqueid, caller=case.caller, origin="followup",
                                answered_at=datetime.now(UTC), case_number=case_number)
        answers, hung_up = Answers(), False
        try:
            await agi.command("ANSWER")
            owner_type = case.owner_type or ""
            answers.satisfaction = await ask(agi, first_question(owner_type, case.kind))
            if answers.satisfaction is not None and owner_type == "company":
                for question in COMPANY_QUESTIONS:
                    answers.company += (await ask(agi, question),)
            elif answers.satisfaction is not None:
                for name in self.settings.questions_for(owner_type, case.kind):
                    answers.own[name] = await ask(agi, f"followup_q_{name}")
        except AgiHangup:
            log.info("follow-up %s: citizen hung up during the questions", case_number)
            hung_up = True
        finally:
            saved = await self._save(case_number, answers)
            await self._call_record(uniqueid, outcome="ivr_handled", ended_at=datetime.now(UTC))
        if hung_up:
            return
        if saved:
            goodbye = "followup_sent_back" if answers.satisfaction == 3 else "followup_thanks"
        else:
            goodbye = "no_input"
        await agi.exec("Playback", f"hotline/{goodbye}")
        await agi.command("HANGUP")

    async def _save(self, case_number: str, answers: Answers) -> bool:
        if answers.satisfaction is None:
            log.info("follow-up %s: no answer keyed; the dialler will try again", case_number)
            return False
        try:
            await asyncio.to_thread(self.store.record_followup, case_number,
                                    answers.satisfaction, note="phone follow-up (DTMF)",
                                    answers=answers.own, **answers.as_record())
        except ValueError as exc:  # e.g. the visit was already made by an agent
            log.warning("follow-up %s: answer not recorded: %s", case_number, exc)
            return False
        log.info("follow-up %s: satisfaction %d %s", case_number, answers.satisfaction,
                 answers.company or "")
        return True

    async def _call_record(self, uniqueid: str, **fields) -> None:
        """The call log is a convenience; its failure must not cut the citizen off."""
        if not uniqueid:
            return
        try:
            await asyncio.to_thread(self.store.record_call, uniqueid, **fields)
        except Exception:
            log.exception("follow-up call record %s failed", uniqueid)

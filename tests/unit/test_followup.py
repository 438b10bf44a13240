"""Follow-up calls without Asterisk: when to call, what goes to AMI, what the IVR asks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from case_store.reply_channel import digits
from ivr.fastagi import AgiHangup
from ivr.followup.dialler import FollowupCaller
from ivr.followup.route import FollowupRoute
from ivr.followup.rules import (
    FollowupSettings,
    VisitState,
    next_step,
    parse_backoff,
    parse_questions,
    unreachable_reason,
    visit_state,
)

T0 = datetime(2025, 10, 9, 10, 0, tzinfo=UTC)
SETTINGS = FollowupSettings(retries=1, backoff_s=(60,), ring_s=10, max_calls=5)


def note(at: datetime, **data) -> SimpleNamespace:
    return SimpleNamespace(action="note", at=at, data=data)


# ---- rules ----

@pytest.mark.parametrize("phone,dialled", [
    ("13955550001", "13955550001"), ("0579-8890001", "05798890001"),
    ("+86 139 5555 0001", "13955550001"),  # the trunk dials the national form
    ("139,1", ""), ("139&Dial(x)", ""), ("12", ""), ("", ""),
])
def test_only_plain_numbers_are_dialled_and_only_as_digits(phone, dialled):
    assert digits(phone) == dialled  # what the follow-up dialler sends the trunk


def test_attempts_are_counted_from_this_visit_only():
    events = [note(T0 - timedelta(days=3), followup="attempt"),  # an earlier visit
              note(T0 + timedelta(minutes=1), followup="attempt"),
              note(T0 + timedelta(minutes=1), followup="unreachable", reason="busy"),
              SimpleNamespace(action="reply", at=T0, data={})]
    state = visit_state(events, since=T0)
    assert state == VisitState(attempts=1, last_attempt_at=T0 + timedelta(minutes=1))


def test_call_then_wait_for_the_backoff_then_hand_over():
    assert next_step(VisitState(), SETTINGS, T0) == "call"
    once = VisitState(1, T0)
    assert next_step(once, SETTINGS, T0 + timedelta(seconds=59)) == "wait"
    assert next_step(once, SETTINGS, T0 + timedelta(seconds=60)) == "call"
    assert next_step(VisitState(2, T0), SETTINGS, T0) == "hand_over"
    assert next_step(VisitState(2, T0, handed_over=True), SETTINGS, T0) == "settled"


def test_settings_from_config_strings():
    cfg = SimpleNamespace(followup_questions="affairs=attitude", followup_enabled=False,
                          followup_interval_s=5, followup_retries=3,
                          followup_backoff_s="10, 20,x", followup_ring_s=20,
                          followup_max_calls=2, followup_reply_wait_s="-5")
    settings = FollowupSettings.from_config(cfg)
    assert (settings.enabled, settings.attempts, settings.backoff_s) == (False, 4, (10, 20))
    assert settings.reply_wait_s == 0  # never a negative wait
    assert settings.backoff(3) == 20  # the last backoff repeats
    assert parse_backoff("") == (0,)


def test_originate_failure_reasons():
    assert unreachable_reason({"Reason": "5"}) == "busy"
    assert unreachable_reason({"Reason": "3"}) == "no_answer"
    assert unreachable_reason({}) == "failed"


# ---- the dialler ----

class FakeRedis:
    def __init__(self) -> None:
        self.keys: dict[str, str] = {}

    async def exists(self, key: str) -> int:
        return int(key in self.keys)

    async def set(self, key: str, value: str, nx: bool = False, ex: int | None = None):
        if nx and key in self.keys:
            return None
        self.keys[key] = value
        return True

    async def delete(self, key: str) -> int:
        return int(self.keys.pop(key, None) is not None)


@dataclass
class FakeStore:
    visits: list = field(default_factory=list)
    log: dict[str, list] = field(default_factory=dict)
    status: str = "replied"

    def due_followups(self, limit: int = 100, reply_wait_s: float = 0) -> list:
        return list(self.visits)

    def events(self, number: str) -> list:
        return list(self.log.get(number, []))

    def transition(self, number: str, action: str, actor: str, **data) -> None:
        self.log.setdefault(number, []).append(note(datetime.now(UTC), **data))

    def get_case(self, number: str) -> SimpleNamespace:
        return SimpleNamespace(status=self.status)


def visit(case: str, caller: str) -> SimpleNamespace:
    return SimpleNamespace(case_number=case, caller=caller,
                           created_at=datetime.now(UTC) - timedelta(hours=1))


def dialler(store: FakeStore, reply: str = "Success"):
    actions: list[dict] = []

    async def originate(action: dict) -> dict:
        actions.append(action)
        return {"Response": reply}

    caller = FollowupCaller(store, FakeRedis(), "t", originate, SETTINGS, "88900000")
    return caller, actions


async def test_a_due_visit_is_dialled_once_with_digits_and_the_case_variable():
    store = FakeStore([visit("20251009000001", "0579-8890001")])
    caller, actions = dialler(store)
    assert await caller.run_once() == 1
    assert await caller.run_once() == 0  # the line key holds while the call is up
    assert len(actions) == 1
    action = actions[0]
    assert action["Channel"] == "PJSIP/05798890001@trunk"
    assert (action["Context"], action["Exten"]) == ("followup", "05798890001")
    assert action["Variable"] == "FOLLOWUP_CASE=20251009000001,FOLLOWUP_ATTEMPT=1"
    assert [e.data["followup"] for e in store.log["20251009000001"]] == ["attempt"]


async def test_two_cases_of_one_citizen_are_not_called_at_the_same_time():
    store = FakeStore([visit("20251009000001", "13955550001"),
                       visit("20251009000002", "13955550001")])
    caller, actions = dialler(store)
    assert await caller.run_once() == 1
    assert len(actions) == 1


async def test_busy_twice_then_handed_to_an_agent_and_never_called_again():
    store = FakeStore([visit("20251009000001", "13955550001")])
    caller = FollowupCaller(store, FakeRedis(), "t", None,
                            FollowupSettings(retries=1, backoff_s=(0,)), "88900000")
    actions: list[dict] = []

    async def originate(action: dict) -> dict:
        actions.append(action)
        return {"Response": "Success"}
    caller.originate = originate
    for _ in range(2):
        await caller.run_once()
        await caller.on_event({"Event": "OriginateResponse", "Response": "Failure",
                               "Reason": "5", "Uniqueid": actions[-1]["ChannelId"]})
    await caller.run_once()
    await caller.run_once()
    kinds = [(e.data["followup"], e.data.get("reason")) for e in store.log["20251009000001"]]
    assert kinds == [("attempt", None), ("unreachable", "busy"), ("attempt", None),
                     ("unreachable", "busy"), ("handed_over", "unreachable")]
    assert len(actions) == 2


async def test_refused_originate_is_not_counted_as_an_attempt():
    store = FakeStore([visit("20251009000001", "13955550001")])
    caller, actions = dialler(store, reply="Error")
    assert await caller.run_once() == 0
    assert store.log == {}
    assert caller.active == {}


async def test_answered_call_ending_without_a_key_counts_as_missed(monkeypatch):
    monkeypatch.setattr("ivr.followup.dialler.RECORD_GRACE_S", 0)
    store = FakeStore([visit("20251009000001", "13955550001")])
    caller, actions = dialler(store)
    await caller.run_once()
    channel = actions[0]["ChannelId"]
    await caller.on_event({"Event": "OriginateResponse", "Response": "Success",
                           "Uniqueid": channel})
    await caller.on_event({"Event": "Hangup", "Uniqueid": channel})
    await asyncio.gather(*caller._outcomes)
    kinds = [(e.data["followup"], e.data.get("reason")) for e in store.log["20251009000001"]]
    assert kinds == [("attempt", None), ("unreachable", "no_input")]
    assert caller.redis.keys == {}


# ---- the IVR route ----

class FakeAgi:
    """Answers GET DATA from a script of keys ('' = timeout, 'H' = hung up)."""

    def __init__(self, keys: list[str], variables: dict[str, str]) -> None:
        self.keys = list(keys)
        self.variables = variables
        self.headers = {"agi_uniqueid": "1700000000.1"}
        self.sent: list[str] = []

    async def get_variable(self, name: str) -> str | None:
        return self.variables.get(name)

    async def command(self, command: str) -> dict:
        self.sent.append(command)
        if command.startswith("GET DATA"):
            key = self.keys.pop(0) if self.keys else ""
            if key == "H":
                raise AgiHangup("hung up")
            return {"status_code": 200, "result": (key, ""), "msg": ""}
        return {"status_code": 200, "result": ("0", ""), "msg": ""}

    async def exec(self, application: str, *args: str) -> dict:
        self.sent.append(f"EXEC {application} {','.join(args)}")
        return {"status_code": 200, "result": ("0", ""), "msg": ""}


class RouteStore:
    def __init__(self, owner_type: str = "department", kind: str = "life") -> None:
        self.owner_type = owner_type
        self.kind = kind
        self.recorded: list[tuple] = []

    def get_case(self, number: str) -> SimpleNamespace:
        return SimpleNamespace(caller="13955550001", owner_type=self.owner_type,
                               kind=self.kind)

    def record_followup(self, number: str, satisfaction: int, **kw) -> None:
        self.recorded.append((number, satisfaction, kw))

    def record_call(self, uniqueid: str, **fields) -> None:
        pass


def prompts(agi: FakeAgi) -> list[str]:
    return [c.split()[2] for c in agi.sent if c.startswith("GET DATA")]


async def test_wrong_key_repeats_the_question_once_then_records():
    store, agi = RouteStore(), FakeAgi(["9", "3"], {"FOLLOWUP_CASE": "20251009000001"})
    await FollowupRoute(store).handle(agi)
    assert prompts(agi) == ["hotline/followup_intro", "hotline/followup_intro"]
    assert "EXEC Playback hotline/followup_invalid" in agi.sent
    assert store.recorded[0][:2] == ("20251009000001", 3)
    assert "EXEC Playback hotline/followup_sent_back" in agi.sent
    assert agi.sent[-1] == "HANGUP"


async def test_silence_twice_records_nothing():
    store, agi = RouteStore(), FakeAgi(["", ""], {"FOLLOWUP_CASE": "20251009000001"})
    await FollowupRoute(store).handle(agi)
    assert store.recorded == []
    assert len(prompts(agi)) == 2


async def test_company_case_asks_time_quality_price():
    store = RouteStore("company")
    agi = FakeAgi(["1", "2", "3", "1"], {"FOLLOWUP_CASE": "20251009000001"})
    await FollowupRoute(store).handle(agi)
    assert prompts(agi)[1:] == ["hotline/followup_company_time",
                                "hotline/followup_company_quality",
                                "hotline/followup_company_price"]
    assert store.recorded == [("20251009000001", 1, {
        "company_time": 2, "company_quality": 3, "company_price": 1,
        "note": "phone follow-up (DTMF)", "answers": {}})]


async def test_a_department_case_asks_its_kinds_own_questions():
    settings = FollowupSettings(questions=tuple(parse_questions(
        "affairs=timeliness,attitude;suggestion=attitude;bogus=colour").items()))
    assert dict(settings.questions) == {"affairs": ("timeliness", "attitude"),
                                        "suggestion": ("attitude",)}
    store = RouteStore("department", "affairs")
    agi = FakeAgi(["2", "3", "1"], {"FOLLOWUP_CASE": "20251009000001"})
    await FollowupRoute(store, settings).handle(agi)
    assert prompts(agi) == ["hotline/followup_intro", "hotline/followup_q_timeliness",
                            "hotline/followup_q_attitude"]
    assert store.recorded[0][2]["answers"] == {"timeliness": 3, "attitude": 1}


async def test_a_kb_answer_is_asked_whether_it_helped_and_praise_about_the_hotline():
    for owner_type, kind, question in (("kb", "consult", "followup_kb_useful"),
                                       ("department", "praise", "followup_praise")):
        store = RouteStore(owner_type, kind)
        agi = FakeAgi(["1"], {"FOLLOWUP_CASE": "20251009000001"})
        await FollowupRoute(store, FollowupSettings(questions=(("praise", ("attitude",)),))
                            ).handle(agi)
        assert prompts(agi) == [f"hotline/{question}"]  # and nothing more is asked


async def test_hanging_up_mid_questions_still_keeps_the_satisfaction():
    store = RouteStore("company")
    agi = FakeAgi(["2", "1", "H"], {"FOLLOWUP_CASE": "20251009000001"})
    await FollowupRoute(store).handle(agi)
    assert store.recorded[0][1] == 2
    assert store.recorded[0][2]["company_time"] == 1
    assert store.recorded[0][2]["company_quality"] is None
    assert "HANGUP" not in agi.sent and not any("thanks" in c for c in agi.sent)  # nobody there


async def test_a_bad_case_variable_hangs_up_without_touching_the_store():
    store, agi = RouteStore(), FakeAgi(["1"], {"FOLLOWUP_CASE": "1 2;x"})
    await FollowupRoute(store).handle(agi)
    assert agi.sent == ["HANGUP"]
    assert store.recorded == []

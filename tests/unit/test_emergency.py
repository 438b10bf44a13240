"""The elderly emergency path's decisions and the contact round, on scripted peers."""

from __future__ import annotations

import asyncio

from acd.callback_numbers import NumberPlan
from acd.emergency import Contact, EmergencyDialler, Person
from acd.line import Entry
from ivr.emergency import EmergencyPath, room_for, wants_help
from ivr.heard import Heard

ENTRY = Entry(id="li-1", kind="live", caller="9003", arrived_at=1700000000.0, priority=0,
              origin="terminal", uniqueid="1700000000.42")


def test_anything_but_an_explicit_no_is_a_call_for_help():
    assert wants_help("5", "")  # any key
    assert wants_help("", "")  # silence
    assert wants_help("", "嗯 啊")  # a moan, a word we do not know
    assert wants_help("", "是")
    for no in ("不用", "不要了", "我没事", "不需要谢谢", "no thanks"):
        assert not wants_help("", no)


def test_a_room_name_holds_only_digits_and_dashes_whatever_the_uniqueid():
    assert room_for(ENTRY) == "elderly-1700000000-42"
    hostile = Entry(id="li-2", kind="live", caller="x", arrived_at=0, uniqueid="1;2,3\n(4)")
    assert set(room_for(hostile).removeprefix("elderly-")) <= set("0123456789-")


class Calls:
    """Originate as AMI would answer it: which numbers pick up."""

    def __init__(self, answering: set[str]) -> None:
        self.answering = answering
        self.dialled: list[str] = []
        self.actions: list[dict] = []

    async def __call__(self, action: dict, timeout: float) -> bool:
        number = action["Channel"].removeprefix("Local/").removesuffix("@emergency-contact/n")
        self.dialled.append(number)
        self.actions.append(action)
        return number in self.answering


def dialler(calls: Calls, person: Person | None, forgotten: list[str],
            hung_up: list[str] | None = None) -> EmergencyDialler:
    async def people(terminal: str) -> Person | None:
        return person

    async def speak(room: str, text: str) -> str:
        return f"hotline/emergency/{room}"

    async def forget(room: str) -> None:
        forgotten.append(room)

    async def hangup(channel: str) -> None:
        if hung_up is not None:
            hung_up.append(channel)

    return EmergencyDialler(calls, hangup, people, NumberPlan(), speak, forget, "88900000")


PERSON = Person("张阿姨", "婺城区八一北街1号", (
    Contact("儿子", "+86 139 0000 0001"), Contact("邻居", "12345"), Contact("女儿", "13900000003")))


async def _round(calls: Calls, person: Person | None) -> tuple[EmergencyDialler, list[str]]:
    forgotten: list[str] = []
    d = dialler(calls, person, forgotten)
    await d.start(ENTRY, "elderly-1")
    await asyncio.gather(*d._tasks.values())
    return d, forgotten


async def test_contacts_are_called_in_order_until_one_answers_and_the_summary_goes():
    calls = Calls(answering={"13900000003"})
    d, forgotten = await _round(calls, PERSON)
    # the son (national form) first; the neighbour's 12345 is outside the plan: skipped
    assert calls.dialled == ["13900000001", "13900000003"]
    assert [a.outcome for a in d.attempts["elderly-1"]] == ["failed", "refused", "answered"]
    assert "HOTLINE_ROOM=elderly-1" in calls.actions[0]["Variable"]
    assert calls.actions[0]["Context"] == "emergency-join"
    assert forgotten == ["elderly-1"]  # the summary (a name, an address) is deleted


async def test_the_first_contact_answering_ends_the_round():
    calls = Calls(answering={"13900000001"})
    await _round(calls, PERSON)
    assert calls.dialled == ["13900000001"]


async def test_a_terminal_with_nobody_on_record_dials_no_one():
    calls = Calls(answering=set())
    d, _ = await _round(calls, None)
    assert calls.dialled == [] and d.attempts == {}


class Terminal:
    """An elderly caller's terminal as the IVR sees it: keys pressed, words said."""

    headers = {"agi_uniqueid": "1700000000.42", "agi_channel": "PJSIP/9003-00000001"}

    def __init__(self, key: str) -> None:
        self.key = key
        self.sent: list[str] = []

    async def command(self, command: str, timeout: float | None = None) -> dict:
        self.sent.append(command)
        key = self.key if command.startswith("GET DATA hotline/elderly_urgent") else ""
        return {"status_code": 200, "result": (key, ""), "msg": ""}

    async def exec(self, application: str, *args: str, timeout: float | None = None) -> dict:
        self.sent.append(f"EXEC {application} {','.join(args)}")
        return {"status_code": 200, "result": ("0", ""), "msg": ""}


class Round:
    """The contact round as the IVR drives it."""

    def __init__(self) -> None:
        self.log: list[str] = []

    async def knows(self, terminal: str) -> bool:
        return terminal == "9003"

    async def start(self, entry: Entry, room: str) -> None:
        self.log.append(f"start {room}")

    async def cancel(self, room: str) -> None:
        self.log.append(f"cancel {room}")

    async def summon_agent(self, entry: Entry, room: str) -> None:
        self.log.append(f"agent {room}")

    async def room_closed(self, room: str) -> None:
        self.log.append(f"closed {room}")


def path(said: str, contacts: Round, filed: list[str]) -> EmergencyPath:
    async def understand(recording: str) -> Heard:
        return Heard(said, "ok")

    async def file_case(entry: Entry, heard: Heard, kind: str | None) -> None:
        filed.append(kind or "")

    return EmergencyPath(contacts, understand, file_case, "/rec")


async def test_the_contacts_ring_before_the_question_and_silence_puts_the_caller_in_the_room():
    contacts, filed = Round(), []
    route, terminal = path("", contacts, filed), Terminal(key="")
    heard = await route.ask(terminal, ENTRY)
    assert contacts.log == ["start elderly-1700000000-42"] and terminal.sent[0] == "ANSWER"
    assert heard is not None
    await route.join(terminal, ENTRY, heard)
    assert filed == ["emergency"]
    # the first free agent is asked for; when the caller leaves, no more
    assert contacts.log == ["start elderly-1700000000-42", "agent elderly-1700000000-42",
                            "closed elderly-1700000000-42"]
    assert terminal.sent[-1] == "EXEC ConfBridge elderly-1700000000-42,elderly_bridge,elderly_user"


async def test_an_explicit_no_calls_the_contacts_off_and_leaves_the_caller_to_the_ivr():
    contacts = Round()
    route = path("不用了，我没事", contacts, [])
    assert await route.ask(Terminal(key=""), ENTRY) is None
    assert contacts.log == ["start elderly-1700000000-42", "cancel elderly-1700000000-42"]


async def test_calling_off_hangs_up_the_phone_ringing_now_and_calls_no_one_else():
    ringing = asyncio.Event()

    class Slow(Calls):
        async def __call__(self, action: dict, timeout: float) -> bool:
            await super().__call__(action, timeout)
            ringing.set()
            await asyncio.sleep(30)  # nobody answers yet
            return False

    calls, forgotten, hung_up = Slow(answering=set()), [], []
    d = dialler(calls, PERSON, forgotten, hung_up)
    await d.start(ENTRY, "elderly-1")
    await asyncio.wait_for(ringing.wait(), 5)
    await d.cancel("elderly-1")
    assert calls.dialled == ["13900000001"]
    assert hung_up == ["/^Local/13900000001@emergency-contact-/"]
    assert forgotten == ["elderly-1"]


async def test_a_terminal_nobody_registered_is_an_ordinary_caller():
    route = path("", Round(), [])
    assert await route.knows(ENTRY)
    assert not await route.knows(Entry(id="li-9", kind="live", caller="9009", arrived_at=0,
                                       origin="terminal"))

"""IncomingRoute's request watchers: the hook the ACD bench uses instead of patching."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import replace
from types import SimpleNamespace

from acd.line import Entry
from ivr.fastagi import AgiHangup
from ivr.incoming import IncomingRoute


class FakeAcd:
    """What take_request touches on the ACD, recording the order of things."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.settings = SimpleNamespace(ring_window_s=15.0, seat_ring_s=8.0)

    async def abandoned_in_ivr(self, entry: Entry) -> None:
        self.log.append("abandoned_in_ivr")

    async def request_callback(self, entry: Entry, number: str, recording: str = "",
                               **fields: object) -> Entry:
        self.log.append(f"request_callback {number}")
        return replace(entry, id="callback-1", kind="callback", callback_number=number)

    async def record_call(self, uniqueid: str, **fields: object) -> None:
        self.log.append("record_call")


class HangsUpAtOnce:
    """A caller who is gone by the time the IVR answers."""

    headers = {"agi_channel": "PJSIP/trunk-00000001", "agi_uniqueid": "1700000000.1"}

    async def command(self, command: str) -> dict:
        raise AgiHangup("hung up")

    async def exec(self, application: str, *args: str) -> dict:
        raise AgiHangup("hung up")


ENTRY = Entry(id="live-1", kind="live", caller="13800138000", arrived_at=1700000000.0,
              uniqueid="1700000000.1")


def watcher(log: list[str], name: str):
    @asynccontextmanager
    async def watch(agi, entry):
        log.append(f"{name} enter {agi.headers['agi_channel']} {entry.id}")
        try:
            yield
        finally:
            log.append(f"{name} exit")
    return watch


async def test_watchers_are_around_taking_the_request_in_order():
    log: list[str] = []
    route = IncomingRoute(FakeAcd(log), [], "/rec", request_watchers=[watcher(log, "a")])
    route.request_watchers.append(watcher(log, "b"))  # also after construction
    await route.take_request(HangsUpAtOnce(), ENTRY)
    assert log == ["a enter PJSIP/trunk-00000001 live-1", "b enter PJSIP/trunk-00000001 live-1",
                   "abandoned_in_ivr", "request_callback 13800138000", "b exit", "a exit"]


async def test_without_watchers_the_request_is_taken_as_before():
    log: list[str] = []
    route = IncomingRoute(FakeAcd(log), [], "/rec")
    assert route.request_watchers == []
    await route.take_request(HangsUpAtOnce(), ENTRY)
    assert log == ["abandoned_in_ivr", "request_callback 13800138000"]


def test_the_window_counts_from_the_call_reaching_asterisk_not_from_the_route():
    from ivr.incoming import first_arrival

    now = 1_700_000_100.5
    assert first_arrival("1700000040", now) == 1_700_000_040  # entered again a minute later
    assert first_arrival("1700000097.250", now) == 1_700_000_097.25  # set-up took 3.25 s
    assert first_arrival("1700000100.9", now) == now  # Asterisk's clock a little ahead
    for garbage in (None, "", "soon", "1700009999", "12"):  # missing, garbled, future, ancient
        assert first_arrival(garbage, now) == now


class CheckingAcd(FakeAcd):
    """An ACD whose dial plan takes mainland mobiles only."""

    async def request_callback(self, entry: Entry, number: str, recording: str = "",
                               **fields: object) -> Entry:
        callback = await super().request_callback(entry, number, recording)
        return callback if number.startswith("1") else replace(
            callback, number_check="not a mainland number")


class CallerKeys:
    """A caller who presses 1 for a callback and keys NUMBER after the beep."""

    headers = {"agi_channel": "PJSIP/trunk-00000002", "agi_uniqueid": "1700000000.2"}

    def __init__(self, number: str) -> None:
        self.number = number
        self.played: list[str] = []

    async def command(self, command: str) -> dict:
        keyed = {"GET DATA hotline/seats_busy": "1", "GET DATA beep": self.number}
        key = next((v for k, v in keyed.items() if command.startswith(k)), "")
        return {"status_code": 200, "result": (key, ""), "msg": ""}

    async def exec(self, application: str, *args: str) -> dict:
        self.played.append(",".join(args))
        return {"status_code": 200, "result": ("0", ""), "msg": ""}

    async def set_variable(self, name: str, value: str) -> None:
        pass


async def test_a_caller_whose_number_must_be_checked_is_told_so_not_promised_five_minutes():
    route = IncomingRoute(CheckingAcd([]), [], "/rec")
    foreign = CallerKeys("0012025550100")
    await route.take_request(foreign, ENTRY)
    assert "hotline/callback_number_check" in foreign.played
    assert "hotline/callback_registered" not in foreign.played

    mobile = CallerKeys("13900001111")
    await route.take_request(mobile, ENTRY)
    assert "hotline/callback_registered" in mobile.played

"""SeatControl.apply: the one door for seat actions from phones, the desk and the wallboard."""

import pytest
from redis.asyncio import Redis

from acd.control import SEAT_ACTIONS, SeatControl, SeatControlError, pause_code


class RecordingBoard:
    """Stands in for the Redis seat board: remembers what each action would write."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, dict]] = []

    async def update(self, seat: str, **fields: object) -> str:
        self.writes.append((seat, fields))
        return "ok"

    async def swap(self, seat: str, **fields: object) -> tuple[bool, str]:
        self.writes.append((seat, fields))
        return True, ""

    async def refresh(self, seat: str) -> str:
        return "ok"


def control() -> tuple[SeatControl, RecordingBoard]:
    ctl = SeatControl(Redis(), prefix="t", seats=["8001"])  # never connects
    ctl.board = RecordingBoard()
    return ctl, ctl.board


async def test_every_action_writes_the_seat_facts_it_stands_for():
    ctl, board = control()
    for action in SEAT_ACTIONS:
        await ctl.apply("8001", action, "午休")
    written = dict(zip(SEAT_ACTIONS, (fields for _, fields in board.writes), strict=True))
    assert written["login"] == {"logged_in": "1", "paused_reason": ""}
    assert written["logout"] == {"logged_in": "0"}
    assert written["pause"] == {"paused_reason": "午休"}
    assert written["resume"] == {"paused_reason": "", "missed": "0"}
    assert set(written["wrapup_done"]) == {"wrapup_until", "idle_since"}


async def test_a_pause_without_a_reason_is_a_break():
    ctl, board = control()
    await ctl.apply("8001", "pause")
    assert board.writes == [("8001", {"paused_reason": "break"})]


@pytest.mark.parametrize("action", ["explode", "__init__", "board", ""])
async def test_unknown_actions_are_refused_before_anything_is_written(action):
    ctl, board = control()
    with pytest.raises(SeatControlError, match="unknown seat action"):
        await ctl.apply("8001", action)
    assert board.writes == []


async def test_a_caller_can_offer_fewer_actions_and_unknown_seats_are_refused():
    ctl, board = control()
    with pytest.raises(SeatControlError):
        await ctl.apply("8001", "wrapup_done", allowed=("pause", "resume"))
    with pytest.raises(SeatControlError, match="unknown seat"):
        await ctl.apply("8099", "login")
    assert board.writes == []


@pytest.mark.parametrize("given, code", [("", "break"), ("break", "break"), ("3", "code3"),
                                         ("code12", "code12"), (" 7 ", "code7")])
def test_pause_codes_are_those_of_the_phone(given, code):
    assert pause_code(given) == code  # *23 is break, *23N is code<N>


@pytest.mark.parametrize("given", ["lunch", "code", "code1234567", "3a", "break;x", "-1",
                                   "²", "code³", "break\nx"])
def test_other_pause_reasons_are_refused_naming_the_codes(given):
    with pytest.raises(SeatControlError, match="code<N>"):
        pause_code(given)

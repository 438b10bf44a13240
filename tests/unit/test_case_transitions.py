"""The action table of ``transition``: unknown actions and wrong keywords are the caller's
mistake (a clear IllegalTransitionError, nothing written); an error raised inside a
handler is a bug and propagates as itself. Runs on a fake unit of work, no database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest

from case_store.errors import IllegalTransitionError, UnknownActionError
from case_store.joint import JointHandling
from case_store.jurisdiction import OutOfJurisdiction
from case_store.leaders import LeaderApproval
from case_store.notices import SupervisionNotices
from case_store.policy import REFERRALS
from case_store.transitions import Transitions, check_arguments
from case_store.workdays import SHANGHAI

NOW = datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)


class FakeUnitOfWork:
    """Hands out one case and records what would have been written."""

    def __init__(self, status: str = "accepted") -> None:
        self.case = SimpleNamespace(number="20250930000001", status=status,
                                    owner_type="department", owner_code="city_management",
                                    receipt_due_at=None, due_at=None, cohandlers=[])
        self.loaded = 0
        self.events: list[tuple[str, dict[str, Any]]] = []

    def clock(self) -> datetime:
        return NOW

    @contextmanager
    def tx(self) -> Iterator[object]:
        yield object()

    def load(self, s: object, number: str, lock: bool = False) -> SimpleNamespace:
        self.loaded += 1
        return self.case

    def view(self, s: object, case: SimpleNamespace) -> str:
        return case.status

    def event(self, s: object, case: SimpleNamespace, actor: str, action: str,
              data: dict[str, Any] | None = None, to_status: str | None = None) -> None:
        self.events.append((action, data or {}))


def transitions(uow: FakeUnitOfWork) -> Transitions:
    followups = SimpleNamespace(for_reply=lambda *a: [], hand_over=lambda *a: None)
    deliveries = SimpleNamespace(owe=lambda *a: None)
    return Transitions(uow, clocks=None, assignment=None,  # type: ignore[arg-type]
                       followups=followups, standing=None, joint=JointHandling(uow),
                       notices=SupervisionNotices(uow),
                       leaders=LeaderApproval(uow, clocks=None, leader_days=2),
                       jurisdiction=OutOfJurisdiction(uow, REFERRALS, deliveries),
                       deliveries=deliveries)  # type: ignore[arg-type]


def test_unknown_action_names_itself_and_the_known_ones_and_loads_nothing():
    uow = FakeUnitOfWork()
    with pytest.raises(UnknownActionError) as caught:
        transitions(uow).transition("20250930000001", "teleport", "operator")
    assert isinstance(caught.value, IllegalTransitionError)  # callers that catch it still do
    assert caught.value.action == "teleport"
    assert "'teleport'" in str(caught.value)
    for known in ("accept", "reply", "reassign", "note"):
        assert known in caught.value.known and known in str(caught.value)
    assert uow.loaded == 0 and uow.events == []


def test_routing_steps_are_not_handling_actions():
    with pytest.raises(UnknownActionError, match="'assign' is not a handling action"):
        transitions(FakeUnitOfWork("received")).transition("1", "assign", "operator")


def test_a_type_error_inside_a_handler_propagates_as_the_bug_it_is():
    uow = FakeUnitOfWork()
    table = transitions(uow)

    def broken(s: object, case: object, actor: str, **data: Any) -> None:
        raise TypeError("internal bug: unsupported operand")

    table.actions["note"] = broken
    with pytest.raises(TypeError, match="internal bug") as caught:
        table.transition("20250930000001", "note", "operator", text="x")
    assert not isinstance(caught.value, IllegalTransitionError)


def test_a_type_error_inside_a_real_handler_is_not_disguised(monkeypatch):
    uow = FakeUnitOfWork()
    table = transitions(uow)

    def bad_event(*args: Any, **kwargs: Any) -> None:
        raise TypeError("event() got confused")

    monkeypatch.setattr(uow, "event", bad_event)
    with pytest.raises(TypeError, match="confused"):
        table.transition("20250930000001", "reply", "city_management", reply="已修复")


def test_unexpected_keywords_are_refused_before_the_handler_runs():
    uow = FakeUnitOfWork()
    with pytest.raises(IllegalTransitionError,
                       match="bad arguments for reply: unexpected bogus; reply takes reply"):
        transitions(uow).transition("20250930000001", "reply", "city_management", bogus=1)
    with pytest.raises(IllegalTransitionError, match="accept takes no arguments"):
        transitions(FakeUnitOfWork("assigned")).transition("1", "accept", "x", to="parks")
    assert uow.events == []


def test_a_value_of_the_wrong_type_is_the_callers_bad_argument():
    uow = FakeUnitOfWork()
    with pytest.raises(IllegalTransitionError, match="bad arguments for reply: reply"):
        transitions(uow).transition("20250930000001", "reply", "city_management", reply=None)
    assert uow.events == []


def test_the_lifecycle_is_checked_before_the_arguments():
    with pytest.raises(IllegalTransitionError, match="cannot reply a case that is assigned"):
        transitions(FakeUnitOfWork("assigned")).transition("1", "reply", "x", bogus=1)


def test_note_and_start_take_any_keywords_and_record_them():
    uow = FakeUnitOfWork()
    table = transitions(uow)
    assert table.transition("1", "note", "operator", reason="called", when=NOW) == "accepted"
    assert uow.events == [("note", {"reason": "called", "when": str(NOW)})]


def test_check_arguments_names_missing_and_unexpected_keywords():
    def handler(s: object, case: object, actor: str, *, to: str, why: str = "") -> None:
        pass

    check_arguments("move", handler, {"to": "parks"})
    check_arguments("move", handler, {"to": "parks", "why": "flooded"})
    with pytest.raises(IllegalTransitionError, match="missing to; move takes to, why"):
        check_arguments("move", handler, {})
    with pytest.raises(IllegalTransitionError, match="unexpected a, b; missing to"):
        check_arguments("move", handler, {"b": 1, "a": 2})


def test_an_out_of_jurisdiction_closure_needs_a_reason_and_a_known_referral():
    uow = FakeUnitOfWork("accepted")
    uow.case.received_at = NOW
    table = transitions(uow)
    with pytest.raises(IllegalTransitionError, match="unknown referral 'the moon'"):
        table.transition("1", "close_out_of_jurisdiction", "sup", reason="x",
                         referral="the moon")
    with pytest.raises(IllegalTransitionError, match="say why"):
        table.transition("1", "close_out_of_jurisdiction", "sup", reason=" ",
                         referral=REFERRALS[0])
    assert uow.events == []
    table.transition("1", "close_out_of_jurisdiction", "sup", reason="属于省级事项",
                     referral=REFERRALS[0])
    action, data = uow.events[0]
    assert action == "close_out_of_jurisdiction"
    assert {"reason", "referral", "notify_citizen"} <= set(data)
    assert REFERRALS[0] in data["notify_citizen"]


def test_a_finding_comes_only_from_a_co_handler():
    uow = FakeUnitOfWork("in_progress")
    uow.case.cohandlers = ["environment"]
    table = transitions(uow)
    with pytest.raises(IllegalTransitionError, match="'parks' is not a co-handler"):
        table.transition("1", "finding", "parks", dept="parks", finding="查看了现场")
    table.transition("1", "finding", "environment", dept="environment", finding="已监测噪声")
    assert uow.events == [("finding", {"owner_type": "department", "owner": "environment",
                                       "on_time": True, "finding": "已监测噪声",
                                       "lead": "city_management"})]

"""Company penalties take effect: standing changes, logged with figures; suspended companies
get no dispatches until the period ends or an operator lifts it; a termination is only
proposed. Also: the models and the migrations describe the same schema."""
# ruff: noqa: F811  (pytest fixtures imported from case_support are re-bound as arguments)

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session

from case_store.errors import IllegalTransitionError, UnknownCompanyError
from case_store.models import Base, CompanyEvent
from case_store.policy import CasePolicy
from case_store.scores import PenaltyRules
from case_store.store import CaseStore
from case_store.workdays import SHANGHAI
from tests.integration.case_support import case_clock, case_db  # noqa: F401

pytestmark = pytest.mark.integration
NEAR_WUCHENG = {"lat": 29.0800, "lon": 119.6475}
NEAREST = "locksmith_wucheng"


def store_with(case_db, case_clock, **rules) -> CaseStore:
    store = CaseStore(case_db, clock=case_clock,
                      policy=CasePolicy(penalties=PenaltyRules(**rules)))
    store.setup()
    return store


@pytest.fixture
def strict(case_db, case_clock):
    """Judged from four dispatches on (the default thresholds otherwise)."""
    store = store_with(case_db, case_clock, min_orders=4)
    yield store
    store.close()


def unlock(store, n: int):
    case = store.create_case(channel="phone", caller=f"1380000{n:04d}", text=f"钥匙丢了{n}",
                             kind="life", topic="unlock", **NEAR_WUCHENG)
    return store.route(case.number)


def standing_log(store, code: str) -> list[tuple[str, str, str]]:
    return [(e.action, e.from_standing, e.to_standing) for e in store.company_record(code)[2]]


def miss_one(store, clock, n: int):
    case = unlock(store, n)
    assert case.owner == NEAREST
    clock.advance(minutes=11)
    store.sweep()
    return case


def test_missed_contact_suspends_the_company_and_dispatch_skips_it(strict, case_clock):
    for n in range(3):
        strict.confirm_contact(unlock(strict, n).number, NEAREST)
    assert strict.company(NEAREST).standing == "active"
    missed = miss_one(strict, case_clock, 3)  # 3 of 4 on time: 0.75 < 0.80

    view, figures, log = strict.company_record(NEAREST)
    assert (view.standing, view.suspended_until) == (
        "suspended", datetime(2025, 10, 7, 10, 11, tzinfo=SHANGHAI))
    assert [(e.action, e.to_standing) for e in log] == [("penalty", "suspended")]
    assert log[0].data["penalty"] == "order_suspension"
    assert log[0].data["case"] == missed.number
    assert log[0].data["figures"] == {"dispatched": 4, "on_time_contact_rate": 0.75,
                                      "missed_contacts": 1, "complaints": 0}
    assert figures["penalty"] == "order_suspension"

    skipped = unlock(strict, 4)  # the nearest company is suspended: the next one gets it
    assert skipped.owner_type == "company" and skipped.owner != NEAREST

    case_clock.now = datetime(2025, 10, 7, 10, 12, tzinfo=SHANGHAI)  # the week is served
    back = unlock(strict, 5)
    assert back.owner == NEAREST
    assert standing_log(strict, NEAREST) == [("penalty", "active", "suspended"),
                                             ("suspension_ended", "suspended", "active")]
    strict.confirm_contact(back.number, NEAREST)  # the old miss is not counted again
    assert strict.company(NEAREST).standing == "active"


def test_an_operator_lifts_a_suspension_and_the_record_starts_afresh(strict, case_clock):
    for n in range(3):
        strict.confirm_contact(unlock(strict, n).number, NEAREST)
    miss_one(strict, case_clock, 3)
    with pytest.raises(IllegalTransitionError, match="reason"):
        strict.lift_penalty(NEAREST, "operator", "  ")
    lifted = strict.lift_penalty(NEAREST, "operator", "contact system was down, verified")
    assert (lifted.standing, lifted.suspended_until) == ("active", None)
    case = unlock(strict, 4)
    assert case.owner == NEAREST
    strict.confirm_contact(case.number, NEAREST)
    assert strict.company(NEAREST).standing == "active"
    log = strict.company_record(NEAREST)[2]
    assert [(e.action, e.actor) for e in log] == [("penalty", "sla"), ("lift", "operator")]
    assert log[1].data["reason"] == "contact system was down, verified"


def test_complaints_propose_termination_for_the_supervision_office(case_db, case_clock):
    store = store_with(case_db, case_clock, min_orders=1, terminate_complaints=1)
    try:
        case = unlock(store, 1)
        store.confirm_contact(case.number, NEAREST)
        store.transition(case.number, "reply", NEAREST, reply="已开锁")
        assert store.company(NEAREST).standing == "active"
        store.record_followup(case.number, 3, company_time=3)

        view, _, log = store.company_record(NEAREST)
        assert view.standing == "term_proposed"  # proposed, not carried out
        assert log[-1].data["for"] == "supervision_office"
        assert log[-1].data["penalty"] == "termination_proposal"
        assert unlock(store, 2).owner != NEAREST  # no new orders while it is decided
        with pytest.raises(IllegalTransitionError, match="supervision_office"):
            store.terminate_company(NEAREST, "operator")
        done = store.terminate_company(NEAREST, "supervision_office", "repeated complaints")
        assert done.standing == "terminated"
        with pytest.raises(IllegalTransitionError, match="terminated"):
            store.lift_penalty(NEAREST, "operator", "changed my mind")
    finally:
        store.close()


def test_refused_standing_changes_write_nothing(strict):
    with pytest.raises(IllegalTransitionError, match="active"):
        strict.lift_penalty(NEAREST, "operator", "nothing to lift")
    with pytest.raises(IllegalTransitionError, match="proposed"):
        strict.terminate_company(NEAREST, "supervision_office")
    with pytest.raises(UnknownCompanyError):
        strict.lift_penalty("no_such_company", "operator", "x")
    assert strict.company_record(NEAREST)[2] == []


def test_company_standing_log_is_append_only(strict, case_clock):
    for n in range(3):
        strict.confirm_contact(unlock(strict, n).number, NEAREST)
    miss_one(strict, case_clock, 3)
    with pytest.raises(sa.exc.DatabaseError), Session(strict.engine) as s, s.begin():
        s.execute(sa.update(CompanyEvent).values(actor="someone else"))
    with pytest.raises(sa.exc.DatabaseError), Session(strict.engine) as s, s.begin():
        s.execute(sa.delete(CompanyEvent))


def test_models_and_migrations_describe_the_same_schema(strict):
    import case_store.accounts  # noqa: F401  (its tables live on the same metadata)

    with strict.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []

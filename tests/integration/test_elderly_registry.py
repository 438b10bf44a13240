"""The elderly registry on SQLite and PostgreSQL: profiles, contacts in order, the view
log (append-only), deactivation, the import, and migration 0007 both ways."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session

from acd.callback_numbers import NumberPlan
from case_store.db import alembic_config, make_engine, migrate
from case_store.elderly import ElderlyRegistry, EmergencyContact
from case_store.errors import InvalidProfileError, ProfileNotFoundError
from case_store.models import Base, ProfileView
from tests.integration.case_support import case_clock, case_db, cases  # noqa: F401

pytestmark = pytest.mark.integration
PLAN = NumberPlan(terminals=frozenset({"9001"}))


@pytest.fixture
def registry(cases, case_clock):  # noqa: F811
    return ElderlyRegistry(cases.engine, check_number=PLAN.national, clock=case_clock)


def zhang(registry, **over):
    fields = dict(name="张桂英", address="八一北街12号", community="八一北街社区", lat=29.08,
                  lon=119.65, dialect="jinhua",
                  care_plan=[{"service": "meals", "days": "mon,wed,fri", "time": "11:30"}],
                  checkin_windows=[{"days": "daily", "start": "09:00", "end": "10:00"}],
                  contacts=[EmergencyContact("王建国", "儿子", "+8613800138000"),
                            {"name": "王丽", "relation": "女儿", "phone": "0579-8234-5678"}])
    return registry.upsert("9001", **{**fields, **over})


def test_a_profile_keeps_its_contacts_in_order_and_in_national_form(registry):
    saved = zhang(registry)
    again = registry.profile("9001")
    assert again == saved
    assert [(c.name, c.phone) for c in again.contacts] == [("王建国", "13800138000"),
                                                           ("王丽", "057982345678")]
    assert again.care_plan == ({"service": "meals", "days": "mon,wed,fri", "time": "11:30"},)
    assert again.dialect == "jinhua" and again.lat == 29.08


def test_replacing_a_profile_replaces_its_contacts_and_keeps_when_it_was_created(
        registry, case_clock):  # noqa: F811
    first = zhang(registry)
    case_clock.advance(minutes=5)
    second = zhang(registry, contacts=[{"name": "王丽", "relation": "女儿",
                                        "phone": "13600001111"}])
    assert [c.name for c in second.contacts] == ["王丽"]
    assert second.created_at == first.created_at and second.updated_at > first.updated_at


def test_only_view_writes_the_log_and_the_log_says_who_and_why(registry, case_clock):  # noqa: F811
    zhang(registry)
    assert registry.profile("9001") is not None  # the ACD's read: no row
    assert registry.views("9001") == []
    registry.view("9001", "centre1", "elderly_centre", "page")
    case_clock.advance(seconds=30)
    registry.view("9001", "agent1", "agent", "desk pop")
    seen = registry.views("9001")
    assert [(v.viewer, v.role, v.purpose) for v in seen] == [
        ("agent1", "agent", "desk pop"), ("centre1", "elderly_centre", "page")]
    assert seen[0].at == case_clock()
    assert registry.view("9999", "agent1", "agent", "desk pop") is None
    assert registry.views("9999") == []
    with pytest.raises(InvalidProfileError):
        registry.view("9001", "agent1", "agent", "curiosity")


def test_the_view_log_cannot_be_rewritten(registry):
    zhang(registry)
    registry.view("9001", "admin1", "admin", "page")
    with pytest.raises(sa.exc.DatabaseError), Session(registry.engine) as s, s.begin():
        s.execute(sa.update(ProfileView).values(viewer="nobody"))
    with pytest.raises(sa.exc.DatabaseError), Session(registry.engine) as s, s.begin():
        s.execute(sa.delete(ProfileView))
    assert [v.viewer for v in registry.views("9001")] == ["admin1"]


def test_a_deactivated_terminal_leaves_the_active_list_but_keeps_its_profile(registry):
    zhang(registry)
    registry.upsert("057982345678", name="李桂兰")  # a terminal on the PSTN: its caller ID
    assert registry.terminals() == ["057982345678", "9001"]
    assert registry.deactivate("9001").active is False
    assert registry.terminals() == ["057982345678"]
    assert registry.profile("9001").name == "张桂英"
    assert [p.terminal for p in registry.list_profiles()] == ["057982345678", "9001"]
    with pytest.raises(ProfileNotFoundError):
        registry.deactivate("9999")
    assert zhang(registry, active=True).active and "9001" in registry.terminals()


@pytest.mark.parametrize("over, message", [
    ({"name": " "}, "name is required"),
    ({"dialect": "cantonese"}, "dialect"),
    ({"lat": 123.0}, "lat"),
    ({"lat": "29.08"}, "lat"),
    ({"contacts": [{"name": "x", "relation": "", "phone": "12345"}]}, "dial plan"),
    ({"contacts": [{"name": str(n), "phone": "13800138000"} for n in range(4)]}, "at most 3"),
    ({"worker_phone": "+447946000000"}, "worker_phone"),
    ({"care_plan": [{"service": "meals", "days": "someday"}]}, "days"),
    ({"care_plan": "meals daily"}, "must be a list"),
    ({"checkin_windows": [{"start": "10:00", "end": "09:00"}]}, "before it starts"),
    ({"checkin_windows": [{"start": "24:00", "end": "24:00"}]}, "start"),
    ({"address": "x" * 301}, "longer than 300"),
])
def test_a_bad_field_is_named_and_nothing_is_written(registry, over, message):
    with pytest.raises(InvalidProfileError, match=message):
        zhang(registry, **over)
    assert registry.profile("9001") is None


def test_racing_writers_leave_one_profile_with_one_set_of_contacts(registry):
    def write(n: int):
        return zhang(registry, contacts=[{"name": f"c{n}", "relation": "",
                                          "phone": "13800138000"},
                                         {"name": f"d{n}", "relation": "",
                                          "phone": "13600001111"}])

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(write, range(12)))
    [only] = registry.list_profiles()
    assert len(only.contacts) == 2 and only.contacts[0].name[1:] == only.contacts[1].name[1:]


def test_an_import_writes_json_plans_and_contacts_on_either_database(registry):
    report = registry.import_rows([
        {"终端号": "9001", "姓名": "张桂英", "服务计划": "助餐 工作日 11:30",
         "签到时段": "周一,周四 08:00-08:30", "紧急联系人1": "王建国",
         "紧急联系人1电话": "13800138000", "关系1": "儿子"},
        {"终端号": "9002", "姓名": "李桂兰", "紧急联系人1": "李伟",
         "紧急联系人1电话": "+1 202 555 0123"},
    ])
    assert report.imported == ("9001",)
    assert [(b.row, b.terminal) for b in report.bad_rows] == [(3, "9002")]
    p = registry.profile("9001")
    assert p.care_plan == ({"service": "助餐", "days": "weekdays", "time": "11:30"},)
    assert p.checkin_windows == ({"days": "mon,thu", "start": "08:00", "end": "08:30"},)
    assert p.contacts == (EmergencyContact("王建国", "儿子", "13800138000"),)


def test_migration_0007_matches_the_models_and_goes_down_and_up(case_db):  # noqa: F811
    engine = make_engine(case_db)
    migrate(engine)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            ours = [d for d in compare_metadata(ctx, Base.metadata) if "elderly" in repr(d)]
        assert ours == []
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006")
        assert not [t for t in sa.inspect(engine).get_table_names() if t.startswith("elderly")]
        migrate(engine)
        assert {"elderly_terminals", "elderly_contacts", "elderly_profile_views"} <= set(
            sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()

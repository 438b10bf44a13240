"""When a care plan's service is ordered, and from which partner trade."""

from datetime import UTC, datetime

from case_store.care_orders import due_orders

PLAN = ({"service": "助餐", "days": "mon,tue,wed", "time": "11:30"},
        {"service": "bathing", "days": "weekends", "time": ""},
        {"service": "cleaning", "days": "daily", "time": ""})
# Tuesday 2026-12-01 in Shanghai: 07:00, 09:00 and 12:00 local
AT_7, AT_9, AT_12 = (datetime(2026, 11, 30, 23, 0, tzinfo=UTC),
                     datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
                     datetime(2026, 12, 1, 4, 0, tzinfo=UTC))


def test_each_service_is_due_from_its_time_on_its_days():
    assert due_orders("9003", PLAN, AT_7) == []  # before 08:00, before 11:30
    assert [o.service for o in due_orders("9003", PLAN, AT_9)] == ["cleaning"]
    noon = due_orders("9003", PLAN, AT_12)
    assert [(o.service, o.topic) for o in noon] == [("助餐", "meal"),
                                                    ("cleaning", "housekeeping")]
    assert noon[0].key == "9003 助餐 2026-12-01 11:30"  # one order a day and time


def test_a_service_the_catalog_has_no_trade_for_goes_to_home_care():
    [order] = due_orders("9003", ({"service": "上门护理", "days": "daily", "time": ""},), AT_9)
    assert order.topic == "elderly_care"

"""Replies reach the citizen: owed in the case store with the reply, sent through the
real adapters to local servers that speak each provider's protocol (an HTTP SMS
gateway, WeChat's API), retried, taken over after a dead sender's lease, given up with
a fallback channel, and recorded on the case."""
# ruff: noqa: F811  (pytest fixtures imported from case_support are re-bound as arguments)

from __future__ import annotations

import aiohttp
import pytest
import pytest_asyncio

from hotline.outbound.sender import OutboundSender, SenderSettings
from hotline.outbound.sms_http import HttpSms
from hotline.outbound.wechat import WechatMessages
from testkit.sms_gateway import LocalSmsGateway
from testkit.wechat_api import LocalWechatApi
from tests.integration.case_support import case_clock, case_db, cases  # noqa: F401

pytestmark = pytest.mark.integration
SETTINGS = SenderSettings(interval_s=1, attempts=3, backoff_s=(30, 60), ring_s=5)


@pytest_asyncio.fixture
async def gateway():
    g = await LocalSmsGateway().start()
    yield g
    await g.close()


@pytest_asyncio.fixture
async def wechat():
    api = await LocalWechatApi(users={"oCitizen1", "oSilent"}, silent={"oSilent"}).start()
    yield api
    await api.close()


@pytest_asyncio.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


def sender(cases, http, gateway=None, wechat=None, owner="sender-a"):
    adapters = []
    if gateway is not None:
        adapters.append(HttpSms(gateway.url, gateway.token, http))
    if wechat is not None:
        adapters.append(WechatMessages(wechat.base, wechat.appid, wechat.secret, http))
    return OutboundSender(cases, adapters, SETTINGS, owner=owner)


def replied(cases, channel="sms", caller="13800000001", reply="路灯已修复") -> str:
    case = cases.route(cases.create_case(channel=channel, caller=caller, text="路灯坏了",
                                         kind="affairs", topic="street_light").number)
    cases.transition(case.number, "accept", "city_management")
    cases.transition(case.number, "reply", "city_management", reply=reply)
    return case.number


def to_citizen(cases, number):
    """The case's messages to its citizen (not the orders its handlers are told of)."""
    return [m for m in cases.deliveries_for(number) if m.purpose != "order"]


def delivered(cases, number):
    return [e.data for e in cases.events(number) if e.action == "deliver"]


async def test_a_department_reply_goes_out_by_sms_once_and_is_logged_on_the_case(
        cases, http, gateway):
    number = replied(cases)
    assert await sender(cases, http, gateway).run_once() == 1
    assert len(gateway.sent) == 1
    sms = gateway.sent[0]
    assert sms["to"] == "13800000001" and "路灯已修复" in sms["text"] and number in sms["text"]
    [record] = delivered(cases, number)
    assert record["channel"] == "sms" and record["purpose"] == "reply" and record["ref"]
    assert to_citizen(cases, number)[0].status == "sent"
    assert await sender(cases, http, gateway).run_once() == 0  # nothing twice


async def test_an_overloaded_gateway_is_tried_again_after_the_backoff(cases, case_clock, http,
                                                                    gateway):
    number = replied(cases)
    gateway.fail_next(503)
    out = sender(cases, http, gateway)
    assert await out.run_once() == 1 and gateway.sent == []
    [message] = to_citizen(cases, number)
    assert (message.status, message.attempts) == ("pending", 1)
    assert "503" in message.last_error
    assert await out.run_once() == 0  # not before its backoff
    case_clock.advance(seconds=31)
    assert await out.run_once() == 1
    assert len(gateway.sent) == 1 and delivered(cases, number)[0]["attempts"] == 2


async def test_a_refused_number_is_given_up_on_sms_and_owed_by_a_call_instead(cases, http,
                                                                            gateway):
    number = replied(cases)
    gateway.fail_next(400)
    await sender(cases, http, gateway).run_once()
    first, fallback = to_citizen(cases, number)
    assert first.status == "failed" and first.attempts == 1  # a 400 is not retried
    assert (fallback.channel, fallback.status, fallback.text) == ("voice", "pending",
                                                                  first.text)
    [record] = delivered(cases, number)
    assert record["failed"] is True and record["fallback"] == "voice"
    # the call is another sender's job (this one has no voice adapter): it is left alone
    assert await sender(cases, http, gateway).run_once() == 0


async def test_a_dead_senders_message_is_taken_over_when_its_lease_runs_out(
        cases, case_clock, http, gateway):
    number = replied(cases)
    taken = cases.claim_deliveries("dead-sender", SETTINGS.lease_s, channels=("sms",))
    assert [m.case_number for m in taken] == [number]
    alive = sender(cases, http, gateway, owner="sender-b")
    assert await alive.run_once() == 0  # still the dead one's
    case_clock.advance(seconds=SETTINGS.lease_s + 1)
    assert await alive.run_once() == 1 and len(gateway.sent) == 1
    assert not cases.delivery_sent(taken[0].id, "dead-sender")  # its late word is refused


async def test_a_stopping_sender_hands_its_messages_back_at_once(cases, http, gateway):
    number = replied(cases)
    cases.claim_deliveries("stopping", SETTINGS.lease_s, channels=("sms",))
    await OutboundSender(cases, [], SETTINGS, owner="stopping").release()
    assert await sender(cases, http, gateway, owner="other").run_once() == 1
    assert [m.status for m in to_citizen(cases, number)] == ["sent"]


async def test_a_wechat_citizen_is_answered_on_wechat_and_a_stale_token_is_renewed(
        cases, http, wechat):
    from case_store.console import INTAKE_DETAILS_ACTOR

    case = cases.create_case(channel="wechat", caller="13800000005", text="路灯坏了",
                             kind="affairs", topic="street_light")
    cases.transition(case.number, "note", INTAKE_DETAILS_ACTOR, wechat_user="oCitizen1")
    cases.route(case.number)
    cases.transition(case.number, "accept", "city_management")
    out = sender(cases, http, wechat=wechat)
    await out.run_once()  # nothing owed yet: fetches no token
    assert wechat.tokens_issued == 0
    cases.transition(case.number, "reply", "city_management", reply="已修复")
    wechat.expire_tokens()
    assert await out.run_once() == 1
    [msg] = wechat.sent
    assert msg["touser"] == "oCitizen1" and "已修复" in msg["text"]["content"]
    assert delivered(cases, case.number)[0]["channel"] == "wechat"


async def test_wechat_refusing_a_user_silent_for_48_hours_falls_back_to_sms(
        cases, http, wechat, gateway):
    from case_store.console import INTAKE_DETAILS_ACTOR

    case = cases.create_case(channel="wechat", caller="13800000006", text="路灯坏了",
                             kind="affairs", topic="street_light")
    cases.transition(case.number, "note", INTAKE_DETAILS_ACTOR, wechat_user="oSilent")
    cases.route(case.number)
    cases.transition(case.number, "accept", "city_management")
    cases.transition(case.number, "reply", "city_management", reply="已修复")
    out = sender(cases, http, gateway, wechat)
    await out.run_once()
    await out.run_once()
    assert wechat.sent == [] and [m["to"] for m in gateway.sent] == ["13800000006"]
    channels = [(m.channel, m.status) for m in to_citizen(cases, case.number)]
    assert channels == [("wechat", "failed"), ("sms", "sent")]


async def test_a_kb_answer_is_sent_to_a_mobile_caller_and_the_visit_waits_for_it(
        cases, http, gateway):
    case = cases.route(cases.create_case(channel="phone", caller="13800000007",
                                         text="公积金怎么提取", kind="consult").number)
    assert case.owner_type == "kb" and case.status == "replied"
    [message] = to_citizen(cases, case.number)
    assert (message.channel, message.purpose) == ("sms", "answer")
    assert cases.due_followups(reply_wait_s=3600) == []  # asked once they have it
    await sender(cases, http, gateway).run_once()
    assert case.answer and case.answer[:10] in gateway.sent[0]["text"]
    [visit] = cases.due_followups(reply_wait_s=3600)
    assert (visit.case_number, visit.owner_type) == (case.number, "kb")


def test_a_visit_waits_for_its_reply_to_reach_the_citizen(cases, case_clock):
    number = replied(cases)
    assert cases.due_followups(reply_wait_s=3600) == []  # the reply is still on its way
    assert [v.case_number for v in cases.due_followups()] == [number]  # no wait asked
    case_clock.advance(seconds=3601)
    assert [v.case_number for v in cases.due_followups(reply_wait_s=3600)] == [number]


def test_merged_reporters_are_each_sent_the_reply(cases):
    first = cases.route(cases.create_case(channel="sms", caller="13800000011", text="路灯坏了",
                                          kind="affairs", topic="street_light",
                                          place="八一北街").number)
    second = cases.create_case(channel="sms", caller="13800000012", text="路灯不亮",
                               kind="affairs", topic="street_light", place="八一北街")
    assert second.merged_into == first.number
    cases.transition(first.number, "accept", "city_management")
    cases.transition(first.number, "reply", "city_management", reply="已修复")
    owed = {m.address for n in (first.number, second.number) for m in to_citizen(cases, n)}
    assert owed == {"13800000011", "13800000012"}


def test_progress_is_read_only_to_the_phone_that_raised_the_case(cases):
    number = replied(cases, caller="13800000021", reply="已派人维修")
    mine = cases.progress(number, "+86 138 0000 0021")
    assert mine is not None and mine.status == "replied" and mine.latest == "已派人维修"
    assert "已派人维修" in mine.spoken()
    assert cases.progress(number, "13800000022") is None  # someone else's case
    assert cases.progress("20250930999999", "13800000021") is None  # no such case
    for junk in ("", "abc", "２０２５", "1" * 40, number + "0"):
        assert cases.progress(junk, "13800000021") is None


async def test_a_company_is_told_of_its_new_order_by_a_call_reading_it(cases):
    case = cases.route(cases.create_case(channel="phone", caller="13800000031",
                                         text="空调不制冷了请派师傅上门", kind="life",
                                         topic="appliance_repair", place="八一北街12号",
                                         lat=29.0800, lon=119.6475).number)
    assert case.owner_type == "company"
    [order] = cases.deliveries_for(case.number)
    company = cases.company(case.owner)
    assert (order.purpose, order.channel) == ("order", "voice")  # a fixed duty line
    assert order.address == "".join(ch for ch in company.phone if ch.isdigit())
    assert case.number in order.text and "13800000031" in order.text
    assert "八一北街12号" in order.text and "前联系市民" in order.text
    assert cases.due_followups(reply_wait_s=3600) == []  # no visit before any reply


def test_a_department_is_told_of_its_new_order_on_its_duty_phone(cases):
    case = cases.route(cases.create_case(channel="phone", caller="13800000041",
                                         text="路灯坏了", kind="affairs",
                                         topic="street_light").number)
    [order] = [m for m in cases.deliveries_for(case.number) if m.purpose == "order"]
    assert order.channel == "voice" and order.address.startswith("0579")
    assert case.number in order.text and "路灯" in order.text
    cases.transition(case.number, "reassign", "operator", to="environment")
    orders = [m for m in cases.deliveries_for(case.number) if m.purpose == "order"]
    assert len(orders) == 2 and orders[1].address != order.address  # the new owner's phone

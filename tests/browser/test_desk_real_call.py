"""An agent's desk pops the caller when their real seat phone rings: a SIPp call to the
hotline number, the ACD and Asterisk 22 ring the pjsua2 phone registered as the agent's
seat, and the desk in headless Chromium shows the caller and their earlier cases."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from case_store.accounts import AccountStore
from testkit import sipp
from testkit.phones import SeatPhones
from tests.browser.live_server import ServiceThread
from tests.browser.pages import login, wait_text
from tests.support import isolated

pytestmark = pytest.mark.integration
PASSWORD = "desk-test-password"
CALLER = "13655550000"


def test_desk_pops_the_caller_when_the_seat_phone_rings(cfg, sandbox, test_env,
                                                         tmp_path_factory, browser, artifacts):
    hotline = ServiceThread(isolated(cfg, tmp_path_factory, "desk-pop"))
    phones = SeatPhones(["8001"], env=test_env, answer_after=2, talk="never")
    try:
        store = hotline.service.store
        AccountStore(store.engine).add_user("agent_pop", "agent", PASSWORD, seat="8001")
        earlier = store.create_case(channel="phone", caller=CALLER, text="上周小区路灯坏了",
                                    kind="affairs", topic="street_light")
        hotline.run(phones.start())
        login(browser, hotline.base, "agent_pop", PASSWORD)
        WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/desk"))
        WebDriverWait(browser, 10).until(
            lambda d: d.find_element(By.ID, "desk").get_attribute("data-connected") == "1")
        wait_text(browser, "seat-state", "空闲", timeout=20)  # the phone registered: seat free
        browser.execute_script("window.__same_page = 1;")

        call = hotline.start(sipp.call(hotline.service.cfg, cfg.hotline_number, CALLER,
                                       hold_s=4))
        rang = hotline.run(phones.wait_for("ringing", seat="8001", timeout=20))
        assert rang["caller"] == CALLER  # the real phone rang with the citizen's number
        wait_text(browser, "pop-caller", CALLER, timeout=20)
        assert "来电" in browser.find_element(By.ID, "pop-title").text
        assert earlier.number in browser.find_element(By.ID, "pop-history").text
        assert browser.execute_script("return window.__same_page;") == 1  # no reload
        browser.save_screenshot(str(artifacts / "desk-pop-real-call.png"))

        # the agent writes the case for this call from the popped form
        browser.find_element(By.ID, "f-text").send_keys("小区门口的路灯又不亮了")
        browser.find_element(By.ID, "save").click()
        wait_text(browser, "case-result", "工单号", timeout=20)
        number = browser.find_element(By.ID, "f-case").get_attribute("value")
        case = store.get_case(number)
        assert case.caller == CALLER and case.call_ref
        assert call.result(90).returncode == 0
    finally:
        hotline.run(phones.close())
        hotline.close()


def test_the_desk_pops_the_elderly_profile_when_a_terminal_rings_the_seat(
        cfg, sandbox, test_env, tmp_path_factory, browser, artifacts):
    hotline = ServiceThread(isolated(cfg, tmp_path_factory, "desk-elderly"))
    phones = SeatPhones(["8001", "9005"], env=test_env, answer_after="never", talk="never")
    try:
        service = hotline.service
        AccountStore(service.store.engine).add_user("agent_eld", "agent", PASSWORD, seat="8001")
        service.elderly.upsert("9005", name="王大爷", address="金东区光南路2号",
                               health_notes="糖尿病，独居", dialect="jinhua",
                               contacts=[{"name": "王芳", "relation": "女儿",
                                          "phone": "13900000008"}])
        hotline.run(phones.start())
        login(browser, hotline.base, "agent_eld", PASSWORD)
        WebDriverWait(browser, 10).until(
            lambda d: d.find_element(By.ID, "desk").get_attribute("data-connected") == "1")
        wait_text(browser, "seat-state", "空闲", timeout=20)
        hotline.run(phones.dial("9005", cfg.hotline_number))  # the one-touch button
        hotline.run(phones.wait_for("ringing", seat="8001", timeout=20))
        WebDriverWait(browser, 20).until(
            lambda d: d.find_element(By.ID, "pop-elderly").is_displayed())
        card = browser.find_element(By.ID, "pop-elderly").text
        for fact in ("王大爷", "金东区光南路2号", "糖尿病，独居", "金华话", "王芳", "13900000008"):
            assert fact in card
        browser.save_screenshot(str(artifacts / "desk-pop-elderly.png"))
        [seen] = service.elderly.views("9005")
        assert (seen.viewer, seen.purpose) == ("agent_eld", "desk pop")
    finally:
        hotline.run(phones.close())
        hotline.close()

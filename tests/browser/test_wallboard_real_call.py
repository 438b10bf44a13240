"""The wallboard of a running hotline counts a call placed through the real Asterisk."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from case_store.accounts import AccountStore
from testkit import sipp
from tests.browser.live_server import ServiceThread
from tests.browser.pages import login
from tests.support import isolated

pytestmark = pytest.mark.integration
PASSWORD = "wallboard-test-password"


def test_wallboard_updates_when_a_real_call_arrives(cfg, sandbox, tmp_path_factory, browser,
                                                   artifacts):
    hotline = ServiceThread(isolated(cfg, tmp_path_factory, "wallboard-call"))
    try:
        accounts = AccountStore(hotline.service.cfg.effective_database_url)
        accounts.add_user("boss", "supervisor", PASSWORD)
        base = f"http://{cfg.web_host}:{cfg.web_port}"
        login(browser, base, "boss", PASSWORD)
        WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/wallboard"))
        WebDriverWait(browser, 10).until(
            lambda d: d.find_element(By.ID, "live-state").get_attribute("data-connected") == "1")
        WebDriverWait(browser, 10).until(
            ec.text_to_be_present_in_element((By.ID, "v-offered"), "0"))
        browser.execute_script("window.__same_page = 1;")

        result = hotline.run(sipp.call(hotline.service.cfg, cfg.hotline_number, "13912340000",
                                       hold_s=3), timeout=90)
        assert result.returncode == 0, result.stderr[-1500:]
        WebDriverWait(browser, 15).until(
            ec.text_to_be_present_in_element((By.ID, "v-offered"), "1"))
        assert browser.execute_script("return window.__same_page;") == 1  # no reload
        browser.save_screenshot(str(artifacts / "wallboard-real-call.png"))
    finally:
        hotline.close()

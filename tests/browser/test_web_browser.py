"""What supervisors, agents, departments and companies see, in headless Chromium.

Each test saves a screenshot to ./artifacts/ so a person can look at the pages.
"""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.pages import find, login, wait_text
from tests.integration.test_web_live import snapshot

pytestmark = pytest.mark.integration


def text_of(browser, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def test_supervisor_sees_the_wallboard_change_without_reload(live, browser, artifacts):
    live.run(live.stack.publish_stats(snapshot(waiting=0, offered=10)))
    login(browser, live.base, "sup1")
    assert browser.current_url.endswith("/wallboard")
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "live-state").get_attribute("data-connected") == "1")
    wait_text(browser, "v-offered", "10")
    browser.execute_script("window.__same_page = 42;")
    now = time.time()
    per_seat = snapshot()["per_seat"]
    per_seat["8004"] = {"state": "paused", "since": now - 125, "name": "王芳", "calls": 3,
                        "paused_reason": "培训"}
    live.run(live.stack.publish_stats(snapshot(
        waiting=4, longest_wait_s=37.0, offered=14, service_level=0.72,
        callbacks={"pending": 3, "due_next_minute": 1, "overdue": 1, "done": 2, "failed": 0},
        elderly_in_progress=1, per_seat=per_seat)))
    wait_text(browser, "v-waiting", "4")
    wait_text(browser, "v-offered", "14")
    assert text_of(browser, "v-service_level") == "72.0%"
    assert text_of(browser, "v-callbacks") == "3 / 1 / 1"
    assert browser.execute_script("return window.__same_page;") == 42  # no reload happened
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-seat="8004"]')
    assert "王芳" in row.text and "示忙" in row.text and "培训" in row.text
    assert browser.find_element(By.ID, "chart-svg").find_elements(By.TAG_NAME, "rect")
    browser.save_screenshot(str(artifacts / "wallboard.png"))


def test_open311_request_moves_the_wallboard_case_counter(live, browser, artifacts):
    login(browser, live.base, "sup1")
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "live-state").get_attribute("data-connected") == "1")
    before = int(text_of(browser, "v-cases_today"))

    async def post() -> int:
        async with live.stack.client().post("/open311/v2/requests.json", data={
                "service_code": "sanitation", "description": "垃圾桶满了没人清",
                "address_string": "宾虹路 1 号", "phone": "13700000002",
                "api_key": live.stack.keys["open311"]}) as r:
            return r.status

    assert live.run(post()) == 201
    wait_text(browser, "v-cases_today", str(before + 1))
    browser.save_screenshot(str(artifacts / "wallboard-case-counter.png"))


def test_department_replies_and_the_case_moves_on(live, browser, artifacts):
    store = live.stack.store
    case = store.route(store.create_case(channel="phone", caller="13900000001",
                                         text="人民广场井盖松动<b>危险</b>", kind="affairs",
                                         topic="road_damage").number)
    login(browser, live.base, "dept_cm")
    find(browser, By.LINK_TEXT, case.number).click()
    assert "<b>危险</b>" in find(browser, By.ID, "case-text").text  # text, not markup
    find(browser, By.ID, "do-accept").click()
    find(browser, By.NAME, "reply").send_keys("已派人加固井盖")
    find(browser, By.ID, "do-reply").click()
    wait_text(browser, "history", "已派人加固井盖")
    assert store.get_case(case.number).status == "replied"
    browser.save_screenshot(str(artifacts / "department-reply.png"))


def test_company_cannot_open_another_companys_order(live, browser, artifacts):
    store = live.stack.store
    case = store.route(store.create_case(channel="phone", caller="13900000077",
                                         text="卫生间下水道堵了", kind="life", topic="drain",
                                         lat=29.08, lon=119.65).number)
    other = {"plumbing_wucheng": "comp_b", "plumbing_jindong": "comp_a"}[case.owner]
    login(browser, live.base, other)
    assert case.number not in browser.page_source
    browser.get(f"{live.base}/case/{case.number}")
    assert "未找到" in browser.page_source
    assert "13900000077" not in browser.page_source
    browser.save_screenshot(str(artifacts / "company-refused.png"))


def test_citizen_form_on_a_phone_screen(live, browser, artifacts):
    browser.set_window_size(390, 844)
    browser.get(f"{live.base}/report")
    browser.find_element(By.ID, "r-phone").send_keys("13812340000")
    browser.find_element(By.ID, "r-text").send_keys("金东区多湖街道的路灯晚上不亮")
    browser.save_screenshot(str(artifacts / "citizen-form-mobile.png"))
    find(browser, By.ID, "r-submit").click()
    wait_text(browser, "report-number", "20")
    number = text_of(browser, "report-number")
    assert live.stack.store.get_case(number).channel == "web"


def test_an_elderly_emergency_alarm_shows_on_the_wallboard_and_a_click_acknowledges_it(
        live, browser, artifacts):
    from acd.alarms import EmergencyAlarms

    login(browser, live.base, "sup1")
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "live-state").get_attribute("data-connected") == "1")
    alarms = EmergencyAlarms(live.stack.redis, live.stack.prefix)
    live.run(alarms.raise_alarm("elderly-1700000000-9", "9003", "张阿姨"))
    banner = find(browser, By.CSS_SELECTOR, '#alarms .alarm[data-room="elderly-1700000000-9"]')
    assert "老人紧急求助" in banner.text and "9003" in banner.text
    browser.save_screenshot(str(artifacts / "wallboard-emergency.png"))
    banner.find_element(By.CSS_SELECTOR, "button.ack").click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "alarms").get_attribute("data-count") == "0")
    assert live.run(alarms.open()) == []


def test_desk_consult_card_defaults_to_stay_for_departments_and_reports_refusals(
        live, browser, artifacts):
    login(browser, live.base, "agent1")
    find(browser, By.ID, "consult-form")
    stay = browser.find_element(By.ID, "c-stay")
    assert stay.is_selected()  # a department comes first: the agent stays by default
    browser.execute_script(
        "const s = document.getElementById('c-target');"
        "s.value = 'company:plumbing_wucheng'; s.dispatchEvent(new Event('change'));")
    assert not stay.is_selected()  # a company: the agent hands the caller over
    browser.find_element(By.ID, "consult").click()
    wait_text(browser, "consult-result", "未连接")  # this console has no AMI link
    browser.save_screenshot(str(artifacts / "desk-consult.png"))

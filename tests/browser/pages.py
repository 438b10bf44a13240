"""Page steps every browser test takes: log in, wait for a text or an element to show."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.integration.web_support import PASSWORD


def login(browser, base: str, name: str, password: str = PASSWORD) -> None:
    """Log in on the login page and wait until the role's landing page opened."""
    browser.get(f"{base}/login")
    browser.find_element(By.ID, "username").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "login-button").click()
    WebDriverWait(browser, 10).until(lambda d: "/login" not in d.current_url)


def wait_text(browser, element_id: str, expected: str, timeout: float = 10) -> None:
    WebDriverWait(browser, timeout).until(
        ec.text_to_be_present_in_element((By.ID, element_id), expected))


def find(browser, by, value, timeout: float = 10):
    """Wait for an element of the page being loaded (clicks may navigate)."""
    return WebDriverWait(browser, timeout).until(ec.presence_of_element_located((by, value)))

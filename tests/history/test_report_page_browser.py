"""The reports page in a real headless Chromium: an archived month's tables on screen, one municipality's
view, and the workbook downloaded with the staff credentials (and audited)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from api.history.archive import Archiver
from tests.api.desk_browser import OUT, REDIS_URL, REPO, browser_window, serve_api

from .day import closed_after, settings

pytestmark = pytest.mark.browser
KEY = "reports-admin-key"


@pytest.fixture
def server(day_redis, world, history_engine, history_settings, history_db) -> Iterator[tuple[str, str]]:
    """(base URL, the archived day): ``python -m api`` reading the history with one day archived."""
    made, redis = day_redis
    Archiver(redis, settings(), world, history_engine, history_settings).run_once(closed_after(made.day))
    env = {**os.environ, "REDIS_URL": REDIS_URL, "KANRA_API_KEYS": f"{KEY}:admin", "PYTHONPATH": str(REPO),
           "KANRA_HISTORY_URL": history_db}
    with serve_api(REDIS_URL, env, tries=300) as base:
        yield base, made.day


def test_the_reports_page_shows_and_downloads_a_month(server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    base, day = server
    with browser_window((1400, 900)) as browser:
        wait = WebDriverWait(browser, 40)  # generous: the machine is shared
        browser.get(f"{base}/administration/reports")
        wait.until(ec.visibility_of_element_located((By.ID, "api-key-input"))).send_keys(KEY)
        browser.find_element(By.ID, "api-key-save").click()
        wait.until(ec.invisibility_of_element_located((By.ID, "key-dialog")))
        month = browser.find_element(By.ID, "report-month")
        browser.execute_script("arguments[0].value = arguments[1]", month, day[:7])
        browser.find_element(By.ID, "report-show").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "report-title"), f"({day[:7]})"))
        tables = browser.find_element(By.ID, "report-tables")
        assert "利用実績（住民別）" in tables.text and "富岡市 Tomioka" in tables.text and "運行時間外" in tables.text
        assert "合計 total" in tables.text
        Select(browser.find_element(By.ID, "report-municipality")).select_by_value("10210")
        browser.find_element(By.ID, "report-show").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "report-title"), "富岡市 Tomioka"))
        rows = browser.find_elements(By.CSS_SELECTOR, "#report-tables table:first-of-type tbody tr")
        assert [r.text.split(" ")[0] for r in rows] == ["富岡市"]
        browser.find_element(By.ID, "report-xlsx").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "report-status"), f"report_{day[:7]}_10210.xlsx"))
        Select(browser.find_element(By.ID, "report-kind")).select_by_value("transport_results")
        assert not browser.find_element(By.ID, "report-year").get_attribute("hidden")
        assert not browser.find_element(By.ID, "report-html").is_displayed()  # no page of that table
        browser.save_screenshot(str(OUT / "reports.png"))
    audit = httpx.get(f"{base}/audit", params={"action": "report.downloaded"}, headers={"X-API-Key": KEY}).json()
    assert [(e["target"], e["after"]) for e in audit["entries"]] == [
        (f"report:{day[:7]}", {"format": "xlsx", "municipality": "10210", "days_with_data": 1})]

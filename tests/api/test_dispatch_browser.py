"""The dispatcher's, driver's and run-sheet pages in a real headless Chromium (selenium), against a real
``python -m api`` and ``python -m api.worker`` on Redis db 6. Screenshots go to test-output/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
import redis

from tests.redis_db import redis_url

from .conftest import at, tomorrow
from .desk_browser import OUT, REPO, serve_api
from .desk_browser import browser_window as _browser

pytestmark = pytest.mark.browser

REDIS_URL = redis_url(6)  # own db
KEYS = {"operator": "page-op-key", "dispatcher": "page-disp-key", "driver": "page-drv-key", "admin": "page-adm-key"}
PREFIX = "kt-pages"


def _env() -> dict[str, str]:
    keys = ",".join(f"{k}:{r}" + (":tomioka-1" if r == "driver" else "") for r, k in KEYS.items())
    return {**os.environ, "REDIS_URL": REDIS_URL, "KANRA_API_KEYS": keys, "KANRA_KEY_PREFIX": PREFIX,
            "PYTHONPATH": str(REPO)}


def _serve():
    return serve_api(REDIS_URL, _env(), tries=300)


@pytest.fixture
def server() -> Iterator[str]:
    with _serve() as base:
        yield base


def _h(role: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[role]}


def _booking(base: str, vehicle: str | None = None) -> dict:
    rider = httpx.post(f"{base}/riders", json={"name": "上信 花子", "phone": "0274-62-5555"}, headers=_h("operator"))
    assert rider.status_code in (200, 201), rider.text
    body = {"pickup": {"place": "tomioka_city_hall"}, "dropoff": {"place": "st:Joshu-Tomioka"},
            "time": at(tomorrow(), "10:00"), "rider_id": rider.json()["id"], "notes": "杖あり"}
    offered = httpx.post(f"{base}/bookings", json=body, headers={**_h("operator"), "Idempotency-Key": "page-0001"},
                         timeout=30).json()
    assert offered["status"] == "offered", offered
    httpx.post(f"{base}/bookings/{offered['id']}/confirm", headers=_h("operator"), timeout=30)
    if vehicle:
        moved = httpx.post(f"{base}/dispatch/reassign", json={"booking_id": offered["id"], "vehicle_id": vehicle},
                           headers=_h("dispatcher"), timeout=30)
        assert moved.status_code == 200, moved.text
    return httpx.get(f"{base}/bookings/{offered['id']}", headers=_h("operator")).json()


def _open(browser, wait, url: str, key: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.get(url)
    wait.until(ec.visibility_of_element_located((By.ID, "api-key-input"))).send_keys(key)
    browser.find_element(By.ID, "api-key-save").click()
    wait.until(ec.invisibility_of_element_located((By.ID, "key-dialog")))


def _worker_once() -> None:
    env = {**_env(), "KANRA_REOPT_INTERVAL_S": "0", "KANRA_REOPT_TIME_LIMIT_S": "1"}
    done = subprocess.run([sys.executable, "-m", "api.worker", "--once"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_dispatcher_reassigns_from_the_timeline_and_the_pin_survives_reoptimisation(server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    booking = _booking(server)
    assert booking["vehicle_id"] != "nanmoku-1"
    with _browser((1600, 1000)) as browser:
        wait = WebDriverWait(browser, 30)
        _open(browser, wait, f"{server}/dispatcher?day={tomorrow()}", KEYS["dispatcher"])
        item = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#timeline .vis-item.vis-box.pickup")))
        assert "上信" in item.get_attribute("textContent")  # the stop names its rider
        item.click()  # select the stop (dragging it onto another row does the same in the page)
        wait.until(ec.text_to_be_present_in_element((By.ID, "selected"), booking["id"]))
        Select(browser.find_element(By.ID, "target-vehicle")).select_by_value("nanmoku-1")
        browser.find_element(By.ID, "check-button").click()
        wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#verdict.ok")))
        assert "km" in browser.find_element(By.ID, "verdict").text
        assert httpx.get(f"{server}/bookings/{booking['id']}", headers=_h("operator")).json()["vehicle_id"] \
            == booking["vehicle_id"]  # the verdict changed nothing
        browser.find_element(By.ID, "commit-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "action-status"), "固定"))
        record = httpx.get(f"{server}/bookings/{booking['id']}", headers=_h("operator")).json()
        assert record["vehicle_id"] == "nanmoku-1" and record["pinned"] is True
        browser.find_element(By.ID, "reoptimise-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "reopt-status"), "依頼"))
        _worker_once()  # the worker runs the dispatcher's request (and its periodic pass)
        wait.until(lambda b: b.find_element(By.ID, "reopt-status").get_attribute("data-done") == "1")
        browser.save_screenshot(str(OUT / "dispatcher.png"))
        record = httpx.get(f"{server}/bookings/{booking['id']}", headers=_h("operator")).json()
        assert record["vehicle_id"] == "nanmoku-1" and record["pinned"] is True
        groups = browser.execute_script(
            "return [...document.querySelectorAll('#timeline .vis-item.pinned')].length")
        assert groups >= 1


def _tap(browser, wait, button: str, when: str) -> None:
    """Tap a stop button at ``when`` (Tokyo time, tomorrow) as the phone's clock says."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    ms = datetime.fromisoformat(at(tomorrow(), when)).timestamp() * 1000
    browser.execute_script(f"Date.now = () => {ms};")
    wait.until(ec.element_to_be_clickable((By.ID, button))).click()
    wait.until(lambda b: b.find_element(By.ID, "sending").text == "")


def test_a_driver_works_through_a_short_day_on_a_phone(server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    booking = _booking(server, vehicle="tomioka-1")
    with _browser((390, 844)) as browser:
        wait = WebDriverWait(browser, 30)
        _open(browser, wait, f"{server}/driver?day={tomorrow()}", KEYS["driver"])
        wait.until(ec.text_to_be_present_in_element((By.ID, "next-stop"), "上信 花子"))
        card = browser.find_element(By.ID, "next-stop").text
        assert "お迎え" in card and "杖あり" in card and "0274-62-5555" in card
        arrived = browser.find_element(By.ID, "arrived-button")
        assert arrived.is_displayed() and not browser.find_element(By.ID, "boarded-button").is_displayed()
        assert arrived.size["height"] >= 56 and arrived.location["y"] + arrived.size["height"] <= 844
        # the answer to the first 到着 is lost on the way back: the phone sends it again with the same key
        browser.execute_script("""
          const real = window.fetch; let lost = false;
          window.fetch = async (url, opts) => {
            const res = await real(url, opts);
            if (!lost && String(url).includes('/events') && opts && opts.method === 'POST') {
              lost = true; throw new TypeError('network down'); }
            return res; };""")
        _tap(browser, wait, "arrived-button", "10:01")
        browser.save_screenshot(str(OUT / "driver-arrived.png"))
        assert not browser.find_element(By.ID, "arrived-button").is_displayed()
        assert browser.find_element(By.ID, "no-show-button").is_displayed()
        _tap(browser, wait, "boarded-button", "10:02")
        wait.until(ec.text_to_be_present_in_element((By.ID, "next-stop"), "お送り"))
        _tap(browser, wait, "arrived-button", "10:14")
        _tap(browser, wait, "dropped-button", "10:15")
        wait.until(ec.text_to_be_present_in_element((By.ID, "next-stop"), "予定の停車はありません"))
        browser.save_screenshot(str(OUT / "driver-done.png"))
        assert browser.find_element(By.ID, "driver-error").text == ""
    record = httpx.get(f"{server}/bookings/{booking['id']}", headers=_h("operator")).json()
    assert record["status"] == "completed"
    raw = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    ops = [json.loads(e["cmd"])["op"] for _, e in raw.xrange(f"{PREFIX}:stream:vehicle-events:all")]
    assert ops.count("arrive") == 2 and ops.count("board") == 1 and ops.count("drop_off") == 1, ops


def test_the_run_sheet_renders_for_print(server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    booking = _booking(server, vehicle="tomioka-1")
    with _browser((1200, 900)) as browser:
        wait = WebDriverWait(browser, 30)
        _open(browser, wait, f"{server}/runsheet?day={tomorrow()}", KEYS["dispatcher"])
        wait.until(lambda b: b.execute_script("return document.body.dataset.ready === '1'"))
        sheets = browser.find_elements(By.CSS_SELECTOR, ".sheet")
        assert len(sheets) == 6  # the office's day sheet: one per vehicle
        mine = browser.find_element(By.CSS_SELECTOR, ".sheet[data-vehicle='tomioka-1']")
        assert "運行表" in mine.text and "上信 花子" in mine.text and "実績時刻" in mine.text
        assert booking["id"] not in mine.text  # riders by name, not by id
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        assert not browser.find_element(By.CSS_SELECTOR, ".topbar").is_displayed()
        assert browser.execute_script(
            "return getComputedStyle(document.querySelector('.sheet')).breakAfter") == "page"
        pdf = browser.print_page()
        assert len(pdf) > 10_000
        browser.save_screenshot(str(OUT / "runsheet.png"))


def test_an_admin_adds_and_disables_a_staff_account_and_reads_the_audit_log(server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    with _browser((1400, 900)) as browser:
        wait = WebDriverWait(browser, 30)
        _open(browser, wait, f"{server}/administration", KEYS["admin"])
        browser.find_element(By.ID, "add-name").send_keys("takahashi")
        browser.find_element(By.ID, "add-password").send_keys("Kanra-office-2026")
        Select(browser.find_element(By.ID, "add-role")).select_by_value("dispatcher")
        browser.find_element(By.ID, "add-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "admin-status"), "takahashi"))
        login = {"name": "takahashi", "password": "Kanra-office-2026"}
        assert httpx.post(f"{server}/auth/login", json=login).status_code == 200
        row = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#accounts tr[data-name='takahashi']")))
        row.find_element(By.CSS_SELECTOR, "button[data-act='disable']").click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#accounts tr.disabled[data-name='takahashi']")))
        assert httpx.post(f"{server}/auth/login", json=login).status_code == 401
        wait.until(ec.text_to_be_present_in_element((By.ID, "audit"), "account.disabled"))
        assert "account.created" in browser.find_element(By.ID, "audit").text
        assert "Kanra-office-2026" not in browser.page_source
        browser.save_screenshot(str(OUT / "administration.png"))


def test_a_break_shows_on_the_driver_page_the_run_sheet_and_the_timeline(server):
    """A lunch break (休憩) of tomioka-1: the driver's phone shows it as a step with its own buttons, the run
    sheet lists it and the dispatcher's timeline draws it as its own item."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    definition = httpx.get(f"{server}/vehicles/tomioka-1", headers=_h("admin")).json()
    definition = {k: v for k, v in definition.items() if k not in ("position", "joined")}
    definition["breaks"] = [{"earliest": "10:30", "latest": "11:00", "minutes": 30, "place": "anywhere"}]
    changed = httpx.put(f"{server}/vehicles/tomioka-1", json=definition, headers=_h("admin"))
    assert changed.status_code == 200, changed.text
    _booking(server, vehicle="tomioka-1")  # the day's plan begins now, with the break
    with _browser((390, 844)) as browser:
        wait = WebDriverWait(browser, 30)
        _open(browser, wait, f"{server}/driver?day={tomorrow()}", KEYS["driver"])
        wait.until(ec.text_to_be_present_in_element((By.ID, "next-stop"), "上信 花子"))
        assert "休憩" in browser.find_element(By.ID, "later-stops").text
        _tap(browser, wait, "arrived-button", "10:01")
        _tap(browser, wait, "boarded-button", "10:02")
        _tap(browser, wait, "arrived-button", "10:14")
        _tap(browser, wait, "dropped-button", "10:15")
        wait.until(ec.text_to_be_present_in_element((By.ID, "next-stop"), "休憩"))
        for rider_button in ("arrived-button", "boarded-button", "dropped-button", "no-show-button"):
            assert not browser.find_element(By.ID, rider_button).is_displayed()
        browser.save_screenshot(str(OUT / "driver-break.png"))
        _tap(browser, wait, "break-start-button", "10:31")
        wait.until(ec.text_to_be_present_in_element((By.ID, "next-stop"), "休憩中"))
        _tap(browser, wait, "break-end-button", "11:01")
        wait.until(ec.text_to_be_present_in_element((By.ID, "next-stop"), "予定の停車はありません"))
        assert browser.find_element(By.ID, "driver-error").text == ""
    raw = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    ops = [json.loads(e["cmd"])["op"] for _, e in raw.xrange(f"{PREFIX}:stream:vehicle-events:all")]
    assert ops.count("start_break") == 1 and ops.count("end_break") == 1, ops
    definition["breaks"] = [{"earliest": "13:00", "latest": "13:00", "minutes": 45, "place": "depot"}]
    httpx.put(f"{server}/vehicles/tomioka-1", json=definition, headers=_h("admin"))
    with _browser((1600, 1000)) as browser:  # a later day's plan is built with the new break
        wait = WebDriverWait(browser, 30)
        later = httpx.post(f"{server}/bookings", json={
            "pickup": {"place": "tomioka_city_hall"}, "dropoff": {"place": "st:Joshu-Tomioka"},
            "time": at(_day_after(), "09:00")}, headers={**_h("operator"), "Idempotency-Key": "page-brk-0002"},
            timeout=30).json()
        assert later["status"] == "offered", later
        _open(browser, wait, f"{server}/runsheet?vehicle=tomioka-1&day={_day_after()}", KEYS["dispatcher"])
        wait.until(lambda b: b.execute_script("return document.body.dataset.ready === '1'"))
        row = browser.find_element(By.CSS_SELECTOR, ".sheet tr.break")
        assert "休憩" in row.text and "45分" in row.text
        browser.get(f"{server}/dispatcher?day={_day_after()}")
        item = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#timeline .vis-item.vis-range.break")))
        assert "休憩" in item.get_attribute("textContent")
        browser.save_screenshot(str(OUT / "dispatcher-break.png"))


def _day_after() -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(tomorrow()) + timedelta(days=1)).isoformat()

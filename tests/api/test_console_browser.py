"""The operator console in a real headless Chromium: book a ride on the phone form, confirm it, see it
in the day's list and on the vehicle's manifest. Keeps a screenshot in test-output/."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.redis_db import redis_url

from .conftest import tomorrow

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "test-output"
REDIS_URL = redis_url(11)  # own db (12: other API tests, 13: reliability)
KEY = "console-operator-key"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1600,1000", "--lang=ja"]


def _ensure_chromium() -> tuple[str, str]:
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("headless Chromium missing and cannot be installed (need root and apt-get): "
                    "apt-get install chromium chromium-driver")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"]):
        if subprocess.run(cmd, env=env, capture_output=True, timeout=600).returncode != 0:
            pytest.skip(f"could not install Chromium with {' '.join(cmd)}")
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (browser and driver):
        pytest.skip("Chromium installed but chromium/chromedriver not on PATH")
    return browser, driver


def _ensure_japanese_font() -> None:
    """Only cosmetic (the screenshot): without a CJK font Chromium draws boxes; install one if we can."""
    fc_list = shutil.which("fc-list")
    if fc_list and subprocess.run([fc_list, ":lang=ja"], capture_output=True, text=True).stdout.strip():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "fonts-ipafont-gothic"], capture_output=True, timeout=600,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _serve(**extra_env: str) -> Iterator[str]:
    """``python -m api`` on a free loopback port against Redis db 11 (emptied before and after)."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}: start one with `make redis`")
    client.flushdb()
    port = _free_port()
    env = {**os.environ, "REDIS_URL": REDIS_URL, "KANRA_API_KEYS": f"{KEY}:operator", "PYTHONPATH": str(REPO),
           **extra_env}
    log = tempfile.TemporaryFile(mode="w+")  # not a pipe: a chatty access log must never block the server
    proc = subprocess.Popen([sys.executable, "-m", "api", "--port", str(port), "--log-level", "warning"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"uvicorn exited: {log.read()}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
        client.flushdb()


@pytest.fixture
def server() -> Iterator[str]:
    with _serve() as base:
        yield base


@pytest.fixture
def wide_server() -> Iterator[str]:
    with _serve(KANRA_OPERATING_MODEL=str(REPO / "api" / "operating_model_wide_area.json")) as base:
        yield base


@contextlib.contextmanager
def _browser() -> Iterator[object]:
    _, driver_path = _ensure_chromium()
    _ensure_japanese_font()
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install -e '.[dev]')")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="kanra-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = shutil.which("chromium")
    browser = webdriver.Chrome(service=Service(driver_path), options=options)
    OUT.mkdir(exist_ok=True)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _open_console(browser, base: str, wait, day: str, hhmm: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.get(f"{base}/console")
    wait.until(ec.visibility_of_element_located((By.ID, "api-key-input"))).send_keys(KEY)
    browser.find_element(By.ID, "api-key-save").click()
    wait.until(ec.invisibility_of_element_located((By.ID, "key-dialog")))
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#map svg polyline"))
    for field in ("day-input", "date-input"):
        browser.execute_script("const e = document.getElementById(arguments[0]); e.value = arguments[1];"
                               "e.dispatchEvent(new Event('change'));", field, day)
    browser.execute_script("document.getElementById('time-input').value = arguments[0];", hhmm)


def _choose(browser, wait, which: str, typed: str, key: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.find_element(By.ID, f"{which}-input").send_keys(typed)
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f"#{which}-list li[data-key='{key}']"))).click()


def test_phone_booking_through_the_console(server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    headers = {"X-API-Key": KEY}
    rider = httpx.post(f"{server}/riders", json={"name": "富岡 はな", "phone": "0274-62-9876", "notes": "玄関前で待つ"},
                       headers=headers).json()
    day = tomorrow()
    with _browser() as browser:
        wait = WebDriverWait(browser, 40)  # generous: the machine is shared
        _open_console(browser, server, wait, day, "10:00")
        browser.find_element(By.ID, "rider-phone").send_keys("0274629876")
        browser.find_element(By.ID, "rider-search").click()
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#rider-results .rider-item"))).click()
        assert "富岡 はな" in browser.find_element(By.ID, "rider-selected").text

        _choose(browser, wait, "pickup", "総合病院", "tomioka_general_hospital")  # Japanese
        _choose(browser, wait, "dropoff", "joshu-tomioka", "st:Joshu-Tomioka")  # romaji
        assert "上州富岡" in browser.find_element(By.ID, "dropoff-input").get_attribute("value")

        browser.find_element(By.ID, "offer-button").click()
        window = wait.until(ec.visibility_of_element_located((By.ID, "offer-window")))
        assert "〜" in window.text and window.text[:2].isdigit(), window.text
        browser.save_screenshot(str(OUT / "console_offer.png"))

        browser.find_element(By.ID, "confirm-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "booking-status-msg"), "予約を確定しました"))
        wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#bookings-table tbody"), "確定"))
        rows = browser.find_elements(By.CSS_SELECTOR, "#bookings-table tbody tr[data-id]")
        assert len(rows) == 1 and "公立富岡総合病院" in rows[0].text
        wait.until(ec.text_to_be_present_in_element((By.ID, "manifest-table"), "富岡 はな"))
        manifest = browser.find_element(By.ID, "manifest-table").text
        assert "乗車" in manifest and "降車" in manifest and "玄関前で待つ" in manifest
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#map svg g.routes polyline")) >= 1)
        browser.save_screenshot(str(OUT / "console.png"))

    booking = httpx.get(f"{server}/bookings", params={"day": day}, headers=headers).json()
    assert [b["status"] for b in booking] == ["confirmed"] and booking[0]["rider_id"] == rider["id"]


def test_wide_area_itinerary_is_read_out_leg_by_leg(wide_server):
    """With the wide-area operating model, a Nanmoku -> Takasaki trip is a feeder taxi and a Joshin train."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    with _browser() as browser:
        wait = WebDriverWait(browser, 40)
        _open_console(browser, wide_server, wait, tomorrow(), "09:00")
        _choose(browser, wait, "pickup", "大日向", "oz:南牧村/大日向")
        _choose(browser, wait, "dropoff", "takasaki", "st:Takasaki")
        browser.find_element(By.ID, "offer-button").click()
        wait.until(ec.visibility_of_element_located((By.ID, "offer-window")))
        legs = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#offer-legs li")]
        assert len(legs) == 2 and "乗合タクシー" in legs[0] and "上信電鉄" in legs[1], legs
        assert "Takasaki" in legs[1]
        browser.find_element(By.ID, "confirm-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "booking-status-msg"), "予約を確定しました"))
        wait.until(ec.text_to_be_present_in_element((By.ID, "manifest-table"), "区間 1"))
        browser.save_screenshot(str(OUT / "console_wide_area.png"))

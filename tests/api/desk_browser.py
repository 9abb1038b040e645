"""Harness of the desk's browser tests: ``python -m api`` on its own Redis db, a real headless Chromium
(selenium + chromedriver) at a given screen size, and the steps of a phone call (open the desk, find and
take a rider, choose places, book and confirm). Screenshots go to test-output/."""

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

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "test-output"
REDIS_URL = redis_url(11)  # own db (12: other API tests, 13: reliability)
KEY = "console-operator-key"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--lang=ja"]
#: Screen sizes of the desk's browser tests: the common laptop size runs by default, the large screen in the
#: slow suite (the flows are the same at both; the default run must stay short).
SCREEN_PARAMS = [pytest.param((1366, 768), id="1366x768"),
                 pytest.param((1920, 1080), id="1920x1080", marks=pytest.mark.slow)]


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
def serve(**extra_env: str) -> Iterator[str]:
    """``python -m api`` on a free loopback port against Redis db 11 (emptied before and after)."""
    env = {**os.environ, "REDIS_URL": REDIS_URL, "KANRA_API_KEYS": f"{KEY}:operator", "PYTHONPATH": str(REPO),
           **extra_env}
    with serve_api(REDIS_URL, env) as base:
        yield base


@contextlib.contextmanager
def serve_api(redis_url: str, env: dict[str, str], tries: int = 200) -> Iterator[str]:
    """``python -m api`` with ``env`` on a free loopback port, its Redis db ``redis_url`` emptied before and
    after; waits up to ``tries`` x 0.1 s for ``/health``."""
    client = redis.Redis.from_url(redis_url)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {redis_url}: start one with `make redis`")
    client.flushdb()
    port = _free_port()
    log = tempfile.TemporaryFile(mode="w+")  # not a pipe: a chatty access log must never block the server
    proc = subprocess.Popen([sys.executable, "-m", "api", "--port", str(port), "--log-level", "warning"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(tries):
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




@contextlib.contextmanager
def browser_window(size: tuple[int, int] = (1600, 1000)) -> Iterator[object]:
    _, driver_path = _ensure_chromium()
    _ensure_japanese_font()
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install -e '.[dev]')")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={size[0]},{size[1]}")
    profile = tempfile.mkdtemp(prefix="kanra-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = shutil.which("chromium")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(driver_path), options=options)
    OUT.mkdir(exist_ok=True)
    try:
        yield browser
        # the page itself never failed: no uncaught error or rejected promise in its scripts
        errors = [e["message"] for e in browser.get_log("browser") if e.get("source") == "javascript"]
        assert errors == [], errors
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_desk(browser, base: str, wait, day: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.get(f"{base}/console")  # the former address leads to the desk
    wait.until(ec.visibility_of_element_located((By.ID, "api-key-input"))).send_keys(KEY)
    browser.find_element(By.ID, "api-key-save").click()
    wait.until(ec.invisibility_of_element_located((By.ID, "key-dialog")))
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#map path.road"))  # the road graph on Leaflet
    for field in ("day-input", "date-input"):
        browser.execute_script("const e = document.getElementById(arguments[0]); e.value = arguments[1];"
                               "e.dispatchEvent(new Event('change'));", field, day)


def set_time(browser, hhmm: str) -> None:
    browser.execute_script("document.getElementById('time-input').value = arguments[0];", hhmm)


def choose(browser, wait, which: str, typed: str, key: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.find_element(By.ID, f"{which}-input").send_keys(typed)
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f"#{which}-list li[data-key='{key}']"))).click()


def search(browser, wait, query: str) -> None:
    from selenium.webdriver.common.by import By

    box = browser.find_element(By.ID, "rider-phone")
    box.clear()
    box.send_keys(query)
    browser.find_element(By.ID, "rider-search").click()
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#rider-results li"))


def take_rider(browser, wait, phone: str, name: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    search(browser, wait, phone)
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#rider-results .rider-item"))).click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "call-rider"), name))


def in_view(browser, element_id: str) -> bool:
    """The element's whole box lies inside the viewport (no scrolling needed to see and press it)."""
    return browser.execute_script(
        "const r = document.getElementById(arguments[0]).getBoundingClientRect();"
        "return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth"
        " && r.height > 0;", element_id)


def book_and_confirm(browser, wait) -> str:
    """Check availability and confirm; returns whom the offer read-out named."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.find_element(By.ID, "offer-button").click()
    wait.until(ec.visibility_of_element_located((By.ID, "offer-window")))
    named = browser.find_element(By.ID, "offer-for").text
    browser.find_element(By.ID, "confirm-button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "booking-status-msg"), "予約を確定しました"))
    return named

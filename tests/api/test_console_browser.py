"""The phone desk in a real headless Chromium: book a ride on the phone form, confirm it, see it in the
day's list and on the vehicle's manifest; two callers in a row never share a rider. Keeps screenshots in
test-output/."""

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
         "--lang=ja"]
SCREENS = [(1366, 768), (1920, 1080)]


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
def _browser(size: tuple[int, int] = (1600, 1000)) -> Iterator[object]:
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


def _open_console(browser, base: str, wait, day: str) -> None:
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


def _set_time(browser, hhmm: str) -> None:
    browser.execute_script("document.getElementById('time-input').value = arguments[0];", hhmm)


def _choose(browser, wait, which: str, typed: str, key: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.find_element(By.ID, f"{which}-input").send_keys(typed)
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f"#{which}-list li[data-key='{key}']"))).click()


def _search(browser, wait, query: str) -> None:
    from selenium.webdriver.common.by import By

    box = browser.find_element(By.ID, "rider-phone")
    box.clear()
    box.send_keys(query)
    browser.find_element(By.ID, "rider-search").click()
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#rider-results li"))


def _take_rider(browser, wait, phone: str, name: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    _search(browser, wait, phone)
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#rider-results .rider-item"))).click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "call-rider"), name))


def _in_view(browser, element_id: str) -> bool:
    """The element's whole box lies inside the viewport (no scrolling needed to see and press it)."""
    return browser.execute_script(
        "const r = document.getElementById(arguments[0]).getBoundingClientRect();"
        "return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth"
        " && r.height > 0;", element_id)


def _book_and_confirm(browser, wait) -> str:
    """Check availability and confirm; returns whom the offer read-out named."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.find_element(By.ID, "offer-button").click()
    wait.until(ec.visibility_of_element_located((By.ID, "offer-window")))
    named = browser.find_element(By.ID, "offer-for").text
    browser.find_element(By.ID, "confirm-button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "booking-status-msg"), "予約を確定しました"))
    return named


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
        _open_console(browser, server, wait, day)
        _take_rider(browser, wait, "0274629876", "富岡 はな")
        _set_time(browser, "10:00")

        _choose(browser, wait, "pickup", "総合病院", "tomioka_general_hospital")  # Japanese
        _choose(browser, wait, "dropoff", "joshu-tomioka", "st:Joshu-Tomioka")  # romaji
        assert "上州富岡" in browser.find_element(By.ID, "dropoff-input").get_attribute("value")

        browser.find_element(By.ID, "offer-button").click()
        window = wait.until(ec.visibility_of_element_located((By.ID, "offer-window")))
        assert "〜" in window.text and window.text[:2].isdigit(), window.text
        assert "富岡 はな" in browser.find_element(By.ID, "offer-for").text
        vehicle = browser.find_element(By.ID, "offer-vehicle").text
        assert "号" in vehicle and "-" not in vehicle, vehicle  # the label staff read out, not the id
        fare = browser.find_element(By.ID, "offer-fare").text
        assert fare.endswith(" 円") and int(fare.split()[0]) in (100, 200, 500), fare  # priced, no longer 0 円
        browser.save_screenshot(str(OUT / "console_offer.png"))

        browser.find_element(By.ID, "confirm-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "booking-status-msg"), "予約を確定しました"))
        wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#bookings-table tbody"), "確定"))
        rows = browser.find_elements(By.CSS_SELECTOR, "#bookings-table tbody tr[data-id]")
        assert len(rows) == 1 and "公立富岡総合病院" in rows[0].text
        wait.until(ec.text_to_be_present_in_element((By.ID, "manifest-table"), "富岡 はな"))
        manifest = browser.find_element(By.ID, "manifest-table").text
        assert "乗車" in manifest and "降車" in manifest and "玄関前で待つ" in manifest
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#map path.route")) >= 1)
        browser.save_screenshot(str(OUT / "console.png"))

    booking = httpx.get(f"{server}/bookings", params={"day": day}, headers=headers).json()
    assert [b["status"] for b in booking] == ["confirmed"] and booking[0]["rider_id"] == rider["id"]


@pytest.mark.parametrize("size", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_two_callers_in_a_row_never_share_a_rider(server, size):
    """A known rider books; the next caller's number is unknown: nobody is selected, nothing can be booked
    until the caller is registered, and the second booking lands under the second rider."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    headers = {"X-API-Key": KEY}
    taro = httpx.post(f"{server}/riders", json={"name": "富岡 太郎", "phone": "0274-62-1111", "wheelchair": True,
                                                "notes": "車いすのまま乗車", "fare_class": "senior"},
                      headers=headers).json()
    day = tomorrow()
    with _browser(size) as browser:
        wait = WebDriverWait(browser, 40)
        _open_console(browser, server, wait, day)
        # the window is the screen: the page gets what the browser's own bars leave (625 px of 768 here)
        inner = browser.execute_script("return [window.innerWidth, window.innerHeight]")
        assert inner[0] == size[0] and inner[1] <= size[1], inner
        assert not browser.find_element(By.ID, "offer-button").is_enabled()  # nobody chosen yet

        # caller 1: a known rider
        _take_rider(browser, wait, "62-1111", "富岡 太郎")
        banner = browser.find_element(By.ID, "call-rider").text
        assert "富岡 太郎" in banner and "0274-62-1111" in banner and "高齢者" in banner and "車いす" in banner
        assert browser.find_element(By.ID, "wheelchairs-input").get_attribute("value") == "1"
        _set_time(browser, "10:00")
        _choose(browser, wait, "pickup", "総合病院", "tomioka_general_hospital")
        _choose(browser, wait, "dropoff", "joshu-tomioka", "st:Joshu-Tomioka")
        browser.find_element(By.ID, "notes-input").send_keys("玄関で待つ")
        assert _in_view(browser, "offer-button"), "空き確認 needs scrolling"
        browser.save_screenshot(str(OUT / f"desk_caller1_{size[0]}x{size[1]}.png"))
        assert "富岡 太郎" in _book_and_confirm(browser, wait)

        # caller 2: an unknown number. The search itself starts a new call: nothing of caller 1 remains.
        _search(browser, wait, "0274-99-0000")
        wait.until(ec.text_to_be_present_in_element((By.ID, "rider-results"), "該当なし"))
        banner = browser.find_element(By.ID, "call-rider")
        assert "富岡 太郎" not in banner.text and "利用者が選ばれていません" in banner.text
        assert browser.find_element(By.ID, "call-rider").get_attribute("data-rider-id") == ""
        for field, empty in (("pickup-input", ""), ("dropoff-input", ""), ("notes-input", ""),
                             ("wheelchairs-input", "0"), ("seats-input", "1"), ("time-input", "10:00")):
            assert browser.find_element(By.ID, field).get_attribute("value") == empty, field
        assert not browser.find_element(By.ID, "offer-panel").is_displayed()
        assert browser.find_element(By.ID, "booking-status-msg").text == ""
        offer = browser.find_element(By.ID, "offer-button")
        assert not offer.is_enabled()
        browser.execute_script("arguments[0].click()", offer)  # even a forced click books nothing
        _choose(browser, wait, "pickup", "七日市", "oz:富岡市/七日市")
        _choose(browser, wait, "dropoff", "総合病院", "tomioka_general_hospital")
        browser.execute_script("document.getElementById('offer-button').disabled = false;"
                               "document.getElementById('offer-button').click()")
        time.sleep(0.5)
        assert len(httpx.get(f"{server}/bookings", params={"day": day}, headers=headers).json()) == 1

        # register the caller from the form: the new rider becomes the call's rider
        assert browser.find_element(By.ID, "new-rider-phone").get_attribute("value") == "0274-99-0000"
        browser.find_element(By.ID, "new-rider-name").send_keys("甘楽 花子")
        browser.find_element(By.ID, "new-rider-kana").send_keys("かんら はなこ")
        browser.find_element(By.ID, "new-rider-save").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "call-rider"), "甘楽 花子"))
        assert "富岡 太郎" not in browser.find_element(By.ID, "call-rider").text
        _set_time(browser, "11:00")
        assert _in_view(browser, "offer-button")
        assert "甘楽 花子" in _book_and_confirm(browser, wait)
        browser.save_screenshot(str(OUT / f"desk_caller2_{size[0]}x{size[1]}.png"))

        # 次の電話: the desk is empty again
        browser.find_element(By.ID, "next-call").click()
        assert "利用者が選ばれていません" in browser.find_element(By.ID, "call-rider").text
        assert browser.find_element(By.ID, "pickup-input").get_attribute("value") == ""
        assert browser.find_element(By.ID, "booking-status-msg").text == ""
        assert not browser.find_element(By.ID, "offer-button").is_enabled()

    bookings = httpx.get(f"{server}/bookings", params={"day": day}, headers=headers).json()
    hanako = httpx.get(f"{server}/riders", params={"phone": "0274990000"}, headers=headers).json()[0]
    by_time = sorted(bookings, key=lambda b: b["time"])
    assert [b["status"] for b in by_time] == ["confirmed", "confirmed"]
    assert by_time[0]["rider_id"] == taro["id"] and by_time[0]["wheelchairs"] == 1
    assert by_time[1]["rider_id"] == hanako["id"] and hanako["kana"] == "かんら はなこ"
    assert by_time[1]["wheelchairs"] == 0 and by_time[1]["notes"] == "" and by_time[1]["seats"] == 1
    assert by_time[1]["pickup"]["place"] == "oz:富岡市/七日市"


def test_wide_area_itinerary_is_read_out_leg_by_leg(wide_server):
    """With the wide-area operating model, a Nanmoku -> Takasaki trip is a feeder taxi and a Joshin train."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    httpx.post(f"{wide_server}/riders", json={"name": "南牧 一郎", "phone": "0274-87-2222"}, headers={"X-API-Key": KEY})
    with _browser() as browser:
        wait = WebDriverWait(browser, 40)
        _open_console(browser, wide_server, wait, tomorrow())
        _take_rider(browser, wait, "0274872222", "南牧 一郎")
        _set_time(browser, "09:00")
        _choose(browser, wait, "pickup", "大日向", "oz:南牧村/大日向")
        _choose(browser, wait, "dropoff", "takasaki", "st:Takasaki")
        browser.find_element(By.ID, "offer-button").click()
        wait.until(ec.visibility_of_element_located((By.ID, "offer-window")))
        legs = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#offer-legs li")]
        assert len(legs) == 2 and "乗合タクシー" in legs[0] and "上信電鉄" in legs[1], legs
        assert "Takasaki" in legs[1]
        ready = browser.find_element(By.ID, "offer-ready").text
        assert "までにご準備ください" in ready and ready[:2].isdigit(), ready
        browser.find_element(By.ID, "confirm-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "booking-status-msg"), "予約を確定しました"))
        wait.until(ec.text_to_be_present_in_element((By.ID, "manifest-table"), "区間 1"))
        browser.save_screenshot(str(OUT / "console_wide_area.png"))


@pytest.mark.parametrize("size", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_rider_edit_and_cancel_with_reason(server, size):
    """The rider card edits the registry (kept in the history) and opens an upcoming booking to cancel it
    with a reason, which the day's list and the booking record then show."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    headers = {"X-API-Key": KEY}
    rider = httpx.post(f"{server}/riders", json={"name": "下仁田 正", "phone": "0274-82-3333"}, headers=headers).json()
    day = tomorrow()
    booking = httpx.post(f"{server}/bookings", headers={**headers, "Idempotency-Key": "browser-cancel-1"}, json={
        "rider_id": rider["id"], "pickup": {"place": "tomioka_general_hospital"},
        "dropoff": {"place": "st:Joshu-Tomioka"}, "time": f"{day}T13:00:00+09:00"}).json()
    httpx.post(f"{server}/bookings/{booking['id']}/confirm", headers=headers)
    with _browser(size) as browser:
        wait = WebDriverWait(browser, 40)
        _open_console(browser, server, wait, day)
        _take_rider(browser, wait, "0274823333", "下仁田 正")
        browser.find_element(By.ID, "rider-open").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "rider-upcoming"), "公立富岡総合病院"))
        kana = browser.find_element(By.ID, "edit-kana")
        kana.clear()
        kana.send_keys("しもにた ただし")
        browser.find_element(By.ID, "edit-walker").click()
        browser.find_element(By.ID, "rider-save").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "call-rider"), "歩行器"))
        assert "しもにた ただし" in browser.find_element(By.ID, "call-rider").text

        browser.find_element(By.ID, "rider-open").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "rider-edits"), "operator:"))
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#rider-upcoming .open-booking"))).click()
        wait.until(ec.visibility_of_element_located((By.ID, "cancel-button")))
        assert "取消期限" in browser.find_element(By.ID, "cancel-deadline").text
        browser.execute_script("document.getElementById('change-time').value = '14:00';")
        browser.find_element(By.ID, "change-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "change-msg"), "変更しました"))
        changed = httpx.get(f"{server}/bookings/{booking['id']}", headers=headers).json()
        assert changed["time"].endswith("T14:00:00+09:00")
        Select(browser.find_element(By.ID, "cancel-reason")).select_by_value("illness")
        browser.find_element(By.ID, "cancel-note").send_keys("発熱のため")
        browser.find_element(By.ID, "cancel-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "booking-detail"), "取消しました（体調不良）"))
        wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#bookings-table tbody"), "体調不良"))
        browser.save_screenshot(str(OUT / f"desk_cancel_{size[0]}x{size[1]}.png"))

    stored = httpx.get(f"{server}/bookings/{booking['id']}", headers=headers).json()
    assert stored["status"] == "cancelled" and stored["cancellation"]["reason"] == "illness"
    assert stored["cancellation"]["note"] == "発熱のため"
    edited = httpx.get(f"{server}/riders/{rider['id']}", headers=headers).json()
    assert edited["kana"] == "しもにた ただし" and edited["mobility"]["walker"] is True
    history = httpx.get(f"{server}/riders/{rider['id']}/history", headers=headers).json()
    assert history[0]["changes"]["kana"] == ["", "しもにた ただし"]


@pytest.mark.parametrize("size", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_round_trip_and_a_two_week_standing_booking(server, size):
    """One call books there and back (offered and confirmed together), then registers the same trip as a
    standing booking for two weeks: the dates inside the horizon are booked, the later ones wait."""
    from datetime import date, timedelta

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    headers = {"X-API-Key": KEY}
    rider = httpx.post(f"{server}/riders", json={"name": "甘楽 透", "phone": "0274-74-4444"}, headers=headers).json()
    day = tomorrow()
    with _browser(size) as browser:
        wait = WebDriverWait(browser, 40)
        _open_console(browser, server, wait, day)
        _take_rider(browser, wait, "0274744444", "甘楽 透")
        _set_time(browser, "08:30")
        _choose(browser, wait, "pickup", "七日市", "oz:富岡市/七日市")
        _choose(browser, wait, "dropoff", "総合病院", "tomioka_general_hospital")
        Select(browser.find_element(By.ID, "return-kind")).select_by_value("timed")
        browser.execute_script("document.getElementById('return-time').value = '12:30';")
        assert _in_view(browser, "offer-button")
        browser.find_element(By.ID, "offer-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "offer-return"), "帰り"))
        assert "号" in browser.find_element(By.ID, "offer-return").text
        browser.find_element(By.ID, "confirm-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "booking-status-msg"), "予約を確定しました"))
        trips = httpx.get(f"{server}/bookings", params={"day": day}, headers=headers).json()
        assert sorted(b["round_trip_leg"] for b in trips) == ["outbound", "return"]
        assert {b["status"] for b in trips} <= {"confirmed", "assigned"}

        browser.find_element(By.ID, "standing-open").click()
        for label in browser.find_elements(By.CSS_SELECTOR, "#standing-weekdays input"):
            label.click()  # every day of the week
        end = (date.fromisoformat(day) + timedelta(days=13)).isoformat()
        browser.execute_script("document.getElementById('standing-end').value = arguments[0];", end)
        browser.find_element(By.ID, "standing-save").click()
        wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#standing-dates li"))
        states = [li.get_attribute("data-state") for li in browser.find_elements(By.CSS_SELECTOR, "#standing-dates li")]
        assert "booked" in states and "pending" in states, states
        texts = browser.find_element(By.ID, "standing-dates").text
        assert "予約済" in texts and "受付前" in texts
        browser.save_screenshot(str(OUT / f"desk_standing_{size[0]}x{size[1]}.png"))
        first_booked = browser.find_element(By.CSS_SELECTOR, "#standing-dates li[data-state='booked']")
        skip = first_booked.get_attribute("data-date")
        browser.find_element(By.ID, "standing-close").click()

        # the series from the rider card: skip the first booked date, then pause
        browser.find_element(By.ID, "rider-open").click()
        item = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#rider-standing li[data-series]")))
        assert "月・火・水・木・金・土・日 08:30" in item.text and "有効" in item.text
        skip_input = item.find_element(By.CSS_SELECTOR, ".skip-date")
        browser.execute_script("arguments[0].value = arguments[1];", skip_input, skip)
        item.find_element(By.CSS_SELECTOR, "button[data-op='skip']").click()
        listed = f"{skip[5:]}（"  # the card lists the next dates as MM-DD（曜）
        wait.until(lambda b: listed not in b.find_element(By.ID, "rider-standing").text)
        browser.find_element(By.CSS_SELECTOR, "#rider-standing button[data-op='pause']").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "rider-standing"), "一時停止中"))

    series = httpx.get(f"{server}/standing-bookings", params={"rider_id": rider["id"]}, headers=headers).json()
    assert len(series) == 1 and series[0]["end_date"] == end and series[0]["return_time"] == "12:30"
    assert series[0]["status"] == "paused" and series[0]["skipped"] == [skip]
    skipped = [b for b in httpx.get(f"{server}/bookings", params={"day": skip}, headers=headers).json()
               if b.get("standing_id") == series[0]["id"]]
    assert skipped and all(b["status"] == "cancelled" for b in skipped)


def test_map_layers_labels_and_picking_a_place(server):
    """Leaflet map: road graph, municipal areas, places and vehicles as layers; visible labels never overlap;
    a click offers the nearest place for the form."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    headers = {"X-API-Key": KEY}
    rider = httpx.post(f"{server}/riders", json={"name": "富岡 地図", "phone": "0274-62-4321"}, headers=headers).json()
    httpx.post(f"{server}/bookings", headers={**headers, "Idempotency-Key": "browser-map-1"}, json={
        "rider_id": rider["id"], "pickup": {"place": "tomioka_general_hospital"},
        "dropoff": {"place": "st:Joshu-Tomioka"}, "time": f"{tomorrow()}T10:00:00+09:00"})  # the day has plans
    with _browser((1366, 768)) as browser:
        wait = WebDriverWait(browser, 40)
        _open_console(browser, server, wait, tomorrow())
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#map path.vehicle")) == 6)
        assert len(browser.find_elements(By.CSS_SELECTOR, "#map path.area")) == 4
        roads = httpx.get(f"{server}/network.geojson", headers=headers).json()["features"]
        assert len(browser.find_elements(By.CSS_SELECTOR, "#map path.road")) == len(roads)
        assert not browser.execute_script(  # no tile or other outside request
            "return performance.getEntriesByType('resource').some(e => !e.name.startsWith(location.origin))")
        overlaps = browser.execute_script("""
            const shown = [...document.querySelectorAll('#map .map-label')]
              .filter(e => e.style.visibility !== 'hidden').map(e => e.getBoundingClientRect());
            let n = 0;
            for (let i = 0; i < shown.length; i++) for (let j = i + 1; j < shown.length; j++) {
              const a = shown[i], b = shown[j];
              if (a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top) n++;
            }
            return [shown.length, n];""")
        assert overlaps[0] >= 5 and overlaps[1] == 0, overlaps
        station = browser.find_element(By.CSS_SELECTOR, "#map path.place-st_Joshu-Tomioka")
        ActionChains(browser).move_to_element(station).click().perform()
        popup = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".map-pick")))
        assert "上州富岡" in popup.text
        popup.find_element(By.CSS_SELECTOR, "button[data-which='pickup']").click()
        wait.until(lambda b: "上州富岡" in b.find_element(By.ID, "pickup-input").get_attribute("value"))
        browser.save_screenshot(str(OUT / "desk_map.png"))


def test_refusals_in_japanese_alternatives_split_and_call_back(server):
    """Out of hours: a Japanese refusal with the first and last times; a later refusal replaces the panel;
    a party of 8 is split over two vehicles and both offers are confirmed; a refusal goes on 折り返し."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    headers = {"X-API-Key": KEY}
    httpx.post(f"{server}/riders", json={"name": "富岡 団体", "phone": "0274-62-8888"}, headers=headers)
    day = tomorrow()
    with _browser((1366, 768)) as browser:
        wait = WebDriverWait(browser, 40)
        _open_console(browser, server, wait, day)
        _take_rider(browser, wait, "0274628888", "富岡 団体")
        _set_time(browser, "05:00")
        _choose(browser, wait, "pickup", "総合病院", "tomioka_general_hospital")
        _choose(browser, wait, "dropoff", "joshu-tomioka", "st:Joshu-Tomioka")
        browser.find_element(By.ID, "offer-button").click()
        panel = wait.until(ec.visibility_of_element_located((By.ID, "rejection-panel")))
        assert "お受けできません" in panel.text and "運行時間外です（運行 08:00〜17:00）" in panel.text
        times = [b.text for b in panel.find_elements(By.CSS_SELECTOR, "button.alternative")]
        assert times[0] == "08:00" and len(times) == 2, times
        browser.find_element(By.ID, "callback-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "callback-list"), "富岡 団体"))
        assert "運行時間外" in browser.find_element(By.ID, "callback-list").text

        browser.execute_script("document.getElementById('seats-input').value = 8;")
        _set_time(browser, "10:00")
        browser.find_element(By.ID, "offer-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "rejection-panel"), "人数が多すぎます"))
        text = browser.find_element(By.ID, "rejection-panel").text
        assert "運行時間外" not in text and text.count("お受けできません") == 1  # replaced, not stacked
        browser.find_element(By.ID, "split-button").click()
        wait.until(ec.visibility_of_element_located((By.ID, "offer-panel")))
        legs = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#offer-legs li")]
        assert len(legs) == 2 and all(leg.startswith("4人") for leg in legs), legs
        assert not browser.find_element(By.ID, "rejection-panel").is_displayed()
        browser.find_element(By.ID, "confirm-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "booking-status-msg"), "予約を確定しました"))
        browser.find_element(By.CSS_SELECTOR, "#callback-list .callback-done").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "callback-list"), "折り返し待ちはありません"))
        browser.save_screenshot(str(OUT / "desk_split.png"))

    bookings = httpx.get(f"{server}/bookings", params={"day": day}, headers=headers).json()
    confirmed = [b for b in bookings if b["status"] in ("confirmed", "assigned")]
    assert sorted(b["seats"] for b in confirmed) == [4, 4]
    assert sorted(b["status"] for b in bookings if b not in confirmed) == ["rejected", "rejected"]


def test_open_return_booked_when_the_rider_calls(server):
    """帰りは電話で: the outbound is booked with an open return; on the rider's later call the return is
    placed from the rider card, the wait read out, and confirmed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    headers = {"X-API-Key": KEY}
    httpx.post(f"{server}/riders", json={"name": "南牧 かえる", "phone": "0274-87-5555"}, headers=headers)
    day = tomorrow()
    with _browser((1366, 768)) as browser:
        wait = WebDriverWait(browser, 40)
        _open_console(browser, server, wait, day)
        _take_rider(browser, wait, "0274875555", "南牧 かえる")
        _set_time(browser, "09:00")
        _choose(browser, wait, "pickup", "七日市", "oz:富岡市/七日市")
        _choose(browser, wait, "dropoff", "総合病院", "tomioka_general_hospital")
        Select(browser.find_element(By.ID, "return-kind")).select_by_value("open")
        browser.find_element(By.ID, "offer-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "offer-return"), "帰りはお電話ください"))
        browser.find_element(By.ID, "confirm-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "booking-status-msg"), "予約を確定しました"))

        browser.find_element(By.ID, "next-call").click()  # later: the rider calls for the way back
        _take_rider(browser, wait, "0274875555", "南牧 かえる")
        browser.find_element(By.ID, "rider-open").click()
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#rider-upcoming .book-return"))).click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "offer-return"), "お待ち時間"))
        assert "南牧 かえる" in browser.find_element(By.ID, "offer-for").text
        browser.find_element(By.ID, "confirm-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "booking-status-msg"), "予約を確定しました"))

    bookings = httpx.get(f"{server}/bookings", params={"day": day}, headers=headers).json()
    assert sorted((b["round_trip_leg"], b["status"] in ("confirmed", "assigned")) for b in bookings) == [
        ("outbound", True), ("return", True)]
    back = next(b for b in bookings if b["round_trip_leg"] == "return")
    assert back["pickup"]["place"] == "tomioka_general_hospital" and back["round_trip_id"]

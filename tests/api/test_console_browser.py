"""The phone desk in a real headless Chromium: book a ride on the phone form and confirm it; two callers
in a row never share a rider (at 1366x768 and 1920x1080, 空き確認 on screen without scrolling); a wide-area
itinerary read out leg by leg; refusals in Japanese with alternatives, a split party and the call-back list."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from .conftest import tomorrow
from .desk_browser import (
    KEY,
    OUT,
    REPO,
    SCREEN_PARAMS,
    book_and_confirm,
    browser_window,
    choose,
    in_view,
    open_desk,
    search,
    serve,
    set_time,
    take_rider,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def server() -> Iterator[str]:
    with serve() as base:
        yield base


@pytest.fixture
def wide_server() -> Iterator[str]:
    with serve(KANRA_OPERATING_MODEL=str(REPO / "api" / "operating_model_wide_area.json")) as base:
        yield base


def test_phone_booking_through_the_console(server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    headers = {"X-API-Key": KEY}
    rider = httpx.post(f"{server}/riders", json={"name": "富岡 はな", "phone": "0274-62-9876", "notes": "玄関前で待つ"},
                       headers=headers).json()
    day = tomorrow()
    with browser_window() as browser:
        wait = WebDriverWait(browser, 40)  # generous: the machine is shared
        open_desk(browser, server, wait, day)
        take_rider(browser, wait, "0274629876", "富岡 はな")
        set_time(browser, "10:00")

        choose(browser, wait, "pickup", "総合病院", "tomioka_general_hospital")  # Japanese
        choose(browser, wait, "dropoff", "joshu-tomioka", "st:Joshu-Tomioka")  # romaji
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


@pytest.mark.parametrize("size", SCREEN_PARAMS)
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
    with browser_window(size) as browser:
        wait = WebDriverWait(browser, 40)
        open_desk(browser, server, wait, day)
        # the window is the screen: the page gets what the browser's own bars leave (625 px of 768 here)
        inner = browser.execute_script("return [window.innerWidth, window.innerHeight]")
        assert inner[0] == size[0] and inner[1] <= size[1], inner
        assert not browser.find_element(By.ID, "offer-button").is_enabled()  # nobody chosen yet

        # caller 1: a known rider
        take_rider(browser, wait, "62-1111", "富岡 太郎")
        banner = browser.find_element(By.ID, "call-rider").text
        assert "富岡 太郎" in banner and "0274-62-1111" in banner and "高齢者" in banner and "車いす" in banner
        assert browser.find_element(By.ID, "wheelchairs-input").get_attribute("value") == "1"
        set_time(browser, "10:00")
        choose(browser, wait, "pickup", "総合病院", "tomioka_general_hospital")
        choose(browser, wait, "dropoff", "joshu-tomioka", "st:Joshu-Tomioka")
        browser.find_element(By.ID, "notes-input").send_keys("玄関で待つ")
        assert in_view(browser, "offer-button"), "空き確認 needs scrolling"
        browser.save_screenshot(str(OUT / f"desk_caller1_{size[0]}x{size[1]}.png"))
        assert "富岡 太郎" in book_and_confirm(browser, wait)

        # caller 2: an unknown number. The search itself starts a new call: nothing of caller 1 remains.
        search(browser, wait, "0274-99-0000")
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
        choose(browser, wait, "pickup", "七日市", "oz:富岡市/七日市")
        choose(browser, wait, "dropoff", "総合病院", "tomioka_general_hospital")
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
        set_time(browser, "11:00")
        assert in_view(browser, "offer-button")
        assert "甘楽 花子" in book_and_confirm(browser, wait)
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
    with browser_window() as browser:
        wait = WebDriverWait(browser, 40)
        open_desk(browser, wide_server, wait, tomorrow())
        take_rider(browser, wait, "0274872222", "南牧 一郎")
        set_time(browser, "09:00")
        choose(browser, wait, "pickup", "大日向", "oz:南牧村/大日向")
        choose(browser, wait, "dropoff", "takasaki", "st:Takasaki")
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


def test_refusals_in_japanese_alternatives_split_and_call_back(server):
    """Out of hours: a Japanese refusal with the first and last times; a later refusal replaces the panel;
    a party of 8 is split over two vehicles and both offers are confirmed; a refusal goes on 折り返し."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    headers = {"X-API-Key": KEY}
    httpx.post(f"{server}/riders", json={"name": "富岡 団体", "phone": "0274-62-8888"}, headers=headers)
    day = tomorrow()
    with browser_window((1366, 768)) as browser:
        wait = WebDriverWait(browser, 40)
        open_desk(browser, server, wait, day)
        take_rider(browser, wait, "0274628888", "富岡 団体")
        set_time(browser, "05:00")
        choose(browser, wait, "pickup", "総合病院", "tomioka_general_hospital")
        choose(browser, wait, "dropoff", "joshu-tomioka", "st:Joshu-Tomioka")
        browser.find_element(By.ID, "offer-button").click()
        panel = wait.until(ec.visibility_of_element_located((By.ID, "rejection-panel")))
        assert "お受けできません" in panel.text and "運行時間外です（運行 08:00〜17:00）" in panel.text
        times = [b.text for b in panel.find_elements(By.CSS_SELECTOR, "button.alternative")]
        assert times[0] == "08:00" and len(times) == 2, times
        browser.find_element(By.ID, "callback-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "callback-list"), "富岡 団体"))
        assert "運行時間外" in browser.find_element(By.ID, "callback-list").text

        browser.execute_script("document.getElementById('seats-input').value = 8;")
        set_time(browser, "10:00")
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


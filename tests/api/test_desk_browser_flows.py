"""Desk flows in a real headless Chromium at 1366x768 and 1920x1080: a rider edit and a cancel with a reason,
a round trip and a two-week standing booking, an open return booked on the rider's later call, and the
Leaflet map (layers, labels that never overlap, picking the nearest place)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .conftest import tomorrow
from .desk_browser import (
    KEY,
    OUT,
    SCREEN_PARAMS,
    browser_window,
    choose,
    in_view,
    open_desk,
    serve,
    set_time,
    take_rider,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def server() -> Iterator[str]:
    with serve() as base:
        yield base


@pytest.mark.parametrize("size", SCREEN_PARAMS)
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
    with browser_window(size) as browser:
        wait = WebDriverWait(browser, 40)
        open_desk(browser, server, wait, day)
        take_rider(browser, wait, "0274823333", "下仁田 正")
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


@pytest.mark.parametrize("size", SCREEN_PARAMS)
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
    with browser_window(size) as browser:
        wait = WebDriverWait(browser, 40)
        open_desk(browser, server, wait, day)
        take_rider(browser, wait, "0274744444", "甘楽 透")
        set_time(browser, "08:30")
        choose(browser, wait, "pickup", "七日市", "oz:富岡市/七日市")
        choose(browser, wait, "dropoff", "総合病院", "tomioka_general_hospital")
        Select(browser.find_element(By.ID, "return-kind")).select_by_value("timed")
        browser.execute_script("document.getElementById('return-time').value = '12:30';")
        assert in_view(browser, "offer-button")
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
    with browser_window((1366, 768)) as browser:
        wait = WebDriverWait(browser, 40)
        open_desk(browser, server, wait, tomorrow())
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


def test_open_return_booked_when_the_rider_calls(server):
    """帰りは電話で: the outbound is booked with an open return; on the rider's later call the return is
    placed from the rider card, the wait read out, and confirmed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    headers = {"X-API-Key": KEY}
    httpx.post(f"{server}/riders", json={"name": "南牧 かえる", "phone": "0274-87-5555"}, headers=headers)
    day = tomorrow()
    with browser_window((1366, 768)) as browser:
        wait = WebDriverWait(browser, 40)
        open_desk(browser, server, wait, day)
        take_rider(browser, wait, "0274875555", "南牧 かえる")
        set_time(browser, "09:00")
        choose(browser, wait, "pickup", "七日市", "oz:富岡市/七日市")
        choose(browser, wait, "dropoff", "総合病院", "tomioka_general_hospital")
        Select(browser.find_element(By.ID, "return-kind")).select_by_value("open")
        browser.find_element(By.ID, "offer-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "offer-return"), "帰りはお電話ください"))
        browser.find_element(By.ID, "confirm-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "booking-status-msg"), "予約を確定しました"))

        browser.find_element(By.ID, "next-call").click()  # later: the rider calls for the way back
        take_rider(browser, wait, "0274875555", "南牧 かえる")
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

"""The dispatcher's, driver's and run-sheet pages in a real headless Chromium (selenium), against a real
``python -m api`` and ``python -m api.worker`` on Redis db 6. Screenshots go to test-output/."""

from __future__ import annotations

import json
import os
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


def _worker_in_process(world) -> None:
    """One worker pass in this process over the page server's Redis (the world is the tests' own, loaded once)."""
    from api.settings import Settings
    from api.worker import Worker

    settings = Settings.from_env(_env()).with_(reopt_interval_s=0.0, reopt_time_limit_s=1.0)
    Worker(settings, world, client=redis.Redis.from_url(REDIS_URL, decode_responses=True),
           name="worker:pages").run_once()


@pytest.mark.slow
def test_a_dispatcher_reassigns_from_the_timeline_and_the_pin_survives_reoptimisation(server, world):
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
        _worker_in_process(world)  # the worker runs the dispatcher's request (and its periodic pass)
        wait.until(lambda b: b.find_element(By.ID, "reopt-status").get_attribute("data-done") == "1")
        browser.save_screenshot(str(OUT / "dispatcher.png"))
        record = httpx.get(f"{server}/bookings/{booking['id']}", headers=_h("operator")).json()
        assert record["vehicle_id"] == "nanmoku-1" and record["pinned"] is True
        groups = browser.execute_script(
            "return [...document.querySelectorAll('#timeline .vis-item.pinned')].length")
        assert groups >= 1


def _drag_to_vehicle(browser, item, vehicle_label: str) -> None:
    """Press on a timeline item, drag it down or up onto the row of ``vehicle_label``, let go (a real mouse)."""
    from selenium.webdriver.common.action_chains import ActionChains

    row_y = browser.execute_script("""
      const label = [...document.querySelectorAll('#timeline .vis-labelset .vis-label')]
        .find((el) => el.textContent.includes(arguments[0]));
      const r = label.getBoundingClientRect(); return r.top + r.height / 2;""", vehicle_label)
    box = browser.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.top, r.height];", item)
    dy = int(row_y - (box[0] + box[1] / 2))
    # a hand moves sideways a little first: a timeline that does not scroll vertically starts a drag only on a
    # horizontal pan (vis-timeline), and the item keeps its time (the page lets only the vehicle change)
    chain = ActionChains(browser, duration=50).click(item).pause(0.2).click_and_hold(item).move_by_offset(12, 0)
    for _ in range(6):  # then in steps: the timeline follows the pointer from row to row
        chain = chain.move_by_offset(0, dy // 6)
    chain.move_by_offset(0, dy - 6 * (dy // 6)).pause(0.2).release().perform()


def test_a_dispatcher_drags_a_booking_onto_another_vehicle_commits_and_it_stays_after_reoptimisation(server, world):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    booking = _booking(server)
    assert booking["vehicle_id"] != "nanmoku-1"
    label = next(v.get("label") or v["id"] for v in httpx.get(f"{server}/vehicles", headers=_h("dispatcher")).json()
                 if v["id"] == "nanmoku-1")
    with _browser((1600, 1000)) as browser:
        wait = WebDriverWait(browser, 30)
        _open(browser, wait, f"{server}/dispatcher?day={tomorrow()}", KEYS["dispatcher"])
        item = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#timeline .vis-item.vis-box.pickup")))
        _drag_to_vehicle(browser, item, label)
        # the drop asks the validator at once: the verdict is on screen before anything is committed
        wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "#verdict.ok")))
        assert booking["id"] in browser.find_element(By.ID, "selected").text
        assert browser.find_element(By.ID, "target-vehicle").get_attribute("value") == "nanmoku-1"
        assert httpx.get(f"{server}/bookings/{booking['id']}", headers=_h("operator")).json()["vehicle_id"] \
            == booking["vehicle_id"]  # the drag itself moved nothing
        browser.find_element(By.ID, "commit-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "action-status"), "固定"))
        record = httpx.get(f"{server}/bookings/{booking['id']}", headers=_h("operator")).json()
        assert record["vehicle_id"] == "nanmoku-1" and record["pinned"] is True
        browser.find_element(By.ID, "reoptimise-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "reopt-status"), "依頼"))
        _worker_in_process(world)
        wait.until(lambda b: b.find_element(By.ID, "reopt-status").get_attribute("data-done") == "1")
        browser.save_screenshot(str(OUT / "dispatcher-dragged.png"))
        record = httpx.get(f"{server}/bookings/{booking['id']}", headers=_h("operator")).json()
        assert record["vehicle_id"] == "nanmoku-1" and record["pinned"] is True
        # the timeline shows the stop, pinned, on the row of the vehicle it was dragged to
        centre, top, bottom = browser.execute_script("""
          const item = document.querySelector('#timeline .vis-item.vis-box.pinned.pickup').getBoundingClientRect();
          const row = [...document.querySelectorAll('#timeline .vis-labelset .vis-label')]
            .find((el) => el.textContent.includes(arguments[0])).getBoundingClientRect();
          return [item.top + item.height / 2, row.top, row.bottom];""", label)
        assert top <= centre <= bottom


def _second_booking(base: str) -> str:
    body = {"pickup": {"place": "tomioka_general_hospital"}, "dropoff": {"place": "tomioka_city_hall"},
            "time": at(tomorrow(), "10:00")}
    offered = httpx.post(f"{base}/bookings", json=body, headers={**_h("operator"), "Idempotency-Key": "page-0002"},
                         timeout=30).json()
    assert offered["status"] == "offered", offered
    httpx.post(f"{base}/bookings/{offered['id']}/confirm", headers=_h("operator"), timeout=30)
    moved = httpx.post(f"{base}/dispatch/reassign", json={"booking_id": offered["id"], "vehicle_id": "tomioka-1"},
                       headers=_h("dispatcher"), timeout=30)
    assert moved.status_code == 200, moved.text
    return offered["id"]


def test_a_dispatcher_locks_a_vehicles_next_stops_in_the_order_clicked(server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    first = _booking(server, vehicle="tomioka-1")["id"]  # 10:00 at the city hall
    second = _second_booking(server)  # 10:00 at the hospital
    with _browser((1600, 1000)) as browser:
        wait = WebDriverWait(browser, 30)
        _open(browser, wait, f"{server}/dispatcher?day={tomorrow()}", KEYS["dispatcher"])
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#timeline .vis-item.vis-box.pickup")))
        Select(browser.find_element(By.ID, "lock-vehicle")).select_by_value("tomioka-1")

        def click_stop(booking_id: str, kind: str) -> None:
            wait.until(ec.element_to_be_clickable(
                (By.CSS_SELECTOR, f"#lock-stops button[data-stop='{booking_id}|{kind}']"))).click()

        click_stop(first, "dropoff")  # a drop-off first: the engine refuses, the page says why
        browser.find_element(By.ID, "lock-commit").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "lock-error"), "この順序では運行できません"))
        assert "before its pickup" in browser.find_element(By.ID, "lock-error").text
        browser.find_element(By.ID, "lock-clear").click()
        click_stop(second, "pickup")
        click_stop(first, "pickup")
        ranks = [b.find_element(By.CSS_SELECTOR, ".rank").text
                 for b in browser.find_elements(By.CSS_SELECTOR, "#lock-stops button.chosen")]
        assert sorted(ranks) == ["1", "2"]
        browser.find_element(By.ID, "lock-commit").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "lock-status"), "固定しました"))
        plans = httpx.get(f"{server}/dispatch/plans", params={"day": tomorrow(), "route": False},
                          headers=_h("dispatcher")).json()["plans"]
        plan = next(p for p in plans if p["vehicle_id"] == "tomioka-1")
        assert plan["locked_stops"] == 2
        assert [(s["booking_id"], s["kind"]) for s in plan["stops"][:2]] == [(second, "pickup"), (first, "pickup")]
        badges = lambda b: b.execute_script(  # noqa: E731
            "return [...document.querySelectorAll('#timeline .vis-item.vis-box.locked')]"
            ".map((el) => el.textContent.split(' ')[0]).sort()")
        wait.until(lambda b: badges(b) == ["🔒1", "🔒2"])
        browser.save_screenshot(str(OUT / "dispatcher-locked.png"))
        browser.find_element(By.ID, "lock-release").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "lock-status"), "解除"))
        wait.until(lambda b: badges(b) == [])


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

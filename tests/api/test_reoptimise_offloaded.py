"""A dispatcher's re-optimisation runs in the worker: the phone desk keeps answering while it searches.

The worker is a real ``python -m api.worker`` subprocess on the test Redis; the API runs in this process.
The bounds below are generous on purpose: they tell a search in another process (answers in tens of
milliseconds) from one holding this process's interpreter lock (answers after the whole time limit).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from .conftest import REDIS_URL, at, key_header, tomorrow

OP, DISP = key_header("operator"), key_header("dispatcher")
REPO = Path(__file__).resolve().parents[2]
PLACES = ["tomioka_general_hospital", "st:Joshu-Tomioka", "tomioka_city_hall", "kanra_town_office",
          "st:Shimonita", "oz:富岡市/七日市", "oz:甘楽町/福島", "st:Joshu-Ichinomiya"]
SEARCH_S = 10.0
NOT_BLOCKED_S = 2.0


def _day_after_tomorrow() -> str:
    from datetime import date

    return (date.fromisoformat(tomorrow()) + timedelta(days=1)).isoformat()


def _book(client, day: str, i: int, key: str):
    body = {"pickup": {"place": PLACES[i % len(PLACES)]}, "dropoff": {"place": PLACES[(i * 3 + 1) % len(PLACES)]},
            "time": at(day, f"{9 + (i % 7):02d}:{(i * 7) % 60:02d}")}
    began = time.perf_counter()
    response = client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": key})
    return time.perf_counter() - began, response


def _start_worker(settings) -> subprocess.Popen:
    env = {**os.environ, "REDIS_URL": REDIS_URL, "KANRA_KEY_PREFIX": settings.key_prefix,
           "KANRA_REOPT_INTERVAL_S": "3600", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "api.worker"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_the_api_process_never_runs_the_solver(client):
    with pytest.raises(RuntimeError, match="worker"):
        client.app.state.writer.reoptimise("all", tomorrow(), 1.0)


def test_phone_bookings_and_health_answer_while_a_10_s_reoptimisation_runs_in_the_worker(client, settings):
    day = tomorrow()
    for i in range(14):  # a day with enough bookings for the search to use its whole time limit
        _, response = _book(client, day, i, f"offload-day-{i:03d}")
        assert response.status_code == 201, response.text
    worker = _start_worker(settings)
    try:
        began = time.perf_counter()
        asked = client.post("/dispatch/reoptimise", json={"day": day, "time_limit_s": SEARCH_S}, headers=DISP)
        answered_s = time.perf_counter() - began
        assert asked.status_code == 202, asked.text
        assert answered_s < NOT_BLOCKED_S  # recorded, not run
        poll = asked.json()["poll"]
        deadline = time.monotonic() + 60  # the worker loads the regional network first
        while client.get(poll, headers=DISP).json()["status"] == "queued":
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            assert time.monotonic() < deadline, "the worker never started the re-optimisation"
            time.sleep(0.05)
        health_s, booking_s = [], []
        other_day = _day_after_tomorrow()
        i = 0
        while client.get(poll, headers=DISP).json()["status"] == "running":
            began = time.perf_counter()
            assert client.get("/health").status_code == 200
            health_s.append(time.perf_counter() - began)
            elapsed, response = _book(client, other_day, i, f"offload-phone-{i:03d}")
            assert response.status_code == 201 and response.json()["status"] in ("offered", "rejected"), response.text
            booking_s.append(elapsed)
            i += 1
            time.sleep(0.25)  # a busy desk, not a load test: the other day must not fill up
            assert time.monotonic() < deadline + 3 * SEARCH_S, "the re-optimisation never finished"
        done = client.get(poll, headers=DISP).json()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    result = done["results"]["all"]
    assert done["status"] == "done" and result["status"] in ("published", "unchanged"), done
    assert result["solver_seconds"] >= SEARCH_S / 2  # the search really ran while we were measuring
    assert result["writer"].startswith("worker:")
    assert len(booking_s) >= 3, booking_s  # several phone bookings were taken during the search
    median = sorted(booking_s)[len(booking_s) // 2]
    print(f"\nduring a {result['solver_seconds']:.1f} s search: {len(booking_s)} phone bookings, median "
          f"{median:.3f} s, max {max(booking_s):.3f} s; /health max {max(health_s):.3f} s")
    assert max(health_s) < NOT_BLOCKED_S, health_s
    assert max(booking_s) < NOT_BLOCKED_S, booking_s


@pytest.mark.slow
def test_a_booking_sent_through_the_worker_is_applied_while_its_reoptimisation_searches(client, settings):
    """The worker's search runs in its child process: its loop keeps applying the streams meanwhile; the plan
    found is then published only if it still fits (a booking for the same day arrived: it does not)."""
    day = tomorrow()
    for i in range(14):
        _, response = _book(client, day, i, f"child-day-{i:03d}")
        assert response.status_code == 201, response.text
    worker = _start_worker(settings)
    try:
        asked = client.post("/dispatch/reoptimise", json={"day": day, "time_limit_s": SEARCH_S}, headers=DISP)
        poll = asked.json()["poll"]
        deadline = time.monotonic() + 60
        while client.get(poll, headers=DISP).json()["status"] == "queued":
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            assert time.monotonic() < deadline, "the worker never started the re-optimisation"
            time.sleep(0.05)
        searching_since = time.monotonic()
        body = {"pickup": {"place": "st:Joshu-Tomioka"}, "dropoff": {"place": "tomioka_general_hospital"},
                "time": at(day, "15:40")}
        sent = client.post("/bookings", params={"mode": "async"}, json=body,
                           headers={**OP, "Idempotency-Key": "child-async-001"})
        assert sent.status_code == 202 and sent.json()["status"] == "requested", sent.text
        booking_id = sent.json()["id"]
        while client.get(f"/bookings/{booking_id}", headers=OP).json()["status"] == "requested":
            assert time.monotonic() - searching_since < 3 * SEARCH_S, "the booking was never applied"
            time.sleep(0.05)
        applied_s = time.monotonic() - searching_since
        # applied before the search ended (a worker searching in its own loop applies it only after the result)
        assert client.get(poll, headers=DISP).json()["status"] == "running", applied_s
        while (done := client.get(poll, headers=DISP).json())["status"] != "done":
            assert time.monotonic() - searching_since < 3 * SEARCH_S, "the re-optimisation never finished"
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    result = done["results"]["all"]
    print(f"\nasync booking applied {applied_s:.2f} s into a {result['seconds']:.1f} s re-optimisation: "
          f"{result['status']} ({result['reason']})")
    assert result["solver_seconds"] >= SEARCH_S / 2
    assert result["status"] in ("discarded", "unchanged"), result  # the plans moved on: the found plan no longer fits
    if result["status"] == "discarded":
        assert "planned while the solver ran" in result["reason"]
    record = client.get(f"/bookings/{booking_id}", headers=OP).json()
    assert record["status"] in ("offered", "rejected")  # the booking the worker applied is still there

"""The worker books standing bookings (定期予約) on its own: no page open, no materialise call.

Real Redis (db 5, emptied before and after), the regional network, the default fleet. A series is stored
as the API stores it (without the API's materialisation); the worker's schedule books its dates inside the
5-day horizon, one worker per slot, and two passes at once still book each occurrence once.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import Keys
from api.routers.standing import StandingIn
from api.settings import Settings, SettingsError
from api.standing_schedule import StandingSchedule, materialise_due, schedule_from_env
from api.store import new_id
from api.timefmt import now_jst
from api.worker import Worker
from api.world import World
from tests.redis_db import fresh_db, redis_url

from .conftest import key_header

REDIS_URL = redis_url(5)
OP = key_header("operator")
INTERVAL_S = 600.0


@pytest.fixture
def db5_settings(settings: Settings) -> Settings:
    return settings.with_(redis_url=REDIS_URL)


@pytest.fixture
def db5(db5_settings: Settings) -> Iterator[redis.Redis]:
    with fresh_db(REDIS_URL) as client:
        yield client


@pytest.fixture
def api(db5_settings: Settings, world: World, db5: redis.Redis) -> Iterator[TestClient]:
    with TestClient(create_app(db5_settings, world)) as client:
        yield client


def _stored_series(client: TestClient, db: redis.Redis, settings: Settings, phone: str,
                   rider_id: str | None = None) -> str:
    """A daily series from tomorrow, stored as ``POST /standing-bookings`` stores it, but not materialised."""
    if rider_id is None:
        rider_id = client.post("/riders", json={"name": "甘楽 透析", "phone": phone}, headers=OP).json()["id"]
    body = StandingIn(rider_id=rider_id, weekdays=[0, 1, 2, 3, 4, 5, 6],
                      start_date=(now_jst().date() + timedelta(days=1)).isoformat(),
                      pickup={"place": "oz:富岡市/七日市"}, dropoff={"place": "tomioka_general_hospital"},
                      time="08:30", return_time="12:30")
    series = {"id": new_id("sb"), **body.model_dump(mode="json"), "status": "active", "skipped": [],
              "occurrences": {}, "created_at": time.time(), "by": "test"}
    prefix = Keys(settings.key_prefix).prefix
    db.set(f"{prefix}:standing:{series['id']}", json.dumps(series, ensure_ascii=False))
    db.sadd(f"{prefix}:standing", series["id"])
    return series["id"]


def _due_dates(world: World) -> set[str]:
    """Dates from tomorrow whose 08:30 is beyond the minimum notice and whose return at 12:30 lies within
    the horizon (an occurrence is booked whole)."""
    now, out = now_jst(), set()
    for offset in range(1, world.rules.horizon_s // 86_400 + 1):
        day: date = now.date() + timedelta(days=offset)
        there = now.replace(year=day.year, month=day.month, day=day.day, hour=8, minute=30, second=0, microsecond=0)
        back = there.replace(hour=12)
        if (world.rules.min_notice_s <= (there - now).total_seconds()
                and (back - now).total_seconds() <= world.rules.horizon_s):
            out.add(day.isoformat())
    return out


def _series(client: TestClient, series_id: str) -> dict:
    response = client.get(f"/standing-bookings/{series_id}", headers=OP)
    assert response.status_code == 200, response.text
    return response.json()


def _standing_bookings(client: TestClient, rider_id: str, series_id: str) -> list[dict]:
    listed = client.get("/bookings", params={"rider_id": rider_id}, headers=OP).json()
    return [b for b in listed if b.get("standing_id") == series_id]


def test_worker_books_a_series_inside_the_horizon_without_any_page(
    api: TestClient, db5: redis.Redis, db5_settings: Settings, world: World
) -> None:
    series_id = _stored_series(api, db5, db5_settings, "0274-62-8001")
    due = _due_dates(world)
    assert len(due) >= 4
    clock = [1_000_000 * INTERVAL_S]
    worker = Worker(db5_settings, world, client=redis.Redis.from_url(REDIS_URL, decode_responses=True))
    worker.standing = StandingSchedule(worker.redis, db5_settings, world, INTERVAL_S, name="w1",
                                       clock=lambda: clock[0])
    worker.run_once()  # the first pass runs at once

    series = _series(api, series_id)
    booked = {d["date"]: d for d in series["dates"] if d["state"] == "booked"}
    assert set(booked) == due, series["dates"]
    rider_id = series["rider_id"]
    bookings = _standing_bookings(api, rider_id, series_id)
    assert len(bookings) == 2 * len(due)  # both legs of each date
    assert {b["status"] for b in bookings} <= {"confirmed", "assigned"}
    assert {b["service_day"] for b in bookings} == due

    # a second worker in the same slot leaves the pass to the first; the next slot books nothing new
    other = StandingSchedule(redis.Redis.from_url(REDIS_URL, decode_responses=True), db5_settings, world,
                             INTERVAL_S, name="w2", clock=lambda: clock[0])
    assert other.tick() is None
    assert worker.standing.tick() is None  # not due again before the interval
    clock[0] += INTERVAL_S
    again = worker.standing.tick()
    assert again == {"series": 1, "placed": 0, "failed": 0}
    assert len(_standing_bookings(api, rider_id, series_id)) == 2 * len(due)


def test_two_passes_at_once_book_each_occurrence_once(
    api: TestClient, db5: redis.Redis, db5_settings: Settings, world: World
) -> None:
    series_id = _stored_series(api, db5, db5_settings, "0274-62-8002")
    due = _due_dates(world)
    results: list[dict] = []

    def one_pass() -> None:
        results.append(asyncio.run(materialise_due(db5_settings, world)))

    passes = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in passes:
        thread.start()
    for thread in passes:
        thread.join(timeout=120)
    assert len(results) == 2 and sum(r["placed"] for r in results) == len(due), results
    series = _series(api, series_id)
    assert {d["date"] for d in series["dates"] if d["state"] == "booked"} == due
    assert len(_standing_bookings(api, series["rider_id"], series_id)) == 2 * len(due)


def test_a_failing_series_does_not_stop_the_others(
    api: TestClient, db5: redis.Redis, db5_settings: Settings, world: World
) -> None:
    _stored_series(api, db5, db5_settings, "", rider_id="rd-gone")  # its rider no longer exists
    good = _stored_series(api, db5, db5_settings, "0274-62-8003")
    result = StandingSchedule(db5, db5_settings, world, INTERVAL_S).tick()
    assert result == {"series": 2, "placed": len(_due_dates(world)), "failed": 1}
    assert {d["date"] for d in _series(api, good)["dates"] if d["state"] == "booked"} == _due_dates(world)


@pytest.mark.parametrize(("raw", "expect"), [("", INTERVAL_S), ("60", 60.0), ("0", None)])
def test_interval_setting(db5_settings: Settings, world: World, raw: str, expect: float | None) -> None:
    schedule = schedule_from_env(redis.Redis.from_url(REDIS_URL), db5_settings, world,
                                 env={"KANRA_STANDING_INTERVAL_S": raw})
    assert (schedule.interval_s if schedule else None) == expect


@pytest.mark.parametrize("raw", ["ten", "-5"])
def test_bad_interval_is_refused(db5_settings: Settings, world: World, raw: str) -> None:
    with pytest.raises(SettingsError, match="KANRA_STANDING_INTERVAL_S"):
        schedule_from_env(redis.Redis.from_url(REDIS_URL), db5_settings, world, env={"KANRA_STANDING_INTERVAL_S": raw})

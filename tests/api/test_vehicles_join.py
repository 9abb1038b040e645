"""A vehicle registered while a day's plan exists joins that day, through the area's writer.

Real Redis on 127.0.0.1:6379, db 9 (emptied before and after), the regional network, a one-vehicle fleet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import Keys
from api.settings import Settings
from api.world import World
from api.writer import AreaWriter
from tests.redis_db import fresh_db, redis_url

from .conftest import at, key_header, tomorrow

REDIS_URL = redis_url(9)
OP, ADMIN = key_header("operator"), key_header("admin")
ONE_SEAT = {"id": "tomioka-1", "municipality": "10210", "seats": 1, "wheelchair_places": 0,
            "depot": "tomioka_city_hall", "label": "富岡 1号"}
NEW = {"id": "tomioka-9", "municipality": "10210", "seats": 4, "wheelchair_places": 0,
       "depot": "tomioka_city_hall", "label": "富岡 9号"}


@pytest.fixture(scope="module")
def join_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    fleet = tmp_path_factory.mktemp("fleet") / "fleet.json"
    fleet.write_text(json.dumps({"vehicles": [ONE_SEAT]}), encoding="utf-8")
    return settings.with_(redis_url=REDIS_URL, fleet_file=fleet)


@pytest.fixture
def db9(redis_client: redis.Redis) -> Iterator[redis.Redis]:
    with fresh_db(REDIS_URL) as client:
        yield client


@pytest.fixture
def app_client(join_settings: Settings, world: World, db9: redis.Redis) -> Iterator[TestClient]:
    with TestClient(create_app(join_settings, world)) as client:
        yield client


def _book(client: TestClient, key: str) -> dict:
    body = {"pickup": {"place": "tomioka_general_hospital"}, "dropoff": {"place": "shimonita_town_office"},
            "time": at(tomorrow(), "10:00")}
    response = client.post("/bookings?mode=sync", json=body, headers={**OP, "Idempotency-Key": key})
    assert response.status_code == 201, response.text
    return response.json()


def test_new_vehicle_joins_a_day_whose_plan_exists(app_client: TestClient, join_settings: Settings, world: World,
                                                   db9: redis.Redis) -> None:
    first = _book(app_client, "join-0001")
    assert first["status"] == "offered" and first["offer"]["vehicle_id"] == "tomioka-1", first
    full = _book(app_client, "join-0002")
    assert full["status"] == "rejected", full

    response = app_client.put("/vehicles/tomioka-9", json=NEW, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["joined"] == {tomorrow(): "applied"}

    taken = _book(app_client, "join-0003")
    assert taken["status"] == "offered", taken
    assert taken["offer"]["vehicle_id"] == "tomioka-9"
    # committed: a fresh writer restoring the day's snapshot has the vehicle, its booking and a valid plan
    engine = AreaWriter(db9, Keys(join_settings.key_prefix), join_settings, world).view("all", tomorrow())
    assert engine is not None
    assert [s.booking_id for s in engine.manifest("tomioka-9")] == [taken["id"]] * 2
    assert engine.dispatcher.check() == []
    assert any(json.loads(f["data"]).get("vehicle_id") == "tomioka-9"
               for _, f in db9.xrange(Keys(join_settings.key_prefix).events) if f["type"] == "vehicle_added")

    # a change to a registered vehicle is not a new one: no day gets it twice
    again = app_client.put("/vehicles/tomioka-9", json={**NEW, "label": "富岡 9号車"}, headers=ADMIN)
    assert again.status_code == 200 and again.json()["joined"] == {}

"""Stop-based service through HTTP: doors are booked at the nearest stop, or refused with the reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.world import World

from .conftest import at, key_header, tomorrow

OP = key_header("operator")
TOMIOKA = "10210"


@pytest.fixture(scope="module")
def stop_world(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> World:
    path = tmp_path_factory.mktemp("stops") / "stop_service.json"
    path.write_text(json.dumps({"feeds": ["tomioka"], "max_walk_m": 800, "municipalities": [TOMIOKA]}))
    return World.from_settings(settings.with_(stop_service_file=path))


@pytest.fixture
def stop_client(settings: Settings, stop_world: World, clean_redis) -> Iterator[TestClient]:
    with TestClient(create_app(settings, stop_world)) as client:
        yield client


def _book(client: TestClient, pickup: dict, dropoff: dict, key: str):
    body = {"pickup": pickup, "dropoff": dropoff, "time": at(tomorrow(), "10:00")}
    return client.post("/bookings?mode=sync", json=body, headers={**OP, "Idempotency-Key": key})


def test_a_door_in_tomioka_is_booked_at_the_nearest_pole(stop_client: TestClient, stop_world: World) -> None:
    hall = stop_world.network.place("tomioka_city_hall")
    answer = _book(stop_client, {"lat": hall.lat, "lon": hall.lon, "label": "自宅"},
                   {"place": "tomioka_general_hospital"}, "stops-0001")
    assert answer.status_code == 201, answer.text
    booking = answer.json()
    pickup, dropoff = booking["pickup"], booking["dropoff"]
    nearest, walk = stop_world.network.nearest_stops(hall.lat, hall.lon, 800, feeds=["tomioka"])[0]
    assert pickup["place"] == nearest.key and pickup["node"] == nearest.node
    assert pickup["walk_m"] == pytest.approx(walk, abs=0.1)
    assert dropoff["place"].startswith("stop:tomioka/") and dropoff["walk_m"] > 0
    assert booking["status"] == "offered"


def test_a_door_out_of_reach_is_refused_naming_the_field(stop_client: TestClient, stop_world: World) -> None:
    far = stop_world.network.place("oz:富岡市/岩染")
    answer = _book(stop_client, {"lat": far.lat, "lon": far.lon}, {"place": "tomioka_general_hospital"}, "stops-0002")
    assert answer.status_code == 422
    text = answer.text
    assert "body.pickup" in text and "no_stop_within_walk" in text and "800 m" in text


def test_other_towns_stay_door_to_door(stop_client: TestClient, stop_world: World) -> None:
    office = stop_world.network.place("nanmoku_village_office")
    answer = _book(stop_client, {"lat": office.lat + 0.001, "lon": office.lon}, {"place": "st:Shimonita"},
                   "stops-0003")
    assert answer.status_code == 201, answer.text
    assert answer.json()["pickup"]["place"] is None and answer.json()["pickup"]["walk_m"] == 0.0


def test_door_to_door_is_the_default(client: TestClient, world: World) -> None:
    assert world.stops is None
    hall = world.network.place("tomioka_city_hall")
    answer = _book(client, {"lat": hall.lat, "lon": hall.lon}, {"place": "tomioka_general_hospital"}, "stops-0004")
    assert answer.status_code == 201 and answer.json()["pickup"]["place"] is None


def test_stop_service_setting_is_read_and_checked(settings: Settings, tmp_path: Path) -> None:
    env = {"KANRA_STOP_SERVICE": str(tmp_path / "s.json")}
    assert Settings.from_env(env).stop_service_file == tmp_path / "s.json"
    (tmp_path / "s.json").write_text(json.dumps({"max_walk": 5}))
    with pytest.raises(ValueError, match="KANRA_STOP_SERVICE.*unknown stop-service key"):
        World.from_settings(settings.with_(stop_service_file=tmp_path / "s.json"))

"""An open return (帰りは電話で) over HTTP uses the reserve: with the only vehicle busy, an ordinary request for
the same trip is refused while the rider's call for the return is placed, with a later pickup read out.

Real Redis (db 4, emptied before and after), the regional network, a one-seat, one-vehicle fleet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.world import World
from tests.redis_db import fresh_db, redis_url

from .conftest import at, key_header, tomorrow

REDIS_URL = redis_url(4)
OP = key_header("operator")
ONE_SEAT = {"id": "tomioka-1", "municipality": "10210", "seats": 1, "wheelchair_places": 0,
            "depot": "tomioka_city_hall", "label": "富岡 1号"}
HOME, HOSPITAL = {"place": "oz:富岡市/七日市"}, {"place": "tomioka_general_hospital"}


@pytest.fixture
def one_seat_client(settings: Settings, world: World, tmp_path: Path) -> Iterator[TestClient]:
    fleet = tmp_path / "fleet.json"
    fleet.write_text(json.dumps({"vehicles": [ONE_SEAT]}), encoding="utf-8")
    app = create_app(settings.with_(redis_url=REDIS_URL, fleet_file=fleet), world)
    with fresh_db(REDIS_URL), TestClient(app) as client:
        yield client


def _rider(client: TestClient, phone: str) -> dict:
    return client.post("/riders", json={"name": "富岡 はな", "phone": phone}, headers=OP).json()


def _book(client: TestClient, rider: dict, when: str, key: str) -> dict:
    body = {"rider_id": rider["id"], "pickup": HOSPITAL, "dropoff": HOME, "time": when}
    response = client.post("/bookings?mode=sync", json=body, headers={**OP, "Idempotency-Key": key})
    assert response.status_code == 201, response.text
    return response.json()


def test_call_for_return_is_placed_where_an_ordinary_request_is_refused(one_seat_client: TestClient) -> None:
    client, day = one_seat_client, tomorrow()
    rider = _rider(client, "0274-62-7001")
    trip = client.post("/round-trips", json={"rider_id": rider["id"], "pickup": HOME, "dropoff": HOSPITAL,
                                             "time": at(day, "09:00"), "open_return": True},
                       headers={**OP, "Idempotency-Key": "prio-trip-1"}).json()
    assert client.post(f"/round-trips/{trip['id']}/confirm", headers=OP).status_code == 200
    # another rider takes the one seat at 11:40 on the same road home
    blocker = _book(client, _rider(client, "0274-62-7002"), at(day, "11:40"), "prio-block-1")
    assert blocker["status"] == "offered", blocker
    assert client.post(f"/bookings/{blocker['id']}/confirm", headers=OP).status_code == 200
    promised = client.get(f"/bookings/{blocker['id']}", headers=OP).json()["offer"]["pickup_window"]

    ordinary = _book(client, _rider(client, "0274-62-7003"), at(day, "11:40"), "prio-new-1")
    assert ordinary["status"] == "rejected" and ordinary["rejection"]["reason"] == "no_vehicle_available", ordinary

    call = client.post(f"/round-trips/{trip['id']}/return", json={"time": at(day, "11:40")},
                       headers={**OP, "Idempotency-Key": "prio-ret-1"})
    assert call.status_code == 201, call.text
    back = call.json()
    assert back["state"] == "offered" and back["priority"] == "open_return", back
    window = back["offer"]["pickup_window"]
    start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
    asked = datetime.fromisoformat(back["time"])
    assert (end - start).total_seconds() == 15 * 60  # the usual promise width
    assert (end - asked).total_seconds() > 15 * 60  # beyond the usual wait: the reserve was used
    assert back["wait_min"] >= round((start - asked).total_seconds() / 60)
    assert client.get(f"/bookings/{blocker['id']}", headers=OP).json()["offer"]["pickup_window"] == promised

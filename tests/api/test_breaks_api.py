"""Driver breaks through the API: a fleet file's vehicle with a lunch break gets plans that keep it, the
manifest and plan show it, a driver reports it, and bad breaks are 422 with the field.

Real Redis (``KANRA_TEST_REDIS``), db 12 (emptied before and after), the regional network, a one-vehicle fleet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.world import World
from tests.redis_db import fresh_db, redis_url

from .conftest import at, key_header, tomorrow

REDIS_URL = redis_url(12)
OP, DISP, DRV, ADMIN = (key_header(r) for r in ("operator", "dispatcher", "driver", "admin"))
LUNCH = {"earliest": "12:00", "latest": "12:00", "minutes": 60, "place": "depot"}
FLEET = [{"id": "tomioka-1", "municipality": "10210", "seats": 4, "wheelchair_places": 0,
          "depot": "tomioka_city_hall", "label": "富岡 1号", "breaks": [LUNCH]}]


@pytest.fixture(scope="module")
def break_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    fleet = tmp_path_factory.mktemp("fleet") / "fleet.json"
    fleet.write_text(json.dumps({"vehicles": FLEET}), encoding="utf-8")
    return settings.with_(redis_url=REDIS_URL, fleet_file=fleet)


@pytest.fixture
def app_client(break_settings: Settings, world: World) -> Iterator[TestClient]:
    with fresh_db(REDIS_URL), TestClient(create_app(break_settings, world)) as client:
        yield client


def _book(client: TestClient, key: str, hhmm: str) -> dict:
    body = {"pickup": {"place": "tomioka_general_hospital"}, "dropoff": {"place": "st:Joshu-Tomioka"},
            "time": at(tomorrow(), hhmm)}
    response = client.post("/bookings?mode=sync", json=body, headers={**OP, "Idempotency-Key": key})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_vehicle_with_a_lunch_break_keeps_it(app_client: TestClient) -> None:
    day = tomorrow()
    before = _book(app_client, "brk-0002", "11:00")  # the day's plan begins with the first booking
    manifest = app_client.get("/vehicles/tomioka-1/manifest", params={"day": day}, headers=DISP).json()
    breaks = [s for s in manifest["stops"] if s["kind"] == "break"]
    assert len(breaks) == 1 and breaks[0]["break_id"] == "break:tomioka-1:1" and not breaks[0]["anywhere"]
    assert breaks[0]["arrival"] == at(day, "12:00") and breaks[0]["duration_s"] == 3600
    # a ride wanted at 12:10 cannot be carried over the lunch hour; before and after it can
    during = _book(app_client, "brk-0001", "12:10")
    assert during["status"] == "rejected", during
    after = _book(app_client, "brk-0003", "13:20")
    assert before["status"] == after["status"] == "offered"
    plans = app_client.get("/dispatch/plans", params={"day": day}, headers=DISP).json()["plans"]
    stops = plans[0]["stops"]
    kinds = [(s["kind"], s["booking_id"]) for s in stops]
    lunch = kinds.index(("break", "break:tomioka-1:1"))
    assert kinds.index(("dropoff", before["id"])) < lunch < kinds.index(("pickup", after["id"]))
    assert stops[lunch]["arrival"] == at(day, "12:00") and stops[lunch]["departure"] == at(day, "13:00")


def test_bad_breaks_are_refused_with_the_field(app_client: TestClient) -> None:
    base = {"id": "tomioka-8", "municipality": "10210", "depot": "tomioka_city_hall"}
    cases = [
        {"breaks": [{"earliest": "07:00", "minutes": 30}]},  # before the 08:00 shift start
        {"breaks": [{"earliest": "16:50", "minutes": 30}]},  # ends after 17:00
        {"breaks": [{"earliest": "12:00", "minutes": 0}]},
        {"breaks": [{"earliest": "12:30", "latest": "12:00", "minutes": 30}]},
        {"breaks": [{"earliest": "12:00", "minutes": 60}, {"earliest": "12:30", "minutes": 10}]},
    ]
    for extra in cases:
        response = app_client.put("/vehicles/tomioka-8", json={**base, **extra}, headers=ADMIN)
        assert response.status_code == 422, (extra, response.text)
        assert response.json()["detail"][0]["field"].startswith("body")
    unknown = app_client.put("/vehicles/tomioka-8", json={**base, "breaks": [
        {"earliest": "12:00", "minutes": 30, "place": "no_such_place"}]}, headers=ADMIN)
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "body.breaks.0.place"
    good = app_client.put("/vehicles/tomioka-8", json={**base, "breaks": [
        {"earliest": "10:00", "latest": "11:00", "minutes": 15, "place": "anywhere"}]}, headers=ADMIN)
    assert good.status_code == 200, good.text
    assert good.json()["breaks"][0]["place"] == "anywhere"


def test_a_driver_reports_the_break(app_client: TestClient) -> None:
    day = tomorrow()
    _book(app_client, "brk-0101", "09:00")
    url = "/vehicles/tomioka-1/events"
    wrong = app_client.post(url, json={"type": "break_start", "break_id": "break:tomioka-1:7", "at": at(day, "12:00")},
                            headers=DRV)
    assert wrong.status_code == 409 and "no break" in wrong.json()["detail"][0]["reason"]
    missing = app_client.post(url, json={"type": "break_start", "at": at(day, "12:00")}, headers=DRV)
    assert missing.status_code == 422
    for event in ({"type": "break_start", "break_id": "break:tomioka-1:1", "at": at(day, "12:02")},
                  {"type": "break_end", "break_id": "break:tomioka-1:1", "at": at(day, "13:02")}):
        response = app_client.post(url, json=event, headers=DRV)
        assert response.status_code == 200, (event, response.text)
    manifest = app_client.get("/vehicles/tomioka-1/manifest", params={"day": day}, headers=DRV).json()
    assert not [s for s in manifest["stops"] if s["kind"] == "break"]

"""Rail disruptions through the API: a dispatcher reports a late train, a feeder misses its train.

Real Redis on 127.0.0.1:6379, db 10 (emptied before and after), the wide-area operating model, the
regional network. Each change goes through the area's writer (command stream, fenced commit).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import Keys
from api.settings import Settings
from api.timefmt import to_iso
from api.worker import Worker
from api.world import World
from api.writer import AreaWriter
from tests.redis_db import fresh_db, redis_url

from .conftest import at, key_header, tomorrow

REDIS_URL = redis_url(10)
MODEL = Path(__file__).resolve().parents[2] / "api" / "operating_model_wide_area.json"
OP, DISP = key_header("operator"), key_header("dispatcher")
# Ohinata (Nanmoku) to Iwasome (Tomioka), arrive by 10:00: Nanmoku van -> Shimonita -> train -> Tomioka van
PICKUP, DROPOFF = "oz:南牧村/大日向", "oz:富岡市/岩染"


@pytest.fixture(scope="module")
def rail_settings(settings: Settings) -> Settings:
    return settings.with_(redis_url=REDIS_URL, operating_model_file=MODEL)


@pytest.fixture(scope="module")
def rail_world(rail_settings: Settings) -> World:
    return World.from_settings(rail_settings)


@pytest.fixture
def db10(redis_client: redis.Redis) -> Iterator[redis.Redis]:
    with fresh_db(REDIS_URL) as client:
        yield client


@pytest.fixture
def rail(rail_settings: Settings, rail_world: World, db10: redis.Redis) -> Iterator[TestClient]:
    with TestClient(create_app(rail_settings, rail_world)) as client:
        yield client


def _engine(db: redis.Redis, settings: Settings, world: World):
    """The committed engine of tomorrow as a fresh writer loads it from Redis."""
    return AreaWriter(db, Keys(settings.key_prefix), settings, world).view("all", tomorrow())


def _chain_trip(client: TestClient, key: str) -> dict:
    body = {"pickup": {"place": PICKUP}, "dropoff": {"place": DROPOFF}, "time": at(tomorrow(), "10:00"),
            "time_kind": "arrive_by"}
    trip = client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": key}).json()
    assert trip["status"] == "offered", trip
    assert [leg["mode"] for leg in trip["offer"]["legs"]] == ["drt", "rail", "drt"], trip["offer"]["legs"]
    confirmed = client.post(f"/bookings/{trip['id']}/confirm", headers=OP)
    assert confirmed.status_code == 200, confirmed.text
    return trip


def _events(db: redis.Redis, settings: Settings, kind: str) -> list[dict]:
    entries = db.xrange(Keys(settings.key_prefix).events)
    return [json.loads(fields["data"]) for _, fields in entries if fields["type"] == kind]


def _iso_plus(iso: str, seconds: int) -> str:
    return (datetime.fromisoformat(iso) + timedelta(seconds=seconds)).isoformat()


def test_dispatcher_reports_a_late_train_and_the_onward_leg_follows_it(rail, db10, rail_settings, rail_world):
    trip = _chain_trip(rail, "rail-delay-0001")
    feeder, train, onward = trip["offer"]["legs"]
    offered_at = json.loads(db10.get(Keys(rail_settings.key_prefix).booking(trip["id"])))["offer"]["offered_at"]
    day = tomorrow()
    listed = rail.get("/rail/trains", params={"day": day, "station": "st:Shimonita"}, headers=OP).json()
    mine = next(t for t in listed["trains"] if t["train_id"] == train["train_id"])
    assert mine["delay_min"] == 0
    departures = [next(c["departure"] for c in t["calls"] if c["station"] == "st:Shimonita")
                  for t in listed["trains"]]
    assert departures == sorted(departures) and len(departures) >= 20

    response = rail.post("/rail/delays", json={"train_id": train["train_id"], "delay_min": 10, "day": day},
                         headers=DISP)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["replanned"] == [onward["booking_id"]] and out["trips"] == [trip["id"]] and out["at_risk"] == []

    # the booking is kept, and its record shows the train 10 min later and the taxi waiting for it
    record = rail.get(f"/bookings/{trip['id']}", headers=OP).json()
    assert record["status"] == "confirmed"
    legs = record["offer"]["legs"]
    assert legs[1]["train_id"] == train["train_id"]
    assert legs[1]["arrive"] == _iso_plus(train["arrive"], 600) and legs[1]["depart"] == _iso_plus(train["depart"], 600)
    assert legs[2]["booking_id"] == onward["booking_id"] and legs[2]["depart"] > legs[1]["arrive"]
    assert legs[0] == feeder  # the feeder to the station is untouched
    stored = json.loads(db10.get(Keys(rail_settings.key_prefix).booking(trip["id"])))
    assert stored["offer"]["offered_at"] == offered_at  # the re-plan does not restart the offer's hold

    engine = _engine(db10, rail_settings, rail_world)
    itinerary = engine.planner.itinerary(trip["id"])
    rail_leg = itinerary.legs[1]
    assert rail_leg.connection.delay_s == 600 and to_iso(day, rail_leg.arrive) == legs[1]["arrive"]
    leg = engine.dispatcher.booking(onward["booking_id"])
    access = engine.planner.model.station_access.access_at(itinerary.legs[2].origin.stop_id)
    assert leg.pickup_window[0] == rail_leg.arrive + access and leg.status.value == "confirmed"
    assert engine.dispatcher.check() == []  # every plan validates
    replanned = _events(db10, rail_settings, "replanned")
    assert [(e["booking_id"], e["cause"], e["legs"]) for e in replanned] == [
        (trip["id"], "train_delay", [onward["booking_id"]])]

    listed = rail.get("/rail/trains", params={"day": day}, headers=DISP).json()
    late = next(t for t in listed["trains"] if t["train_id"] == train["train_id"])
    assert late["delay_min"] == 10
    call = next(c for c in late["calls"] if c["station"] == "st:Shimonita")
    assert call["departure"] == to_iso(day, rail_leg.depart) and call["scheduled_departure"] == train["depart"]

    # the same report again moves nothing; a later all-clear brings the taxi back
    again = rail.post("/rail/delays", json={"train_id": train["train_id"], "delay_min": 10, "day": day},
                      headers=DISP).json()
    assert again["replanned"] == [] and again["trips"] == [trip["id"]]
    clear = rail.post("/rail/delays", json={"train_id": train["train_id"], "delay_min": 0, "day": day},
                      headers=DISP).json()
    assert clear["replanned"] == [onward["booking_id"]]
    assert rail.get(f"/bookings/{trip['id']}", headers=OP).json()["offer"]["legs"][1]["arrive"] == train["arrive"]


def test_feeder_set_down_after_the_train_left_moves_the_rider_to_the_next_train(rail, db10, rail_settings,
                                                                                rail_world):
    trip = _chain_trip(rail, "rail-missed-0001")
    feeder, train, onward = trip["offer"]["legs"]
    url = f"/vehicles/{feeder['vehicle_id']}/events"
    for event in ({"type": "shift_start", "at": at(tomorrow(), "08:00")},
                  {"type": "arrived", "booking_id": feeder["booking_id"], "at": feeder["depart"]},
                  {"type": "boarded", "booking_id": feeder["booking_id"], "at": feeder["depart"]}):
        response = rail.post(url, json=event, headers=DISP)
        assert response.status_code == 200, (event, response.text)
    late = _iso_plus(train["depart"], -30)  # the rider cannot reach the platform in 30 s
    dropped = rail.post(url, json={"type": "dropped", "booking_id": feeder["booking_id"], "at": late}, headers=DISP)
    assert dropped.status_code == 200, dropped.text

    record = rail.get(f"/bookings/{trip['id']}", headers=OP).json()
    legs = record["offer"]["legs"]
    assert legs[1]["train_id"] != train["train_id"] and legs[1]["depart"] > train["depart"]
    assert legs[2]["booking_id"] == onward["booking_id"] and legs[2]["depart"] > legs[1]["arrive"]
    assert record["status"] == "onboard"  # taxi leg done, on the way by train: the trip is kept
    engine = _engine(db10, rail_settings, rail_world)
    itinerary = engine.planner.itinerary(trip["id"])
    assert itinerary.legs[1].train_id == legs[1]["train_id"] and itinerary.at_risk == []
    leg = engine.dispatcher.booking(onward["booking_id"])
    assert leg.pickup_window[0] >= itinerary.legs[1].arrive and leg.status.value == "confirmed"
    assert engine.dispatcher.check() == []
    replanned = _events(db10, rail_settings, "replanned")
    assert [(e["booking_id"], e["cause"], e["legs"]) for e in replanned] == [
        (trip["id"], "drop_off", [onward["booking_id"]])]


def test_feeder_in_time_changes_nothing(rail, db10, rail_settings):
    trip = _chain_trip(rail, "rail-intime-0001")
    feeder, train, _ = trip["offer"]["legs"]
    url = f"/vehicles/{feeder['vehicle_id']}/events"
    for event in ({"type": "shift_start", "at": at(tomorrow(), "08:00")},
                  {"type": "arrived", "booking_id": feeder["booking_id"], "at": feeder["depart"]},
                  {"type": "boarded", "booking_id": feeder["booking_id"], "at": feeder["depart"]},
                  {"type": "dropped", "booking_id": feeder["booking_id"], "at": feeder["arrive"]}):
        assert rail.post(url, json=event, headers=DISP).status_code == 200
    record = rail.get(f"/bookings/{trip['id']}", headers=OP).json()
    assert record["offer"]["legs"][1]["train_id"] == train["train_id"]
    assert _events(db10, rail_settings, "replanned") == []


def test_delay_reported_while_the_writer_is_busy_is_applied_by_the_worker(rail, db10, rail_settings, rail_world):
    trip = _chain_trip(rail, "rail-busy-0001")
    _, train, onward = trip["offer"]["legs"]
    hurried = rail_settings.with_(lock_wait_s=0.2)
    busy = AreaWriter(db10, Keys(rail_settings.key_prefix), rail_settings, rail_world, name="worker:busy")
    token = busy.lease("all").acquire(1.0)  # another writer is committing
    assert token is not None
    with TestClient(create_app(hurried, rail_world)) as client:
        response = client.post("/rail/delays", json={"train_id": train["train_id"], "delay_min": 10,
                                                     "day": tomorrow()}, headers=DISP)
    assert response.status_code == 202, response.text
    entry = response.json()["entries"]["all"]
    busy.lease("all").release(token)
    worker = Worker(rail_settings, rail_world, client=db10, name="test-worker")
    assert worker.run_once() == 1 and worker.run_once() == 0  # applied once
    result = json.loads(db10.get(Keys(rail_settings.key_prefix).result("all", entry)))
    assert result["ok"] and result["data"]["replanned"] == [onward["booking_id"]]
    delays = _events(db10, rail_settings, "train_delay")
    assert [(e["train_id"], e["delay_s"], e["replanned"]) for e in delays] == [
        (train["train_id"], 600, [onward["booking_id"]])]
    legs = rail.get(f"/bookings/{trip['id']}", headers=OP).json()["offer"]["legs"]
    assert legs[1]["arrive"] == _iso_plus(train["arrive"], 600)


def test_who_may_report_and_what_is_refused(rail):
    day = tomorrow()
    body = {"train_id": "U10", "delay_min": 5, "day": day}
    for role in ("operator", "driver", "planner"):
        assert rail.post("/rail/delays", json=body, headers=key_header(role)).status_code == 403
    assert rail.post("/rail/delays", json=body).status_code == 401
    assert rail.get("/rail/trains", headers=key_header("driver")).status_code == 403
    assert rail.get("/rail/trains", params={"day": day}, headers=key_header("planner")).status_code == 200

    unknown = rail.post("/rail/delays", json={**body, "train_id": "X99"}, headers=DISP)
    assert unknown.status_code == 404 and "no train 'X99'" in unknown.json()["detail"][0]["reason"]
    yesterday = (date.fromisoformat(day) - timedelta(days=2)).isoformat()
    for bad, field in (({"delay_min": -5}, "delay_min"), ({"delay_min": "10"}, "delay_min"),
                       ({"delay_min": True}, "delay_min"), ({"delay_min": 10_000}, "delay_min"),
                       ({"day": "2026-02-30"}, "day"), ({"day": yesterday}, "day"), ({"minutes": 3}, "minutes"),
                       ({"train_id": "U10; DROP"}, "train_id")):
        response = rail.post("/rail/delays", json={**body, **bad}, headers=DISP)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["detail"][0]["field"].endswith(field), (bad, response.text)
    station = rail.get("/rail/trains", params={"day": day, "station": "st:Nowhere"}, headers=DISP)
    assert station.status_code == 422 and "st:Shimonita" in station.json()["detail"][0]["reason"]
    no_service = rail.get("/rail/trains", params={"day": "2031-01-01"}, headers=DISP)
    assert no_service.status_code == 404


def test_without_rail_feeding_a_delay_is_refused(settings, world, db10):
    plain = settings.with_(redis_url=REDIS_URL)
    with TestClient(create_app(plain, world)) as client:
        response = client.post("/rail/delays", json={"train_id": "U10", "delay_min": 5}, headers=DISP)
        assert response.status_code == 409 and "rail feeding" in response.json()["detail"][0]["reason"]
        assert client.get("/rail/trains", headers=DISP).status_code == 200  # the timetable is still listed

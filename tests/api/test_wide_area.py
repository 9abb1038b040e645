"""Wide-area trips through the API (KANRA_OPERATING_MODEL): feeder taxi -> Joshin train, leg by leg."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import Keys
from api.world import World
from api.writer import AreaWriter

from .conftest import at, key_header, tomorrow

OP, DISP = key_header("operator"), key_header("dispatcher")
MODEL = Path(__file__).resolve().parents[2] / "api" / "operating_model_wide_area.json"


@pytest.fixture
def wide(settings, clean_redis):
    wide_settings = settings.with_(operating_model_file=MODEL)
    world = World.from_settings(wide_settings)
    with TestClient(create_app(wide_settings, world)) as client:
        yield client, wide_settings, world


def _book(client, key, pickup, dropoff, hhmm="09:00"):
    body = {"pickup": {"place": pickup}, "dropoff": {"place": dropoff}, "time": at(tomorrow(), hhmm)}
    response = client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": key})
    assert response.status_code == 201, response.text
    return response.json()


def test_nanmoku_to_takasaki_is_a_feeder_and_a_train(wide, clean_redis):
    client, settings, world = wide
    rider = client.post("/riders", json={"name": "南牧 一郎", "phone": "0274-87-0001"}, headers=OP).json()
    body = {"rider_id": rider["id"], "pickup": {"place": "oz:南牧村/大日向"}, "dropoff": {"place": "st:Takasaki"},
            "time": at(tomorrow(), "09:00")}
    trip = client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": "wide-trip-0001"}).json()
    assert trip["status"] == "offered", trip
    legs = trip["offer"]["legs"]
    assert [leg["mode"] for leg in legs] == ["drt", "rail"]
    assert legs[0]["vehicle_id"] == "nanmoku-1" and legs[1]["train_id"]
    assert legs[0]["arrive"] <= legs[1]["depart"]  # the feeder reaches the station before the train leaves
    assert trip["offer"]["fare_yen"] == sum(leg["fare_yen"] for leg in legs) > 0

    confirmed = client.post(f"/bookings/{trip['id']}/confirm", headers=OP).json()
    assert confirmed["status"] == "confirmed" and confirmed["vehicle_id"] == "nanmoku-1"
    manifest = client.get("/vehicles/nanmoku-1/manifest", params={"day": tomorrow()}, headers=DISP).json()
    mine = [s for s in manifest["stops"] if s["booking_id"].startswith(trip["id"] + "/")]
    assert [s["kind"] for s in mine] == ["pickup", "dropoff"] and mine[0]["rider_name"] == "南牧 一郎"

    # the planner's state is in Redis with the dispatcher's: a fresh writer rebuilds the itinerary
    fresh = AreaWriter(clean_redis, Keys(settings.key_prefix), settings, world)
    engine = fresh.view("all", tomorrow())
    assert [leg.mode for leg in engine.planner.itinerary(trip["id"]).legs] == ["drt", "rail"]

    changed = client.patch(f"/bookings/{trip['id']}", json={"time": at(tomorrow(), "10:00")}, headers=OP)
    assert changed.status_code == 409 and "book anew" in changed.json()["detail"][0]["reason"]
    cancelled = client.post(f"/bookings/{trip['id']}/cancel", headers=OP)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    manifest = client.get("/vehicles/nanmoku-1/manifest", params={"day": tomorrow()}, headers=DISP).json()
    assert not any(s["booking_id"].startswith(trip["id"]) for s in manifest["stops"])


def test_riding_the_feeder_leg_completes_the_taxi_part(wide):
    client, _, _ = wide
    trip = _book(client, "wide-ride-0001", "oz:南牧村/大日向", "st:Takasaki")
    client.post(f"/bookings/{trip['id']}/confirm", headers=OP)
    leg = trip["offer"]["legs"][0]
    feeder = leg["booking_id"]
    day = tomorrow()
    url = "/vehicles/nanmoku-1/events"
    for event in ({"type": "shift_start", "at": at(day, "08:00")},
                  {"type": "arrived", "booking_id": feeder, "at": leg["depart"]},
                  {"type": "boarded", "booking_id": feeder, "at": leg["depart"]}):
        response = client.post(url, json=event, headers=DISP)
        assert response.status_code == 200, (event, response.text)
    assert client.get(f"/bookings/{trip['id']}", headers=OP).json()["status"] == "onboard"
    dropped = client.post(url, json={"type": "dropped", "booking_id": feeder, "at": leg["arrive"]}, headers=DISP)
    assert dropped.status_code == 200, dropped.text
    # set down at Shimonita station for the train: the taxi service's part of the trip is done
    assert client.get(f"/bookings/{trip['id']}", headers=OP).json()["status"] == "completed"


def test_local_trip_stays_one_leg_on_its_own_fleet(wide):
    client, _, _ = wide
    trip = _book(client, "wide-local-0001", "tomioka_city_hall", "kanra_town_office")
    assert [leg["mode"] for leg in trip["offer"]["legs"]] == ["drt"]
    assert trip["offer"]["vehicle_id"].startswith("tomioka-")


def test_a_no_show_ends_the_trip(wide):
    """A rider who does not come to a trip's first taxi leg: the trip is a no-show, not confirmed for ever
    (it kept its service day open, so the archiver never took the day)."""
    client, _, _ = wide
    trip = _book(client, "wide-noshow-0001", "tomioka_city_hall", "kanra_town_office", "10:00")
    client.post(f"/bookings/{trip['id']}/confirm", headers=OP)
    leg = trip["offer"]["legs"][0]
    vehicle, day = leg["vehicle_id"], tomorrow()
    window = trip["offer"]["pickup_window"]
    url = f"/vehicles/{vehicle}/events"
    for event in ({"type": "shift_start", "at": at(day, "08:00")},
                  {"type": "arrived", "booking_id": leg["booking_id"], "at": window["start"]},
                  {"type": "no_show", "booking_id": leg["booking_id"], "at": window["end"]}):
        response = client.post(url, json=event, headers=DISP)
        assert response.status_code == 200, (event, response.text)
    assert client.get(f"/bookings/{trip['id']}", headers=OP).json()["status"] == "no_show"

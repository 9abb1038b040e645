"""Driver events on the API: impossible ones are 409 and leave the booking alone; retried taps apply once."""

from __future__ import annotations

import json

from .conftest import at, key_header, tomorrow

OP, DISP, DRV = key_header("operator"), key_header("dispatcher"), key_header("driver")
URL = "/vehicles/tomioka-1/events"


def _on_tomioka_1(client, key: str) -> dict:
    body = {"pickup": {"place": "tomioka_city_hall"}, "dropoff": {"place": "st:Joshu-Tomioka"},
            "time": at(tomorrow(), "10:00")}
    offered = client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": key}).json()
    client.post(f"/bookings/{offered['id']}/confirm", headers=OP)
    moved = client.post("/dispatch/reassign", json={"booking_id": offered["id"], "vehicle_id": "tomioka-1"},
                        headers=DISP)
    assert moved.status_code == 200, moved.text
    return client.get(f"/bookings/{offered['id']}", headers=OP).json()


def test_impossible_stop_events_are_409_with_a_reason_and_never_reach_the_record(client, clean_redis, settings):
    booking = _on_tomioka_1(client, "drv-0001")
    bid, day = booking["id"], tomorrow()
    assert client.post(URL, json={"type": "shift_start", "at": at(day, "07:50")}, headers=DRV).status_code == 200
    stored = clean_redis.get(f"{settings.key_prefix}:booking:{bid}")
    early = client.post(URL, json={"type": "boarded", "booking_id": bid, "at": at(day, "07:00")}, headers=DRV)
    assert early.status_code == 409
    assert "before its window" in early.json()["detail"][0]["reason"]
    arrived = client.post(URL, json={"type": "arrived", "booking_id": bid, "at": at(day, "10:01")}, headers=DRV)
    boarded = client.post(URL, json={"type": "boarded", "booking_id": bid, "at": at(day, "10:02")}, headers=DRV)
    assert arrived.status_code == boarded.status_code == 200
    again = client.post(URL, json={"type": "arrived", "booking_id": bid, "stop": "pickup", "at": at(day, "10:03")},
                        headers=DRV)
    assert again.status_code == 409 and "cannot come after" in again.json()["detail"][0]["reason"]
    record = json.loads(clean_redis.get(f"{settings.key_prefix}:booking:{bid}"))
    assert record["status"] == "onboard" and record["error"] is None
    assert json.loads(stored)["error"] is None


def test_a_retried_tap_with_its_idempotency_key_is_applied_once(client, clean_redis, settings):
    booking = _on_tomioka_1(client, "drv-0002")
    bid, day = booking["id"], tomorrow()
    client.post(URL, json={"type": "shift_start", "at": at(day, "07:50")}, headers=DRV)
    tap = {"type": "arrived", "booking_id": bid, "at": at(day, "10:01")}
    first = client.post(URL, json=tap, headers={**DRV, "Idempotency-Key": "tap-arrived-0001"})
    retry = client.post(URL, json=tap, headers={**DRV, "Idempotency-Key": "tap-arrived-0001"})
    assert first.status_code == retry.status_code == 200
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json()["entry_id"] == first.json()["entry_id"]
    stream = f"{settings.key_prefix}:stream:vehicle-events:all"
    arrivals = [e for _, e in clean_redis.xrange(stream) if json.loads(e["cmd"])["op"] == "arrive"]
    assert len(arrivals) == 1
    other = client.post(URL, json={**tap, "type": "no_show"}, headers={**DRV, "Idempotency-Key": "tap-arrived-0001"})
    assert other.status_code == 409 and other.json()["detail"][0]["field"] == "header.Idempotency-Key"
    # a refused tap, retried, is refused again with the same reason and still applied (refused) once
    early = {"type": "boarded", "booking_id": bid, "at": at(day, "08:00")}
    one = client.post(URL, json=early, headers={**DRV, "Idempotency-Key": "tap-boarded-0001"})
    two = client.post(URL, json=early, headers={**DRV, "Idempotency-Key": "tap-boarded-0001"})
    assert one.status_code == two.status_code == 409
    assert one.json()["detail"] == two.json()["detail"]

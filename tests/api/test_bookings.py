"""Booking lifecycle through HTTP against the real Redis and the real Dispatcher."""

import time
from dataclasses import replace

from fastapi.testclient import TestClient

from api.app import create_app

from .conftest import at, key_header, tomorrow

OP = key_header("operator")


def _booking(day, hhmm="10:00", pickup="tomioka_general_hospital", dropoff="st:Joshu-Tomioka", **extra):
    return {"pickup": {"place": pickup}, "dropoff": {"place": dropoff}, "time": at(day, hhmm), **extra}


def _create(client, body, key, mode="sync"):
    return client.post(f"/bookings?mode={mode}", json=body, headers={**OP, "Idempotency-Key": key})


def test_offer_confirm_manifest_cancel(client):
    rider = client.post("/riders", json={"name": "甘楽 太郎", "phone": "0274-74-0001"}, headers=OP).json()
    day = tomorrow()
    created = _create(client, _booking(day, rider_id=rider["id"], notes="杖をお持ちです"), "lifecycle-0001")
    assert created.status_code == 201, created.text
    booking = created.json()
    assert booking["status"] == "offered"
    offer = booking["offer"]
    assert offer["pickup_window"]["start"].startswith(f"{day}T") and offer["pickup_window"]["start"].endswith("+09:00")
    assert offer["pickup_window"]["start"] >= at(day, "10:00") and offer["hold_until"]
    assert offer["expected_dropoff"] > offer["expected_pickup"]

    confirmed = client.post(f"/bookings/{booking['id']}/confirm", headers=OP)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] in ("confirmed", "assigned")
    vehicle = confirmed.json()["vehicle_id"] or confirmed.json()["offer"]["vehicle_id"]

    manifest = client.get(f"/vehicles/{vehicle}/manifest", params={"day": day}, headers=key_header("dispatcher"))
    stops = manifest.json()["stops"]
    assert [s["kind"] for s in stops if s["booking_id"] == booking["id"]] == ["pickup", "dropoff"]
    pickup = next(s for s in stops if s["booking_id"] == booking["id"])
    assert pickup["rider_name"] == "甘楽 太郎" and "杖" in pickup["notes"]

    listed = client.get("/bookings", params={"day": day}, headers=OP).json()
    assert [b["id"] for b in listed] == [booking["id"]]
    mine = client.get(f"/riders/{rider['id']}/bookings", headers=OP).json()
    assert [b["id"] for b in mine] == [booking["id"]]

    cancelled = client.post(f"/bookings/{booking['id']}/cancel", headers=OP)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    manifest = client.get(f"/vehicles/{vehicle}/manifest", params={"day": day}, headers=key_header("dispatcher"))
    assert all(s["booking_id"] != booking["id"] for s in manifest.json()["stops"])
    again = client.post(f"/bookings/{booking['id']}/confirm", headers=OP)
    assert again.status_code == 409 and again.json()["detail"][0]["reason"]


def test_idempotent_replay_returns_the_same_booking(client):
    day = tomorrow()
    first = _create(client, _booking(day), "replay-key-0001")
    second = _create(client, _booking(day), "replay-key-0001")
    assert first.status_code == 201 and second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"] and second.json()["offer"] == first.json()["offer"]
    assert len(client.get("/bookings", params={"day": day}, headers=OP).json()) == 1
    other = _create(client, _booking(day, "11:00"), "replay-key-0001")
    assert other.status_code == 409 and other.json()["detail"][0]["field"] == "Idempotency-Key"


def test_decline_releases_and_rejection_offers_alternatives(client):
    day = tomorrow()
    offered = _create(client, _booking(day), "decline-0001").json()
    declined = client.post(f"/bookings/{offered['id']}/decline", headers=OP)
    assert declined.status_code == 200 and declined.json()["status"] == "cancelled"
    late = _create(client, _booking(day, "19:30"), "late-0001")
    assert late.status_code == 201
    assert late.json()["status"] == "rejected"
    assert late.json()["rejection"]["reason"] == "outside_service_hours"
    assert late.json()["offer"] is None


def test_modify_keeps_or_replaces_the_promise(client):
    day = tomorrow()
    booking = _create(client, _booking(day), "modify-0001").json()
    client.post(f"/bookings/{booking['id']}/confirm", headers=OP)
    moved = client.patch(f"/bookings/{booking['id']}", json={"time": at(day, "13:00")}, headers=OP)
    assert moved.status_code == 200, moved.text
    assert moved.json()["time"] == at(day, "13:00")
    assert moved.json()["offer"]["pickup_window"]["start"] >= at(day, "13:00")
    impossible = client.patch(f"/bookings/{booking['id']}", json={"time": at(day, "21:00")}, headers=OP)
    assert impossible.status_code == 409
    kept = client.get(f"/bookings/{booking['id']}", headers=OP).json()
    assert kept["time"] == at(day, "13:00") and kept["status"] in ("confirmed", "assigned")
    other_day = client.patch(f"/bookings/{booking['id']}", json={"time": at(tomorrow(), "13:00").replace(
        day, "2099-01-01")}, headers=OP)
    assert other_day.status_code == 422


def test_bad_booking_input_names_the_field(client):
    day = tomorrow()
    cases = [
        (_booking(day, pickup="nowhere"), "body.pickup.place"),
        (_booking(day, dropoff="tomioka_general_hospital"), "body.dropoff"),
        ({**_booking(day), "time": "tomorrow at ten"}, "body.time"),
        ({**_booking(day), "seats": 0}, "body"),
        ({**_booking(day), "seats": 12}, "body.seats"),
        ({**_booking(day), "time_kind": "whenever"}, "body.time_kind"),
        ({**_booking(day), "pickup": {"lat": 35.0, "lon": 139.0}}, "body.pickup"),
        ({**_booking(day), "rider_id": "rd-unknown"}, "body.rider_id"),
        ({**_booking(day), "time": "1999-01-01T10:00:00+09:00"}, "body.time"),
    ]
    for i, (payload, field) in enumerate(cases):
        response = _create(client, payload, f"bad-input-{i:04d}")
        assert response.status_code == 422, (payload, response.text)
        assert any(d["field"].startswith(field) for d in response.json()["detail"]), response.json()
    missing_key = client.post("/bookings", json=_booking(day), headers=OP)
    assert missing_key.status_code == 422
    assert missing_key.json()["detail"][0]["field"] == "header.Idempotency-Key"
    headers = {**OP, "Idempotency-Key": "broken-json-1", "Content-Type": "application/json"}
    assert client.post("/bookings", content=b"{not json", headers=headers).status_code == 400  # JSON syntax
    assert client.get("/bookings/bk-missing", headers=OP).status_code == 404
    assert client.get("/bookings", params={"status": "lost"}, headers=OP).status_code == 422
    assert client.get("/bookings", params={"day": "12/01"}, headers=OP).status_code == 422


def test_an_offer_not_confirmed_in_time_lapses_and_says_so(settings, world, clean_redis):
    quick = settings.with_(offer_hold_s=1)
    with TestClient(create_app(quick, replace(world, offer_hold_s=1))) as client:
        day = tomorrow()
        first = _create(client, _booking(day), "lapse-0001").json()
        assert first["status"] == "offered"
        time.sleep(2.1)
        _create(client, _booking(day, "11:00"), "lapse-0002")  # any later command moves the engine's clock
        lapsed = client.get(f"/bookings/{first['id']}", headers=OP).json()
        assert lapsed["status"] == "requested" and "lapsed" in lapsed["error"]
        confirmed = client.post(f"/bookings/{first['id']}/confirm", headers=OP)
        assert confirmed.status_code == 200, confirmed.text  # the slot was still free: kept
        assert confirmed.json()["status"] in ("confirmed", "assigned") and confirmed.json()["error"] is None

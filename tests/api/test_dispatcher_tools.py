"""The dispatcher's screen: a reassignment's verdict before committing, and alerts (real Redis)."""

from __future__ import annotations

from .conftest import at, key_header, tomorrow

OP, DISP, DRV = key_header("operator"), key_header("dispatcher"), key_header("driver")


def _booked(client, key: str, hhmm: str = "10:00", seats: int = 1) -> dict:
    body = {"pickup": {"place": "tomioka_city_hall"}, "dropoff": {"place": "st:Joshu-Tomioka"},
            "time": at(tomorrow(), hhmm), "seats": seats}
    offered = client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": key}).json()
    return client.post(f"/bookings/{offered['id']}/confirm", headers=OP).json()


def _plans(client) -> list:
    return client.get("/dispatch/plans", params={"day": tomorrow(), "route": False}, headers=DISP).json()["plans"]


def test_the_verdict_comes_before_the_commit_and_changes_nothing(client):
    booking = _booked(client, "tools-0001")
    before = _plans(client)
    verdict = client.post("/dispatch/reassign/check", json={"booking_id": booking["id"], "vehicle_id": "nanmoku-1"},
                          headers=DISP)
    assert verdict.status_code == 200, verdict.text
    body = verdict.json()
    assert body["ok"] is True and body["violations"] == []
    assert body["distance_change_m"] > 0  # from Nanmoku's depot: a longer drive
    mine = next(r for r in body["riders"] if r["booking_id"] == booking["id"])
    assert mine["pickup_after"] is not None
    assert _plans(client) == before  # nothing changed
    assert client.get(f"/bookings/{booking['id']}", headers=OP).json()["pinned"] is False
    party = _booked(client, "tools-0002", hhmm="11:00", seats=5)
    refused = client.post("/dispatch/reassign/check", json={"booking_id": party["id"], "vehicle_id": "nanmoku-1"},
                          headers=DISP).json()
    assert refused["ok"] is False and "needs 5 seat(s), vehicle nanmoku-1 has 4" in refused["reason"]
    assert client.post("/dispatch/reassign/check", json={"booking_id": party["id"], "vehicle_id": "x"},
                       headers=DISP).status_code == 404
    assert client.post("/dispatch/reassign/check", json={"booking_id": party["id"], "vehicle_id": "kanra-1"},
                       headers=OP).status_code == 403


def test_alerts_name_silent_and_late_vehicles(client):
    booking = _booked(client, "tools-0003")
    moved = client.post("/dispatch/reassign", json={"booking_id": booking["id"], "vehicle_id": "tomioka-1"},
                        headers=DISP)
    assert moved.status_code == 200
    day = tomorrow()
    url = "/vehicles/tomioka-1/events"
    assert client.post(url, json={"type": "shift_start", "at": at(day, "08:00")}, headers=DRV).status_code == 200
    quiet = client.get("/dispatch/alerts", params={"day": day}, headers=DISP).json()
    assert [a["vehicle_id"] for a in quiet["not_reporting"]] == ["tomioka-1"]
    assert quiet["late"] == [] and quiet["unassigned"] == []
    far = {"type": "position", "lat": 36.2365, "lon": 138.7166, "at": at(day, "10:12")}  # Shimonita, at 10:12
    assert client.post(url, json=far, headers=DRV).status_code == 200
    alerts = client.get("/dispatch/alerts", params={"day": day, "silent_min": 60}, headers=DISP).json()
    assert alerts["late"] == [{"area": "all", "vehicle_id": "tomioka-1", "booking_id": booking["id"]}]
    assert booking["id"] in {a["booking_id"] for a in alerts["at_risk"]}
    assert alerts["not_reporting"] == []
    assert client.get("/dispatch/alerts", params={"day": day}, headers=DRV).status_code == 403

"""The booking record follows the plan: vehicle, offer and expected times after reassignment and delays."""

from __future__ import annotations

from .conftest import at, key_header, tomorrow

OP, DISP, DRV = key_header("operator"), key_header("dispatcher"), key_header("driver")


def _booked(client, key: str, hhmm: str = "10:00") -> dict:
    body = {"pickup": {"place": "kanra_town_office"}, "dropoff": {"place": "st:Joshu-Tomioka"},
            "time": at(tomorrow(), hhmm)}
    offered = client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": key}).json()
    assert offered["status"] == "offered", offered
    return client.post(f"/bookings/{offered['id']}/confirm", headers=OP).json()


def _planned(client, booking_id: str) -> tuple[str, dict[str, str]]:
    plans = client.get("/dispatch/plans", params={"day": tomorrow(), "route": False}, headers=DISP).json()["plans"]
    for plan in plans:
        times = {s["kind"]: s["arrival"] for s in plan["stops"] if s["booking_id"] == booking_id}
        if times:
            return plan["vehicle_id"], times
    raise AssertionError(f"{booking_id} is in no plan")


def _agrees(record: dict, vehicle: str, times: dict[str, str]) -> None:
    assert record["vehicle_id"] == record["offer"]["vehicle_id"] == vehicle
    assert record["offer"]["expected_pickup"] == times["pickup"]
    assert record["offer"]["expected_dropoff"] == times["dropoff"]


def test_reassignment_and_a_late_vehicle_show_in_the_booking_record(client):
    booking = _booked(client, "follow-0001")
    bid = booking["id"]
    moved = client.post("/dispatch/reassign", json={"booking_id": bid, "vehicle_id": "tomioka-1"}, headers=DISP)
    assert moved.status_code == 200, moved.text
    record = client.get(f"/bookings/{bid}", headers=OP).json()
    _agrees(record, *_planned(client, bid))
    assert record["vehicle_id"] == "tomioka-1"
    # the driver reports from far away, late: the plan is re-timed and the record says so
    day = tomorrow()
    url = "/vehicles/tomioka-1/events"
    assert client.post(url, json={"type": "shift_start", "at": at(day, "08:00")}, headers=DRV).status_code == 200
    before = client.get(f"/bookings/{bid}", headers=OP).json()
    late = {"type": "position", "lat": 36.2365, "lon": 138.7166, "at": at(day, "10:05")}  # near Shimonita
    assert client.post(url, json=late, headers=DRV).status_code == 200
    after = client.get(f"/bookings/{bid}", headers=OP).json()
    _agrees(after, *_planned(client, bid))
    assert after["offer"]["expected_pickup"] > before["offer"]["expected_pickup"]
    assert after["updated_at"] >= before["updated_at"]
    assert after["offer"]["pickup_window"] == booking["offer"]["pickup_window"]  # the promise is not rewritten


def test_a_refused_driver_event_never_writes_onto_the_booking_and_a_refused_reassignment_says_why(client):
    booking = _booked(client, "follow-0002")
    bid = booking["id"]
    other = "nanmoku-1" if booking["offer"]["vehicle_id"] != "nanmoku-1" else "kanra-1"
    wrong = client.post(f"/vehicles/{other}/events", json={"type": "boarded", "booking_id": bid}, headers=DISP)
    assert wrong.status_code == 409
    assert client.get(f"/bookings/{bid}", headers=OP).json()["error"] is None
    big = {"pickup": {"place": "kanra_town_office"}, "dropoff": {"place": "st:Joshu-Tomioka"},
           "time": at(tomorrow(), "11:00"), "seats": 5}
    party = client.post("/bookings", json=big, headers={**OP, "Idempotency-Key": "follow-0003"}).json()
    refused = client.post("/dispatch/reassign", json={"booking_id": party["id"], "vehicle_id": "nanmoku-1"},
                          headers=DISP)
    assert refused.status_code == 409
    assert "needs 5 seat(s), vehicle nanmoku-1 has 4" in refused.json()["detail"][0]["reason"]
    assert "nanmoku-1 has 4" in client.get(f"/bookings/{party['id']}", headers=OP).json()["error"]

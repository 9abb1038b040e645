"""Round trips over HTTP on the real Redis and Dispatcher: offered and confirmed together, a refused leg
releases the other, an open return (帰りは電話で) placed when the rider calls."""

import pytest

from .conftest import at, key_header, tomorrow

OP = key_header("operator")


def _rider(client, phone="0274-62-5555"):
    return client.post("/riders", json={"name": "富岡 はな", "phone": phone}, headers=OP).json()


def _trip(rider, **extra):
    day = tomorrow()
    return {"rider_id": rider["id"], "pickup": {"place": "oz:富岡市/七日市"},
            "dropoff": {"place": "tomioka_general_hospital"}, "time": at(day, "09:00"), **extra}


def _post(client, body, key):
    return client.post("/round-trips", json=body, headers={**OP, "Idempotency-Key": key})


def test_outbound_and_return_are_offered_and_confirmed_together(client):
    rider = _rider(client)
    created = _post(client, _trip(rider, return_time=at(tomorrow(), "12:30")), "round-trip-0001")
    assert created.status_code == 201, created.text
    trip = created.json()
    assert trip["state"] == "offered"
    out, back = trip["outbound"], trip["return"]
    assert out["pickup"]["place"] == back["dropoff"]["place"] == "oz:富岡市/七日市"
    assert back["offer"]["pickup_window"]["start"] >= at(tomorrow(), "12:30")
    assert out["round_trip_id"] == back["round_trip_id"] == trip["id"] and back["round_trip_leg"] == "return"
    replay = _post(client, _trip(rider, return_time=at(tomorrow(), "12:30")), "round-trip-0001")
    assert replay.status_code == 200 and replay.json()["id"] == trip["id"]
    confirmed = client.post(f"/round-trips/{trip['id']}/confirm", headers=OP)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] in ("confirmed", "assigned", "mixed")
    statuses = {client.get(f"/bookings/{b['id']}", headers=OP).json()["status"] for b in (out, back)}
    assert statuses <= {"confirmed", "assigned"}


def test_a_refused_return_releases_the_outbound(client):
    trip = _post(client, _trip(_rider(client), return_time=at(tomorrow(), "18:30")), "round-trip-0002").json()
    assert trip["state"] == "rejected"
    assert trip["return"]["rejection"]["reason"] == "outside_service_hours"
    assert trip["outbound"]["state"] == "declined"  # not offered half


def _call_back(client, trip, call, key):
    return client.post(f"/round-trips/{trip['id']}/return", json=call, headers={**OP, "Idempotency-Key": key})


def test_open_return_is_placed_when_the_rider_calls(client):
    rider = _rider(client)
    trip = _post(client, _trip(rider, open_return=True), "round-trip-0003").json()
    assert trip["return"] is None and trip["outbound"]["open_return"] is True
    call = {"time": at(tomorrow(), "11:40")}
    early = _call_back(client, trip, call, "rt-ret-03a")
    assert early.status_code == 409  # the outbound is only offered yet
    client.post(f"/round-trips/{trip['id']}/confirm", headers=OP)
    placed = _call_back(client, trip, call, "rt-ret-03b")
    assert placed.status_code == 201, placed.text
    back = placed.json()
    assert back["state"] == "offered" and back["pickup"]["place"] == "tomioka_general_hospital"
    assert back["round_trip_id"] == trip["id"] and back["wait_min"] > 0
    twice = _call_back(client, trip, call, "rt-ret-03c")
    assert twice.status_code == 409
    assert client.get(f"/round-trips/{trip['id']}", headers=OP).json()["return"]["id"] == back["id"]


@pytest.mark.parametrize(("extra", "reason"), [
    ({}, "give return_time"),
    ({"open_return": True, "return_time": "RET"}, "give return_time"),
    ({"return_time": "EARLY"}, "after the outbound"),
    ({"return_time": "NEXTDAY"}, "on the outbound's day"),
])
def test_bad_round_trips_say_why(client, extra, reason):
    day = tomorrow()
    times = {"RET": at(day, "12:00"), "EARLY": at(day, "08:30"), "NEXTDAY": "2099-01-01T10:00:00+09:00"}
    body = _trip(_rider(client), **{k: times.get(v, v) if isinstance(v, str) else v for k, v in extra.items()})
    response = _post(client, body, "round-trip-bad")
    assert response.status_code == 422 and reason in response.json()["detail"][0]["reason"], response.text


def test_round_trip_roles(client):
    assert client.get("/round-trips/rt-none", headers=key_header("driver")).status_code == 403
    assert client.get("/round-trips/rt-none", headers=OP).status_code == 404
    denied = client.post("/round-trips", json={}, headers={**key_header("planner"), "Idempotency-Key": "rt-roles-1"})
    assert denied.status_code == 403


def test_an_open_return_called_early_leaves_after_the_outbound_arrives(client):
    trip = _post(client, _trip(_rider(client, "0274-62-5556"), open_return=True), "round-trip-0004").json()
    confirmed = client.post(f"/round-trips/{trip['id']}/confirm", headers=OP).json()
    arrival = confirmed["outbound"]["offer"]["expected_dropoff"]
    back = _call_back(client, trip, {}, "rt-ret-04a").json()  # "as soon as possible", called the day before
    assert back["state"] == "offered", back.get("rejection")
    assert back["offer"]["pickup_window"]["end"] >= arrival and back["time"] >= arrival[:16]

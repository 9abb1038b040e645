"""The books audit finds what it claims to find: it is silent on sound books and names each corruption."""

from __future__ import annotations

import json

from reliability.audit import audit

from api.keys import Keys

from .conftest import at, day_after

PREFIX = "kt-rel"


def _book(client, credentials, key: str, day: str, hhmm: str, pickup: str, dropoff: str) -> dict:
    body = {"pickup": {"place": pickup}, "dropoff": {"place": dropoff}, "time": at(day, hhmm)}
    response = client.post("/bookings", json=body, headers={**credentials.header("operator"), "Idempotency-Key": key})
    assert response.status_code == 201, response.text
    return response.json()


def test_audit_passes_sound_books_and_names_each_corruption(client, credentials, clean_redis, world):
    day = day_after(1)
    accepted = {}
    for i, (hhmm, a, b) in enumerate([("09:00", "st:Joshu-Tomioka", "tomioka_general_hospital"),
                                      ("09:10", "tomioka_city_hall", "st:Joshu-Tomioka"),
                                      ("10:00", "kanra_town_office", "tomioka_general_hospital")]):
        booking = _book(client, credentials, f"audit-{i:04d}", day, hhmm, a, b)
        assert booking["status"] == "offered"
        accepted[f"audit-{i:04d}"] = booking["id"]
        assert client.post(f"/bookings/{booking['id']}/confirm", headers=credentials.header("operator")).status_code \
            == 200
    report = audit(clean_redis, PREFIX, [day], accepted=accepted, network=world.network)
    assert report.problems == [], report.problems
    assert report.bookings == 3 and report.stops_checked >= 6

    keys = Keys(PREFIX)
    first, second, third = accepted.values()
    # an answered booking the store does not know
    report = audit(clean_redis, PREFIX, [day], accepted={**accepted, "audit-lost": "bk-lost"}, network=world.network)
    assert any("bk-lost" in p for p in report.problems)
    # a booking cancelled in its record but still planned; another stuck unanswered
    record = json.loads(clean_redis.get(keys.booking(first)))
    clean_redis.set(keys.booking(first), json.dumps({**record, "status": "cancelled"}))
    record = json.loads(clean_redis.get(keys.booking(second)))
    clean_redis.set(keys.booking(second), json.dumps({**record, "status": "requested"}))
    # a booking taken twice onto the stream, the second never applied
    clean_redis.xadd(keys.booking_stream("all"), {"cmd": json.dumps({"op": "request", "booking_id": third, "day": day,
                                                                       "at": 0})})
    problems = "\n".join(audit(clean_redis, PREFIX, [day], accepted=accepted, network=world.network).problems)
    assert f"booking {first} is cancelled but still planned" in problems
    assert f"booking {second} is still requested" in problems
    assert f"booking {third} was put on its stream 2 times" in problems
    assert "was applied up to" in problems
    # a plan that overloads its vehicle: our validator and the seat count both object
    snapshot = json.loads(clean_redis.hget(keys.snapshot("all", day), "data"))
    for vehicle in snapshot["vehicles"]:
        vehicle["seats"] = 0
    clean_redis.hset(keys.snapshot("all", day), "data", json.dumps(snapshot))
    problems = "\n".join(audit(clean_redis, PREFIX, [day], network=world.network, settled=False).problems)
    assert "plan violates a rule" in problems and "seats / " in problems


def test_audit_checks_pins_and_the_audit_log(client, credentials, clean_redis, world):
    day = day_after(1)
    booking = _book(client, credentials, "audit-pin-0001", day, "10:00", "tomioka_city_hall", "st:Joshu-Tomioka")
    moved = client.post("/dispatch/reassign", json={"booking_id": booking["id"], "vehicle_id": "kanra-1"},
                        headers=credentials.header("dispatcher"))
    assert moved.status_code == 200, moved.text
    assert audit(clean_redis, PREFIX, [day], network=world.network).problems == []
    keys = Keys(PREFIX)
    record = json.loads(clean_redis.get(keys.booking(booking["id"])))
    clean_redis.set(keys.booking(booking["id"]), json.dumps({**record, "pinned_to": None}))
    problems = "\n".join(audit(clean_redis, PREFIX, [day], network=world.network).problems)
    assert f"booking {booking['id']}: the record says pinned to None, the dispatcher kanra-1" in problems
    clean_redis.set(keys.booking(booking["id"]), json.dumps(record))
    for entry_id, fields in clean_redis.xrange(f"{PREFIX}:audit"):
        if fields["action"] == "booking.created":
            clean_redis.xdel(f"{PREFIX}:audit", entry_id)
    problems = "\n".join(audit(clean_redis, PREFIX, [day], network=world.network).problems)
    assert f"booking {booking['id']} has 0 'booking.created' audit entries" in problems

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


def test_audit_checks_the_desk_records(client, credentials, clean_redis, world):
    """Rider registry indexes, standing series, round trips and call-backs: silent when sound, each
    corruption named."""
    from datetime import timedelta

    from api.timefmt import now_jst

    op = credentials.header("operator")
    rider = client.post("/riders", json={"name": "監査 太郎", "phone": "0274-62-6666", "phones": ["090-6666-0000"]},
                        headers=op).json()
    start = (now_jst().date() + timedelta(days=1)).isoformat()
    series = client.post("/standing-bookings", headers=op, json={
        "rider_id": rider["id"], "weekdays": list(range(7)), "start_date": start, "end_date": start,
        "pickup": {"place": "oz:富岡市/七日市"}, "dropoff": {"place": "tomioka_general_hospital"}, "time": "10:00"})
    assert series.status_code == 201, series.text
    trip = client.post("/round-trips", headers={**op, "Idempotency-Key": "audit-rt-1"}, json={
        "rider_id": rider["id"], "pickup": {"place": "oz:富岡市/七日市"}, "dropoff": {"place": "st:Joshu-Tomioka"},
        "time": at(day_after(1), "13:00"), "return_time": at(day_after(1), "15:00")}).json()
    client.post("/callbacks", json={"rider_id": rider["id"]}, headers=op)
    days = [day_after(1)]
    sound = audit(clean_redis, PREFIX, days, network=world.network)
    assert sound.problems == [], sound.problems

    keys = Keys(PREFIX)
    clean_redis.delete(keys.rider_phone("09066660000"))
    clean_redis.delete(keys.booking(trip["return"]["id"]))
    clean_redis.hset(f"{PREFIX}:callbacks", "cb-bad", json.dumps({"rider_id": "rd-gone", "booking_id": None}))
    sid = series.json()["id"]
    stored = json.loads(clean_redis.get(f"{PREFIX}:standing:{sid}"))
    stored["occurrences"][start] = {"state": "booked", "outbound": "bk-gone"}
    clean_redis.set(f"{PREFIX}:standing:{sid}", json.dumps(stored))
    problems = "\n".join(audit(clean_redis, PREFIX, days, network=world.network, settled=False).problems)
    assert f"rider {rider['id']}: a phone number of theirs is indexed to None" in problems
    assert f"round trip {trip['id']}: booking {trip['return']['id']} is missing" in problems
    assert "call-back cb-bad names unknown rider rd-gone" in problems
    assert f"standing booking {sid} {start} outbound: booking bk-gone is missing" in problems


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

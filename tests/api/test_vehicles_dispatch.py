"""Driver events, manifests, plans, manual reassignment and the event stream."""

from .conftest import at, key_header, tomorrow

OP, DISP, DRV, ADMIN = (key_header(r) for r in ("operator", "dispatcher", "driver", "admin"))


def _booked(client, key, hhmm="10:00", seats=1, pickup="tomioka_city_hall", dropoff="st:Joshu-Tomioka"):
    body = {"pickup": {"place": pickup}, "dropoff": {"place": dropoff}, "time": at(tomorrow(), hhmm), "seats": seats}
    booking = client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": key}).json()
    assert booking["status"] == "offered", booking
    confirmed = client.post(f"/bookings/{booking['id']}/confirm", headers=OP).json()
    return confirmed


def test_driver_reports_a_ride_from_pickup_to_dropoff(client):
    day = tomorrow()
    booking = _booked(client, "ride-0001")
    vehicle = booking["offer"]["vehicle_id"]
    if vehicle != "tomioka-1":  # the driver key is bound to tomioka-1: move the ride there first
        moved = client.post("/dispatch/reassign", json={"booking_id": booking["id"], "vehicle_id": "tomioka-1"},
                            headers=DISP)
        assert moved.status_code == 200, moved.text
    url = "/vehicles/tomioka-1/events"
    events = [
        {"type": "shift_start", "at": at(day, "08:00")},
        {"type": "position", "lat": 36.2599, "lon": 138.8899, "at": at(day, "09:50")},
        {"type": "arrived", "booking_id": booking["id"], "at": at(day, "10:01")},
        {"type": "boarded", "booking_id": booking["id"], "at": at(day, "10:02")},
    ]
    for event in events:
        response = client.post(url, json=event, headers=DRV)
        assert response.status_code == 200, (event, response.text)
    assert client.get(f"/bookings/{booking['id']}", headers=OP).json()["status"] == "onboard"
    manifest = client.get("/vehicles/tomioka-1/manifest", params={"day": day}, headers=DRV).json()
    assert [s["kind"] for s in manifest["stops"]] == ["dropoff"]
    dropped = client.post(url, json={"type": "dropped", "booking_id": booking["id"], "at": at(day, "10:12")},
                          headers=DRV)
    assert dropped.status_code == 200, dropped.text
    assert client.get(f"/bookings/{booking['id']}", headers=OP).json()["status"] == "completed"
    again = client.post(url, json={"type": "boarded", "booking_id": booking["id"], "at": at(day, "10:13")},
                        headers=DRV)
    assert again.status_code == 409 and again.json()["detail"][0]["reason"]
    vehicles = client.get("/vehicles", headers=DISP).json()
    assert next(v for v in vehicles if v["id"] == "tomioka-1")["position"]["lat"] == 36.2599


def test_bad_vehicle_events_name_the_field(client):
    cases = [({"type": "teleported"}, "body.type"), ({"type": "position", "lat": 36.2}, "body"),
             ({"type": "boarded"}, "body"), ({"type": "position", "lat": 35.0, "lon": 139.9}, "body")]
    for payload, field in cases:
        response = client.post("/vehicles/tomioka-1/events", json=payload, headers=DISP)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["field"].startswith(field)
    assert client.post("/vehicles/ghost-1/events", json={"type": "shift_start"}, headers=DISP).status_code == 404


def test_reassignment_is_validated_and_plans_show_routes(client):
    day = tomorrow()
    booking = _booked(client, "reassign-0001", seats=5)
    current = booking["offer"]["vehicle_id"]
    # a party of five does not fit the four-seat vehicle: refused, nothing changes
    refused = client.post("/dispatch/reassign", json={"booking_id": booking["id"], "vehicle_id": "tomioka-3"},
                          headers=DISP)
    assert refused.status_code == 409 and "tomioka-3" in refused.json()["detail"][0]["reason"]
    target = "tomioka-2" if current != "tomioka-2" else "tomioka-1"
    moved = client.post("/dispatch/reassign", json={"booking_id": booking["id"], "vehicle_id": target},
                        headers=DISP)
    assert moved.status_code == 200, moved.text
    assert client.get(f"/bookings/{booking['id']}", headers=OP).json()["vehicle_id"] == target
    plans = client.get("/dispatch/plans", params={"day": day}, headers=DISP).json()["plans"]
    by_vehicle = {p["vehicle_id"]: p for p in plans}
    assert {s["booking_id"] for s in by_vehicle[target]["stops"]} == {booking["id"]}
    assert not any(s["booking_id"] == booking["id"] for s in by_vehicle[current]["stops"])
    assert len(by_vehicle[target]["route"]) > 2
    unknown = client.post("/dispatch/reassign", json={"booking_id": booking["id"], "vehicle_id": "nope"},
                          headers=DISP)
    assert unknown.status_code == 404


def test_event_stream_carries_offers_and_assignments(client):
    booking = _booked(client, "events-0001")
    response = client.get("/events", params={"since": "0", "limit": 10, "wait_s": 1}, headers=OP)
    assert response.headers["content-type"].startswith("text/event-stream")
    kinds = [line.removeprefix("event: ") for line in response.text.splitlines() if line.startswith("event: ")]
    assert "offer" in kinds and "confirmed" in kinds
    assert booking["id"] in response.text


def test_fleet_registration_by_admin(client):
    vehicle = {"id": "kanra-2", "municipality": "10384", "seats": 4, "wheelchair_places": 1,
               "depot": "kanra_town_office", "label": "甘楽 2号"}
    assert client.put("/vehicles/kanra-2", json=vehicle, headers=ADMIN).status_code == 200
    assert client.get("/vehicles/kanra-2", headers=DISP).json()["label"] == "甘楽 2号"
    bad = [({**vehicle, "depot": "atlantis"}, "body.depot"), ({**vehicle, "shift_end": "07:00"}, "body"),
           ({**vehicle, "municipality": "kanra"}, "body.municipality"), ({**vehicle, "id": "other"}, "body.id")]
    for payload, field in bad:
        response = client.put("/vehicles/kanra-2", json=payload, headers=ADMIN)
        assert response.status_code == 422 and response.json()["detail"][0]["field"].startswith(field), response.text


def test_reoptimisation_keeps_every_promise(client, settings, world, clean_redis):
    day = tomorrow()
    places = ["tomioka_city_hall", "st:Joshu-Tomioka", "tomioka_general_hospital", "kanra_town_office"]
    booked = [_booked(client, f"reopt-{i:04d}", hhmm=f"{10 + i // 2}:{(i % 2) * 30:02d}",
                      pickup=places[i % 4], dropoff=places[(i + 2) % 4]) for i in range(6)]
    windows = {b["id"]: b["offer"]["pickup_window"] for b in booked}
    response = client.post("/dispatch/reoptimise", json={"day": day, "time_limit_s": 0.5}, headers=DISP)
    assert response.status_code == 202, response.text  # recorded for the worker: no solver in the API process
    request_id = response.json()["request_id"]
    assert client.get(response.json()["poll"], headers=DISP).json()["status"] == "queued"
    from api.worker import Worker

    asked = Worker(settings, world, client=clean_redis, name="worker:asked")
    asked.run_once()
    for role in asked.areas.values():  # hand the area on to the worker below
        if role.token is not None:
            role.lease.release(role.token)
    done = client.get(f"/dispatch/reoptimise/{request_id}", headers=DISP).json()
    assert done["status"] == "done" and done["results"]["all"]["status"] in ("published", "unchanged"), done
    assert done["results"]["all"]["writer"] == "worker:asked"
    plans = client.get("/dispatch/plans", params={"day": day, "route": False}, headers=DISP).json()["plans"]
    planned = [s["booking_id"] for p in plans for s in p["stops"] if s["kind"] == "pickup"]
    assert sorted(planned) == sorted(windows)  # every booking still planned, once
    for b in booked:
        after = client.get(f"/bookings/{b['id']}", headers=OP).json()
        assert after["status"] in ("confirmed", "assigned")
        assert after["offer"]["pickup_window"] == windows[b["id"]]  # the promise read out on the phone

    log = f"{settings.key_prefix}:area:all:commits"
    before = clean_redis.xlen(log)
    worker = Worker(settings.with_(reopt_interval_s=0.0, reopt_time_limit_s=0.3), world, client=clean_redis)
    worker.run_once()  # the worker's periodic pass re-optimises the open days too, and commits the result
    last = clean_redis.xrevrange(log, count=1)[0][1]
    assert clean_redis.xlen(log) == before + 1 and last["writer"] == worker.name
    assert sorted(s["booking_id"] for p in client.get("/dispatch/plans", params={"day": day, "route": False},
                  headers=DISP).json()["plans"] for s in p["stops"] if s["kind"] == "pickup") == sorted(windows)

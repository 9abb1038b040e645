"""A dispatcher's reassignment sticks: the worker's periodic re-optimisation keeps a pinned booking (real Redis)."""

from __future__ import annotations

from api.worker import Worker

from .conftest import at, key_header, tomorrow

OP, DISP, DRV = key_header("operator"), key_header("dispatcher"), key_header("driver")


def _booked(client, key: str) -> dict:
    body = {"pickup": {"place": "tomioka_city_hall"}, "dropoff": {"place": "st:Joshu-Tomioka"},
            "time": at(tomorrow(), "10:00")}
    offered = client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": key}).json()
    assert offered["status"] == "offered", offered
    confirmed = client.post(f"/bookings/{offered['id']}/confirm", headers=OP).json()
    assert confirmed["offer"]["vehicle_id"].startswith("tomioka-"), confirmed
    return confirmed


def _reoptimising_worker(settings, world, redis_client, name: str) -> Worker:
    return Worker(settings.with_(reopt_interval_s=0.0, reopt_time_limit_s=1.0), world, client=redis_client,
                  name=name)


def _planned_vehicle(client, booking_id: str) -> str | None:
    plans = client.get("/dispatch/plans", params={"day": tomorrow(), "route": False}, headers=DISP).json()["plans"]
    owners = {p["vehicle_id"] for p in plans for s in p["stops"] if s["booking_id"] == booking_id}
    assert len(owners) <= 1, owners
    return owners.pop() if owners else None


def test_a_pinned_reassignment_survives_the_workers_reoptimisation_and_a_take_over(client, settings, world,
                                                                                 clean_redis):
    booking = _booked(client, "pin-0001")
    bid = booking["id"]
    moved = client.post("/dispatch/reassign", json={"booking_id": bid, "vehicle_id": "nanmoku-1"}, headers=DISP)
    assert moved.status_code == 200, moved.text
    assert moved.json()["pinned"] is True
    record = client.get(f"/bookings/{bid}", headers=OP).json()
    assert record["pinned"] is True and record["vehicle_id"] == "nanmoku-1"
    assert record["offer"]["vehicle_id"] == "nanmoku-1" and record["error"] is None

    first = _reoptimising_worker(settings, world, clean_redis, "worker:first")
    first.run_once()  # the periodic pass: re-optimises the open day and commits
    commits = f"{settings.key_prefix}:area:all:commits"
    assert clean_redis.xrevrange(commits, count=1)[0][1]["writer"] == "worker:first"
    assert _planned_vehicle(client, bid) == "nanmoku-1"
    assert client.get(f"/bookings/{bid}", headers=OP).json()["vehicle_id"] == "nanmoku-1"

    # the first worker goes away; another one takes the area over from the committed snapshot
    first.stop.set()
    for role in first.areas.values():
        if role.token is not None:
            role.lease.release(role.token)
    second = _reoptimising_worker(settings, world, clean_redis, "worker:second")
    second.run_once()
    assert clean_redis.xrevrange(commits, count=1)[0][1]["writer"] == "worker:second"
    assert _planned_vehicle(client, bid) == "nanmoku-1"
    after = client.get(f"/bookings/{bid}", headers=OP).json()
    assert after["pinned"] is True and after["vehicle_id"] == "nanmoku-1"
    assert after["offer"]["pickup_window"] == booking["offer"]["pickup_window"]  # the promise holds

    # once released, the next re-optimisation brings it back to a nearer vehicle
    released = client.post("/dispatch/unpin", json={"booking_id": bid}, headers=DISP)
    assert released.status_code == 200 and released.json()["was_pinned"] is True
    assert client.get(f"/bookings/{bid}", headers=OP).json()["pinned"] is False
    second.run_once()
    assert _planned_vehicle(client, bid).startswith("tomioka-")
    final = client.get(f"/bookings/{bid}", headers=OP).json()
    assert final["vehicle_id"] == final["offer"]["vehicle_id"] == _planned_vehicle(client, bid)


def test_reassign_without_pin_is_undone_by_reoptimisation(client, settings, world, clean_redis):
    bid = _booked(client, "pin-0002")["id"]
    moved = client.post("/dispatch/reassign", json={"booking_id": bid, "vehicle_id": "nanmoku-1", "pin": False},
                        headers=DISP)
    assert moved.status_code == 200 and moved.json()["pinned"] is False
    assert client.get(f"/bookings/{bid}", headers=OP).json()["pinned"] is False
    _reoptimising_worker(settings, world, clean_redis, "worker:loose").run_once()
    assert _planned_vehicle(client, bid).startswith("tomioka-")


def test_reassign_and_unpin_refuse_unknown_ids_and_other_roles(client):
    bid = _booked(client, "pin-0003")["id"]
    unknown_vehicle = client.post("/dispatch/reassign", json={"booking_id": bid, "vehicle_id": "ghost-9"},
                                  headers=DISP)
    assert unknown_vehicle.status_code == 404
    assert unknown_vehicle.json()["detail"][0]["field"] == "body.vehicle_id"
    assert client.post("/dispatch/unpin", json={"booking_id": "bk-000000000000"}, headers=DISP).status_code == 404
    assert client.post("/dispatch/unpin", json={"booking_id": bid}, headers=OP).status_code == 403
    assert client.post("/dispatch/unpin", json={"booking_id": bid}).status_code == 401
    not_pinned = client.post("/dispatch/unpin", json={"booking_id": bid}, headers=DISP)
    assert not_pinned.status_code == 200 and not_pinned.json()["was_pinned"] is False

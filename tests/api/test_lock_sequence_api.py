"""A dispatcher locks a vehicle's next stops in an order: the plans mark them, the worker's re-optimisation and a
take-over keep them, the audit log names who did it (real Redis)."""

from __future__ import annotations

from api.worker import Worker

from .conftest import at, key_header, tomorrow

OP, DISP, ADMIN_HEADER = key_header("operator"), key_header("dispatcher"), key_header("admin")


def _booked(client, key: str, pickup: str, dropoff: str, hhmm: str) -> str:
    body = {"pickup": {"place": pickup}, "dropoff": {"place": dropoff}, "time": at(tomorrow(), hhmm)}
    offered = client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": key}).json()
    assert offered["status"] == "offered", offered
    assert client.post(f"/bookings/{offered['id']}/confirm", headers=OP).status_code == 200
    return offered["id"]


def _plan(client, vehicle_id: str) -> dict:
    plans = client.get("/dispatch/plans", params={"day": tomorrow(), "route": False}, headers=DISP).json()["plans"]
    return next(p for p in plans if p["vehicle_id"] == vehicle_id)


def _worker(settings, world, redis_client, name: str) -> Worker:
    return Worker(settings.with_(reopt_interval_s=0.0, reopt_time_limit_s=1.0), world, client=redis_client,
                  name=name)


def test_a_locked_order_is_marked_kept_through_reoptimisation_and_take_over_and_audited(client, settings, world,
                                                                                      clean_redis):
    a = _booked(client, "lock-0001", "tomioka_city_hall", "st:Joshu-Tomioka", "10:02")
    b = _booked(client, "lock-0002", "tomioka_general_hospital", "tomioka_city_hall", "10:00")
    order = [{"booking_id": b, "kind": "pickup"}, {"booking_id": a, "kind": "pickup"}]
    locked = client.post("/dispatch/lock-sequence", json={"vehicle_id": "tomioka-1", "stops": order}, headers=DISP)
    assert locked.status_code == 200, locked.text
    assert locked.json()["locked"] == order
    plan = _plan(client, "tomioka-1")
    assert plan["locked_stops"] == 2
    assert [{"booking_id": s["booking_id"], "kind": s["kind"]} for s in plan["stops"][:2]] == order
    assert [s["locked"] for s in plan["stops"]] == [True, True] + [False] * (len(plan["stops"]) - 2)
    for bid in (a, b):
        record = client.get(f"/bookings/{bid}", headers=OP).json()
        assert record["pinned"] is True and record["vehicle_id"] == "tomioka-1"

    first = _worker(settings, world, clean_redis, "worker:first")
    first.run_once()
    first.stop.set()
    for role in first.areas.values():
        if role.token is not None:
            role.lease.release(role.token)
    second = _worker(settings, world, clean_redis, "worker:second")
    second.run_once()
    commits = f"{settings.key_prefix}:area:all:commits"
    assert clean_redis.xrevrange(commits, count=1)[0][1]["writer"] == "worker:second"
    plan = _plan(client, "tomioka-1")
    assert [{"booking_id": s["booking_id"], "kind": s["kind"]} for s in plan["stops"][:2]] == order

    entries = client.get("/audit", params={"target": "tomioka-1"}, headers=ADMIN_HEADER).json()["entries"]
    assert [e["action"] for e in entries] == ["vehicle.sequence_locked"]
    assert entries[0]["ok"] is True and entries[0]["before"]["locked"] == []
    assert entries[0]["after"]["locked"] == [[b, "pickup"], [a, "pickup"]]

    released = client.post("/dispatch/unlock-sequence", params={"day": tomorrow()}, json={"vehicle_id": "tomioka-1"},
                           headers=DISP)
    assert released.status_code == 200 and released.json()["was_locked"] is True
    assert _plan(client, "tomioka-1")["locked_stops"] == 0
    entries = client.get("/audit", params={"target": "tomioka-1"}, headers=ADMIN_HEADER).json()["entries"]
    assert entries[0]["action"] == "vehicle.sequence_unlocked"


def test_lock_sequence_refuses_impossible_orders_unknown_ids_and_other_roles(client):
    a = _booked(client, "lock-0003", "tomioka_city_hall", "st:Joshu-Tomioka", "10:00")
    url = "/dispatch/lock-sequence"
    backwards = client.post(url, json={"vehicle_id": "tomioka-1", "stops": [{"booking_id": a, "kind": "dropoff"}]},
                            headers=DISP)
    assert backwards.status_code == 409, backwards.text
    assert backwards.json()["detail"][0]["field"] == "body.stops"
    assert "before its pickup" in backwards.json()["detail"][0]["reason"]
    stops = [{"booking_id": a, "kind": "pickup"}]
    ghost = client.post(url, json={"vehicle_id": "ghost-9", "stops": stops}, headers=DISP)
    assert ghost.status_code == 404 and ghost.json()["detail"][0]["field"] == "body.vehicle_id"
    unknown = client.post(url, json={"vehicle_id": "tomioka-1", "stops": [{"booking_id": "bk-000000000000",
                                                                           "kind": "pickup"}]}, headers=DISP)
    assert unknown.status_code == 404
    assert client.post(url, json={"vehicle_id": "tomioka-1", "stops": []}, headers=DISP).status_code == 422
    assert client.post(url, json={"vehicle_id": "tomioka-1", "stops": stops}, headers=OP).status_code == 403
    assert client.post(url, json={"vehicle_id": "tomioka-1", "stops": stops}).status_code == 401
    assert client.post("/dispatch/unlock-sequence", json={"vehicle_id": "ghost-9"}, headers=DISP).status_code == 404

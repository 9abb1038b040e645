"""A real service day made through the API and its writer (Redis db of the history tests), and helpers to
save and restore that Redis state so each test starts from the same day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import redis
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import parse_api_keys
from api.settings import Settings
from api.timefmt import day_start, now_jst
from tests.redis_db import redis_url

REDIS_DB = 7  # the history tests' own db (9-15: the API and reliability suites)
KEYS = {"operator": "hist-op-key", "dispatcher": "hist-disp-key", "admin": "hist-admin-key"}
OP = {"X-API-Key": KEYS["operator"]}
DISP = {"X-API-Key": KEYS["dispatcher"]}


def settings() -> Settings:
    return Settings(redis_url=redis_url(REDIS_DB), api_keys=parse_api_keys([f"{k}:{r}" for r, k in KEYS.items()]),
                    key_prefix="kt-hist", lock_wait_s=3.0, reopt_time_limit_s=1.0)


def day_after(days: int) -> str:
    return (now_jst().date() + timedelta(days=days)).isoformat()


def at(day: str, hhmm: str) -> str:
    date.fromisoformat(day)
    return f"{day}T{hhmm}:00+09:00"


def closed_after(day: str, hours: float = 3.0) -> float:
    """A Unix time ``hours`` after the end of ``day`` (past the archiver's default margin of 2 h)."""
    return (day_start(day) + timedelta(days=1, hours=hours)).timestamp()


@dataclass
class MadeDay:
    day: str
    completed: str
    no_show: str
    cancelled: str
    rejected: str
    rider_id: str
    vehicle: str
    open_day: str = ""
    open_booking: str = ""
    events: dict[str, str] = field(default_factory=dict)


def _book(client: TestClient, key: str, day: str, hhmm: str, pickup: str, dropoff: str,
          rider_id: str | None = None, seats: int = 1) -> dict:
    body = {"pickup": {"place": pickup}, "dropoff": {"place": dropoff}, "time": at(day, hhmm), "seats": seats}
    if rider_id:
        body["rider_id"] = rider_id
    response = client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": key})
    assert response.status_code in (201, 202), response.text
    return response.json()


def _event(client: TestClient, vehicle: str, event: dict) -> None:
    response = client.post(f"/vehicles/{vehicle}/events", json=event, headers=DISP)
    assert response.status_code == 200, (event, response.text)


def make_day(client: TestClient) -> MadeDay:
    """Tomorrow: a ride done end to end, a no-show, a cancellation and a refusal; the day after: one open
    booking (so that day never closes in the tests)."""
    day = day_after(1)
    rider = client.post("/riders", json={"name": "上州 花子", "phone": "0274-62-9999",
                                         "home": {"place": "tomioka_city_hall"}}, headers=OP)
    assert rider.status_code == 201, rider.text
    rider_id = rider.json()["id"]
    ride = _book(client, "hist-ride", day, "10:00", "tomioka_city_hall", "st:Joshu-Tomioka", rider_id)
    assert ride["status"] == "offered", ride
    vehicle = ride["offer"]["vehicle_id"]
    assert client.post(f"/bookings/{ride['id']}/confirm", headers=OP).status_code == 200
    missed = _book(client, "hist-noshow", day, "11:00", "tomioka_general_hospital", "tomioka_city_hall")
    assert client.post(f"/bookings/{missed['id']}/confirm", headers=OP).status_code == 200
    cancelled = _book(client, "hist-cancel", day, "13:00", "tomioka_city_hall", "tomioka_general_hospital")
    called_off = client.post(f"/bookings/{cancelled['id']}/cancel", json={"reason": "illness", "note": "発熱"},
                             headers=OP)
    assert called_off.status_code == 200, called_off.text
    refused = _book(client, "hist-refuse", day, "06:00", "tomioka_city_hall", "tomioka_general_hospital")
    assert refused["status"] == "rejected", refused
    if missed["offer"]["vehicle_id"] != vehicle:
        moved = client.post("/dispatch/reassign", json={"booking_id": missed["id"], "vehicle_id": vehicle},
                            headers=DISP)
        assert moved.status_code == 200, moved.text
    window = client.get(f"/bookings/{missed['id']}", headers=OP).json()["offer"]["pickup_window"]
    no_show_at = window["start"][11:16]
    _event(client, vehicle, {"type": "shift_start", "at": at(day, "08:00")})
    for hhmm, lat in (("09:40", 36.2550), ("09:40", 36.2551), ("09:50", 36.2599)):
        _event(client, vehicle, {"type": "position", "lat": lat, "lon": 138.8899, "at": at(day, hhmm)})
    _event(client, vehicle, {"type": "arrived", "booking_id": ride["id"], "at": at(day, "10:01")})
    _event(client, vehicle, {"type": "boarded", "booking_id": ride["id"], "at": at(day, "10:02")})
    _event(client, vehicle, {"type": "dropped", "booking_id": ride["id"], "at": at(day, "10:12")})
    _event(client, vehicle, {"type": "arrived", "booking_id": missed["id"], "at": at(day, no_show_at)})
    h, m = (int(p) for p in no_show_at.split(":"))
    later = f"{h + (m + 10) // 60:02d}:{(m + 10) % 60:02d}"
    _event(client, vehicle, {"type": "no_show", "booking_id": missed["id"], "at": at(day, later)})
    _event(client, vehicle, {"type": "shift_end", "at": at(day, "17:00")})
    open_day = day_after(2)
    pending = _book(client, "hist-open", open_day, "10:00", "tomioka_city_hall", "st:Joshu-Tomioka")
    assert client.post(f"/bookings/{pending['id']}/confirm", headers=OP).status_code == 200
    return MadeDay(day, ride["id"], missed["id"], cancelled["id"], refused["id"], rider_id, vehicle, open_day,
                   pending["id"], {"no_show_at": later})


def make_in_redis(world) -> tuple[MadeDay, dict[str, tuple[bytes, int]]]:
    """Make the day in the tests' Redis db and return it with a dump of every key (to restore per test)."""
    raw = redis.Redis.from_url(redis_url(REDIS_DB))
    raw.flushdb()
    with TestClient(create_app(settings(), world)) as client:
        made = make_day(client)
    dump = {key: (raw.dump(key), raw.pttl(key)) for key in raw.keys("*")}
    raw.close()
    return made, dump


def restore(dump: dict[bytes, tuple[bytes, int]]) -> None:
    raw = redis.Redis.from_url(redis_url(REDIS_DB))
    raw.flushdb()
    for key, (value, ttl) in dump.items():
        raw.restore(key, max(ttl, 0), value, replace=True)
    raw.close()

"""Security: every route needs a role, drivers see only their own vehicle, keys are rate limited, secrets
come from the environment only, and rider names and phone numbers never reach a log line."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from reliability.stack import REPO, ApiServer, Worker, wait_until

from api.app import create_app

from .conftest import DRIVER_VEHICLE, at, day_after, stack_env

PUBLIC = {"/health", "/console", "/desk", "/dispatcher", "/driver", "/runsheet", "/administration", "/static",
          "/openapi.json", "/docs",
          "/docs/oauth2-redirect", "/redoc", "/auth/login"}
"""Routes open without a key: liveness, the static console pages (their data need a key or session), the API
description (no data), staff log-in."""


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x-1", path)


def _routes(routes: list, prefix: str = "") -> Iterator[tuple[str, object]]:
    """(path, route) of every route, looking into included routers (FastAPI >= 0.16x includes them lazily)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes, prefix + route.include_context.prefix)
        else:
            yield prefix + getattr(route, "path", ""), route


def test_every_non_public_route_needs_a_key(client):
    """Enumerate the app's routes, so a route added later without a role check fails here."""
    checked = []
    for path, route in _routes(client.app.routes):
        if path in PUBLIC or any(path.startswith(p + "/") for p in PUBLIC):
            continue
        assert isinstance(route, APIRoute), f"unexpected route {path}"
        for method in route.methods - {"HEAD", "OPTIONS"}:
            response = client.request(method, _concrete(path), json={})
            assert response.status_code == 401, (method, path, response.status_code, response.text)
            assert response.json()["detail"][0]["field"] == "X-API-Key"
            checked.append(f"{method} {path}")
    assert len(checked) >= 25, checked


def test_public_routes_serve_no_records(client, credentials):
    day = day_after(1)
    body = {"pickup": {"place": "st:Joshu-Tomioka"}, "dropoff": {"place": "tomioka_general_hospital"},
            "time": at(day, "10:00")}
    booking = client.post("/bookings", json=body, headers={**credentials.header("operator"),
                                                           "Idempotency-Key": "public-0001"}).json()
    for path in ("/health", "/openapi.json", "/docs", "/console", "/desk", "/static/messages.json"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert booking["id"] not in response.text


def _book(client, credentials, key: str, pickup: str, dropoff: str, hhmm: str) -> dict:
    body = {"pickup": {"place": pickup}, "dropoff": {"place": dropoff}, "time": at(day_after(1), hhmm)}
    response = client.post("/bookings", json=body, headers={**credentials.header("operator"), "Idempotency-Key": key})
    assert response.status_code == 201, response.text
    booking = response.json()
    assert client.post(f"/bookings/{booking['id']}/confirm", headers=credentials.header("operator")).status_code == 200
    return booking


def test_driver_sees_only_their_own_vehicle(client, credentials):
    day = day_after(1)
    trips = [("st:Joshu-Tomioka", "tomioka_general_hospital", "09:00"), ("st:Shimonita", "shimonita_kosei_hospital",
             "09:00"), ("kanra_town_office", "st:Joshu-Fukushima", "09:05"), ("tomioka_city_hall", "st:Joshu-Tomioka",
             "10:00")]
    booked = [_book(client, credentials, f"driver-{i:04d}", *trip) for i, trip in enumerate(trips)]
    plans = client.get("/dispatch/plans", params={"day": day, "route": False},
                       headers=credentials.header("dispatcher")).json()["plans"]
    on_vehicle = {p["vehicle_id"]: {s["booking_id"] for s in p["stops"]} for p in plans}
    assert any(ids for v, ids in on_vehicle.items() if v != DRIVER_VEHICLE), "every booking went to one vehicle"
    driver = credentials.header("driver")
    own = client.get(f"/vehicles/{DRIVER_VEHICLE}/manifest", params={"day": day}, headers=driver)
    assert own.status_code == 200
    assert {s["booking_id"] for s in own.json()["stops"]} == on_vehicle.get(DRIVER_VEHICLE, set())
    for other in sorted(v for v in on_vehicle if v != DRIVER_VEHICLE):
        for suffix in ("/manifest", "/plan", ""):
            response = client.get(f"/vehicles/{other}{suffix}", params={"day": day}, headers=driver)
            assert response.status_code == 403, (other, suffix, response.text)
        event = client.post(f"/vehicles/{other}/events", json={"type": "position", "lat": 36.25, "lon": 138.89},
                            headers=driver)
        assert event.status_code == 403
    for path in ("/vehicles", "/bookings", "/dispatch/plans", f"/bookings/{booked[0]['id']}", "/riders?name=a",
                 "/events?wait_s=0.1"):
        assert client.get(path, headers=driver).status_code == 403, path


def test_rate_limit_per_key(settings, world, clean_redis, credentials):
    """A key over its budget gets 429 with Retry-After; other keys are unaffected; the count lives in Redis, so
    two API processes share it."""
    limited = settings.with_(rate_limit_per_min=5)
    with TestClient(create_app(limited, world)) as first, TestClient(create_app(limited, world)) as second:
        operator, planner = credentials.header("operator"), credentials.header("planner")
        statuses = [(first if i % 2 else second).get("/places", params={"q": "tomioka"}, headers=operator).status_code
                    for i in range(5)]
        assert statuses == [200] * 5
        refused = first.get("/places", params={"q": "tomioka"}, headers=operator)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["detail"][0]["field"] == "X-API-Key" and "rate" in refused.json()["detail"][0]["reason"]
        assert second.get("/places", params={"q": "tomioka"}, headers=operator).status_code == 429
        assert first.get("/places", params={"q": "tomioka"}, headers=planner).status_code == 200
        assert first.get("/health").status_code == 200  # liveness probes are not counted
        # unknown keys are refused before they can use anybody's budget
        for _ in range(10):
            assert first.get("/places", headers={"X-API-Key": "guess"}).status_code == 401
        assert first.get("/places", params={"q": "x"}, headers=planner).status_code == 200


def test_no_secrets_in_the_repository_or_defaults():
    """Keys and passwords come from the environment: none is baked into code or config."""
    from api.settings import Settings

    assert dict(Settings().api_keys) == {}
    assert dict(Settings.from_env({}).api_keys) == {}
    result = subprocess.run([sys.executable, "-m", "api"], cwd=REPO, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)})
    assert result.returncode == 2 and "KANRA_API_KEYS" in result.stderr
    tracked = subprocess.run(["git", "ls-files", "api", "config", "scripts", "Makefile"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    roles = "operator|dispatcher|driver|planner|admin"
    pattern = re.compile(rf"(KANRA_API_KEYS\s*=\s*['\"]?[\w-]+:({roles})\b|requirepass\s+\S|redis://:[^@\s]+@)")
    for name in tracked:
        path = REPO / name
        if path.suffix in (".py", ".conf", ".json", ".sh", ".md", "") and path.is_file():
            assert not pattern.search(path.read_text(encoding="utf-8", errors="replace")), name


@pytest.fixture
def pii_stack(tmp_path: Path, own_redis, credentials):
    """An API (access log on) and a worker on a Redis of their own whose password comes from the environment."""
    own_redis_password = "redis-pass-" + credentials.keys["admin"][-8:]
    redis.Redis(port=own_redis.port).config_set("requirepass", own_redis_password)
    url = f"redis://:{own_redis_password}@127.0.0.1:{own_redis.port}/0"
    env = stack_env(credentials, url, KANRA_LOG_LEVEL="debug")
    api = ApiServer(env, tmp_path / "api.log").start()
    worker = Worker(env, tmp_path / "worker.log").start()
    try:
        api.wait_ready()
        yield api, worker, own_redis_password
    finally:
        worker.stop()
        api.stop()


def test_rider_pii_never_reaches_the_logs(pii_stack, credentials):
    api, worker, redis_password = pii_stack
    name, phone, other_phone = "妙義 梅子", "090-1234-5678", "0274 (62) 9876"
    op, driver = credentials.header("operator"), credentials.header("driver")
    day = day_after(1)
    with httpx.Client(base_url=api.base_url, timeout=30) as http:
        rider = http.post("/riders", json={"name": name, "phone": phone, "notes": f"家族 {other_phone}"}, headers=op)
        assert rider.status_code == 201, rider.text
        rider_id = rider.json()["id"]
        again = http.post("/riders", json={"name": name + "二", "phone": phone}, headers=op)
        assert again.status_code == 409
        assert http.get("/riders", params={"phone": "09012345678"}, headers=op).status_code == 200
        assert http.get("/riders", params={"name": "梅子"}, headers=op).status_code == 200
        assert http.get(f"/riders?name={urllib.parse.quote(name)}", headers=op).status_code == 200
        body = {"rider_id": rider_id, "pickup": {"place": "st:Joshu-Tomioka"},
                "dropoff": {"place": "tomioka_general_hospital"}, "time": at(day, "10:00"),
                "notes": f"{name}さん 着いたら {other_phone} に電話"}
        booking = http.post("/bookings", json=body, headers={**op, "Idempotency-Key": "pii-00001"})
        assert booking.status_code == 201, booking.text
        booking_id = booking.json()["id"]
        http.post(f"/bookings/{booking_id}/confirm", headers=op)
        bad = http.post("/bookings", json={**body, "time": "not a time"}, headers={**op, "Idempotency-Key": "pii-2"})
        assert bad.status_code == 422
        manifest = http.get(f"/vehicles/{DRIVER_VEHICLE}/manifest", params={"day": day}, headers=driver)
        assert manifest.status_code == 200
        async_body = {**body, "time": at(day, "11:00")}
        queued = http.post("/bookings", params={"mode": "async"}, json=async_body,
                           headers={**op, "Idempotency-Key": "pii-00003"})
        assert queued.status_code == 202
        wait_until(lambda: http.get(f"/bookings/{queued.json()['id']}", headers=op).json()["status"] != "requested",
                   30, "the worker answering")
    api.stop()
    worker.stop()
    logs = api.log_text() + worker.log_text()
    assert booking_id in logs and "GET /riders" in logs, "the logs are not what the test thinks they are"
    digits = re.sub(r"\D", "", phone)
    secrets = [name, "梅子", phone, digits, digits[-8:], other_phone, "62) 9876", urllib.parse.quote("梅子"),
               urllib.parse.quote(name), urllib.parse.quote_plus(name), redis_password,
               *credentials.keys.values()]
    for secret in secrets:
        assert secret not in logs, f"{secret!r} found in the logs"

"""Every endpoint checks the caller's role: 401 without a key, 403 for a role not in the table."""

import pytest

from api.auth import PERMISSIONS, Role
from api.routers import bookings, dispatch, events, places, reports, riders, vehicles

from .conftest import KEYS, key_header

# (method, path, action) for one endpoint of each action
ENDPOINTS = [
    ("GET", "/places?q=tomioka", "places.read"),
    ("GET", "/network.geojson", "network.read"),
    ("GET", "/riders?phone=0274621234", "riders.read"),
    ("POST", "/riders", "riders.write"),
    ("GET", "/bookings", "bookings.read"),
    ("POST", "/bookings", "bookings.create"),
    ("POST", "/bookings/bk-none/cancel", "bookings.change"),
    ("GET", "/vehicles", "dispatch.read"),
    ("PUT", "/vehicles/tomioka-9", "vehicles.write"),
    ("GET", "/dispatch/plans", "dispatch.read"),
    ("POST", "/dispatch/reassign", "dispatch.reassign"),
    ("POST", "/dispatch/reoptimise", "dispatch.reoptimise"),
    ("GET", "/dispatch/stats", "stats.read"),
    ("GET", "/events?limit=1&wait_s=0.2", "events.read"),
    ("GET", "/admin/reports/monthly?month=2026-11", "reports.read"),
]


def test_every_route_is_in_the_table():
    """No endpoint escapes the role table: each route of each router depends on a ``require_*`` check."""
    unguarded = []
    for module in (bookings, dispatch, events, places, reports, riders, vehicles):
        for route in module.router.routes:
            names = [d.call.__name__ for d in route.dependant.dependencies]
            if not any(n.startswith("require_") for n in names):
                unguarded.append(route.path)
    assert unguarded == []
    assert sum(len(m.router.routes) for m in (bookings, dispatch, events, places, riders, vehicles)) >= 20


@pytest.mark.parametrize(("method", "path", "action"), ENDPOINTS)
def test_missing_and_unknown_keys_are_401(client, method, path, action):
    response = client.request(method, path, json={})
    assert response.status_code == 401
    assert response.json()["detail"][0]["field"] == "X-API-Key"
    assert client.request(method, path, json={}, headers={"X-API-Key": "nope"}).status_code == 401


@pytest.mark.parametrize(("method", "path", "action"), ENDPOINTS)
def test_roles_outside_the_table_are_403(client, method, path, action):
    for role in Role:
        response = client.request(method, path, json={}, headers=key_header(role.value))
        if role in PERMISSIONS[action]:
            assert response.status_code != 403 and response.status_code != 401, (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert "may not" in response.json()["detail"][0]["reason"]


def test_bearer_token_works_like_the_header(client):
    response = client.get("/places?q=hospital", headers={"Authorization": f"Bearer {KEYS['operator']}"})
    assert response.status_code == 200


def test_driver_only_sees_and_reports_for_own_vehicle(client):
    own = client.get("/vehicles/tomioka-1/manifest", headers=key_header("driver"))
    assert own.status_code == 200
    other = client.get("/vehicles/kanra-1/manifest", headers=key_header("driver"))
    assert other.status_code == 403 and other.json()["detail"][0]["field"] == "vehicle_id"
    event = {"type": "position", "lat": 36.24, "lon": 138.92}
    assert client.post("/vehicles/kanra-1/events", json=event, headers=key_header("driver")).status_code == 403

"""Staff accounts, sessions and the audit log (real Redis): log-in, driver scope, disable, lock-out, secrets."""

from __future__ import annotations

import json
import logging
import re

from .conftest import at, key_header, tomorrow

ADMIN, OP = key_header("admin"), key_header("operator")
PASSWORD = "kanra-Passw0rd-77"
DRIVER_PASSWORD = "tomioka-Driver-123"


def _accounts(client) -> None:
    for body in ({"name": "sato", "password": PASSWORD, "role": "dispatcher", "municipality": "10210"},
                 {"name": "tanaka", "password": DRIVER_PASSWORD, "role": "driver", "municipality": "10210",
                  "vehicle_id": "tomioka-1"},
                 {"name": "suzuki", "password": PASSWORD, "role": "operator", "municipality": "10384"}):
        response = client.post("/admin/accounts", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        assert "password" not in response.text and "hash" not in response.text


def _login(client, name: str, password: str) -> dict[str, str]:
    response = client.post("/auth/login", json={"name": name, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_staff_log_in_and_act_with_their_role(client):
    _accounts(client)
    sato = _login(client, "sato", PASSWORD)
    me = client.get("/auth/me", headers=sato).json()
    assert me == {"name": "sato", "role": "dispatcher", "vehicle_id": None, "municipality": "10210",
                  "kind": "session"}
    assert client.get("/dispatch/plans", params={"day": tomorrow()}, headers=sato).status_code == 200
    assert client.get("/admin/accounts", headers=sato).status_code == 403
    assert client.post("/auth/logout", headers=sato).json() == {"logged_out": True}
    assert client.get("/auth/me", headers=sato).status_code == 401
    wrong = client.post("/auth/login", json={"name": "sato", "password": "not-the-password"})
    assert wrong.status_code == 401 and wrong.json()["detail"][0]["reason"] == "wrong name or password"
    assert client.post("/auth/login", json={"name": "nobody", "password": PASSWORD}).status_code == 401
    duplicate = {"name": "sato", "password": PASSWORD, "role": "operator"}
    assert client.post("/admin/accounts", json=duplicate, headers=ADMIN).status_code == 409
    no_vehicle = {"name": "ito", "password": PASSWORD, "role": "driver"}
    assert client.post("/admin/accounts", json=no_vehicle, headers=ADMIN).status_code == 422


def test_a_driver_session_sees_only_its_own_vehicle(client):
    _accounts(client)
    tanaka = _login(client, "tanaka", DRIVER_PASSWORD)
    day = tomorrow()
    assert client.get("/vehicles/tomioka-1/manifest", params={"day": day}, headers=tanaka).status_code == 200
    assert client.get("/vehicles/tomioka-2/manifest", params={"day": day}, headers=tanaka).status_code == 403
    assert client.post("/vehicles/tomioka-2/events", json={"type": "shift_start"}, headers=tanaka).status_code == 403
    assert client.get("/bookings", params={"day": day}, headers=tanaka).status_code == 403
    assert client.get("/dispatch/plans", params={"day": day}, headers=tanaka).status_code == 403


def test_a_disabled_account_is_refused_at_once_and_a_reset_ends_sessions(client):
    _accounts(client)
    sato = _login(client, "sato", PASSWORD)
    assert client.get("/auth/me", headers=sato).status_code == 200
    disabled = client.patch("/admin/accounts/sato", json={"disabled": True}, headers=ADMIN)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert client.get("/auth/me", headers=sato).status_code == 401
    refused = client.post("/auth/login", json={"name": "sato", "password": PASSWORD})
    assert refused.status_code == 401 and "disabled" in refused.json()["detail"][0]["reason"]
    client.patch("/admin/accounts/sato", json={"disabled": False}, headers=ADMIN)
    sato = _login(client, "sato", PASSWORD)
    new_password = "a-new-Passw0rd-99"
    assert client.post("/admin/accounts/sato/reset", json={"password": new_password}, headers=ADMIN).status_code == 200
    assert client.get("/auth/me", headers=sato).status_code == 401
    assert client.post("/auth/login", json={"name": "sato", "password": PASSWORD}).status_code == 401
    _login(client, "sato", new_password)


def test_repeated_failures_lock_the_account_until_an_admin_resets_it(client):
    _accounts(client)
    for _ in range(5):
        assert client.post("/auth/login", json={"name": "suzuki", "password": "wrong-password"}).status_code == 401
    locked = client.post("/auth/login", json={"name": "suzuki", "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "locked" in locked.json()["detail"][0]["reason"]
    assert client.post("/admin/accounts/suzuki/reset", json={"password": PASSWORD}, headers=ADMIN).status_code == 200
    _login(client, "suzuki", PASSWORD)


def test_passwords_and_tokens_never_reach_redis_or_the_logs_in_clear(client, clean_redis, caplog):
    caplog.set_level(logging.DEBUG)
    _accounts(client)
    token = _login(client, "sato", PASSWORD)["Authorization"].removeprefix("Bearer ")
    client.post("/auth/login", json={"name": "sato", "password": "wrong-" + PASSWORD})
    short = client.post("/admin/accounts", json={"name": "kato", "password": "short-pw", "role": "operator"},
                        headers=ADMIN)
    assert short.status_code == 422 and "short-pw" not in short.text
    everything = []
    for key in clean_redis.scan_iter("*"):
        kind = clean_redis.type(key)
        if kind == "string":
            everything.append(clean_redis.get(key))
        elif kind == "hash":
            everything.append(json.dumps(clean_redis.hgetall(key)))
        elif kind == "set":
            everything.append(json.dumps(sorted(clean_redis.smembers(key))))
        elif kind == "stream":
            everything.append(json.dumps(clean_redis.xrange(key)))
        everything.append(key)
    dump = "\n".join(everything)
    assert "argon2id" in dump  # the hash is there ...
    for secret in (PASSWORD, DRIVER_PASSWORD, token, "short-pw"):
        assert secret not in dump  # ... the password and the session token are not
        assert secret not in caplog.text


def test_the_audit_log_says_who_changed_what(client):
    _accounts(client)
    suzuki = _login(client, "suzuki", PASSWORD)
    sato = _login(client, "sato", PASSWORD)
    body = {"pickup": {"place": "tomioka_city_hall"}, "dropoff": {"place": "st:Joshu-Tomioka"},
            "time": at(tomorrow(), "10:00")}
    booking = client.post("/bookings", json=body, headers={**suzuki, "Idempotency-Key": "audit-0001"}).json()
    bid = booking["id"]
    assert client.post(f"/bookings/{bid}/confirm", headers=suzuki).status_code == 200
    moved = client.post("/dispatch/reassign", json={"booking_id": bid, "vehicle_id": "kanra-1"}, headers=sato)
    assert moved.status_code == 200, moved.text
    assert client.post(f"/bookings/{bid}/cancel", headers=suzuki).status_code == 200
    assert client.get("/audit", headers=sato).status_code == 403
    entries = client.get("/audit", params={"target": bid}, headers=ADMIN).json()["entries"]
    actions = [(e["action"], e["who"]) for e in reversed(entries)]
    assert actions == [("booking.created", "suzuki"), ("booking.confirmed", "suzuki"),
                       ("booking.reassigned", "sato"), ("booking.cancelled", "suzuki")]
    reassigned = next(e for e in entries if e["action"] == "booking.reassigned")
    assert reassigned["before"]["vehicle_id"] != "kanra-1" and reassigned["after"]["vehicle_id"] == "kanra-1"
    assert reassigned["after"]["pinned_to"] == "kanra-1" and reassigned["detail"]["pinned"] is True
    cancelled = next(e for e in entries if e["action"] == "booking.cancelled")
    assert cancelled["before"]["status"] in ("confirmed", "assigned") and cancelled["after"]["status"] == "cancelled"
    accounts = client.get("/audit", params={"action": "account.*"}, headers=ADMIN).json()["entries"]
    assert {e["target"] for e in accounts} == {"sato", "tanaka", "suzuki"}
    assert all(e["who"].startswith("admin:") for e in accounts)
    logins = client.get("/audit", params={"action": "auth.login", "who": "sato"}, headers=ADMIN).json()["entries"]
    assert logins and all(e["ok"] for e in logins)


def _routes(routes: list, prefix: str = ""):
    """(path, route) of every route, looking into included routers."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes, prefix + route.include_context.prefix)
        else:
            yield prefix + getattr(route, "path", ""), route


def test_every_route_refuses_an_unknown_or_ended_session(client):
    from fastapi.routing import APIRoute

    public = {"/health", "/console", "/desk", "/dispatcher", "/driver", "/runsheet", "/administration",
              "/administration/reports", "/openapi.json",
              "/docs",
              "/docs/oauth2-redirect", "/redoc", "/auth/login"}
    bogus = {"Authorization": "Bearer s_not-a-session-token"}
    checked = 0
    for path, route in _routes(client.app.routes):
        if not isinstance(route, APIRoute) or path in public:
            continue
        for method in route.methods - {"HEAD", "OPTIONS"}:
            response = client.request(method, re.sub(r"\{[^}]+\}", "x-1", path), json={}, headers=bogus)
            assert response.status_code == 401, (method, path, response.status_code)
            checked += 1
    assert checked >= 25


def test_a_rider_registration_is_audited_without_the_riders_name_or_phone(client):
    _accounts(client)
    suzuki = _login(client, "suzuki", PASSWORD)
    rider = client.post("/riders", json={"name": "山田 花子", "phone": "0274-62-1111", "fare_class": "senior"},
                        headers=suzuki)
    assert rider.status_code == 201, rider.text
    entries = client.get("/audit", params={"target": rider.json()["id"]}, headers=ADMIN).json()["entries"]
    assert [(e["action"], e["who"]) for e in entries] == [("rider.created", "suzuki")]
    text = json.dumps(entries, ensure_ascii=False)
    assert "山田" not in text and "1111" not in text and entries[0]["after"]["name_changed"] is True

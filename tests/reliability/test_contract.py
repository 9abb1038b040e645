"""The OpenAPI document and the code agree, as a client sees them: credentials, methods, media types, days,
and the inputs the document calls valid (or invalid)."""

from __future__ import annotations

import pytest

from .conftest import at, day_after

PUBLIC = {("post", "/auth/login"), ("get", "/health")}
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
def document(client) -> dict:
    return client.get("/openapi.json").json()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def _concrete(path: str) -> str:
    return path.replace("{", "x-").replace("}", "")  # /bookings/{booking_id} -> /bookings/x-booking_id


def test_every_protected_operation_declares_the_key_and_the_session(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {**schemes["ApiKey"], "type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["Bearer"]["type"] == "http" and schemes["Bearer"]["scheme"] == "bearer"
    unprotected = set()
    for method, path, operation in _operations(document):
        if operation.get("security") is None:
            unprotected.add((method, path))
        else:  # either one will do
            assert operation["security"] == [{"ApiKey": []}, {"Bearer": []}], (method, path)
    assert unprotected == PUBLIC


def test_credentials_are_checked_before_a_body_is_read(client, credentials, document):
    broken = b'{"pickup": '
    json_type = {"Content-Type": "application/json"}
    with_body = [(m, p) for m, p, op in _operations(document) if "requestBody" in op and (m, p) not in PUBLIC]
    assert len(with_body) >= 15
    for method, path in with_body:
        url = _concrete(path)
        anonymous = client.request(method, url, content=broken, headers=json_type)
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        assert anonymous.json()["detail"][0]["field"] == "X-API-Key"
        unknown = client.request(method, url, content=broken, headers={**json_type, "X-API-Key": "not-a-key"})
        assert unknown.status_code == 401, (method, path)
    as_planner = client.post("/bookings", content=broken, headers={**json_type, **credentials.header("planner")})
    assert as_planner.status_code == 403
    undecodable = client.post("/bookings", content=b"\xff\xfe{", headers=json_type)
    assert undecodable.status_code == 401
    # refused before routing (415, 413), yet credentials first: a public route still gets the 415
    assert client.post("/bookings", content=b"x", headers={"Content-Type": "text/plain"}).status_code == 401
    assert client.post("/bookings", content=b"x" * 70_000, headers=json_type).status_code == 401
    assert client.post("/auth/login", content=b"x", headers={"Content-Type": "text/plain"}).status_code == 415
    admin = {**credentials.header("admin"), "Content-Type": "text/plain"}
    assert client.post("/bookings", content=b"x", headers=admin).status_code == 415


def test_json_syntax_errors_are_400_with_field_and_reason(client, credentials):
    headers = {"Content-Type": "application/json", **credentials.header("admin")}
    for path, broken in (("/bookings", b'{"pickup": '), ("/riders", b"{'name': 'x'}"), ("/rail/delays", b"[1,")):
        response = client.post(path, content=broken, headers={**headers, "Idempotency-Key": "contract-0001"})
        assert response.status_code == 400, (path, response.text)
        (item,) = response.json()["detail"]
        assert item["field"] == "body" and "not valid JSON" in item["reason"] and "character" in item["reason"]
    schema_invalid = client.post("/riders", json={"name": 3}, headers=headers)
    assert schema_invalid.status_code == 422  # well-formed JSON, wrong content: still a 422


def test_a_405_allows_every_method_of_the_path(client, credentials, document):
    key = credentials.header("admin")
    for path, item in document["paths"].items():
        declared = {m.upper() for m in item if m in METHODS}
        refused = next(m for m in ("DELETE", "PUT", "PATCH", "POST") if m not in declared)
        response = client.request(refused, _concrete(path), headers=key)
        assert response.status_code == 405, (refused, path, response.status_code)
        assert set(response.headers["Allow"].split(", ")) == declared, (path, response.headers["Allow"])
        assert response.json()["detail"][0]["field"] == "method"
    assert client.delete("/bookings/bk-1", headers=key).headers["Allow"] == "GET, PATCH"
    # a literal path is its own resource, although /standing-bookings/{series_id} would match it too
    assert client.put("/standing-bookings/materialise", headers=key).headers["Allow"] == "POST"


def test_the_event_stream_is_declared_as_server_sent_events(client, credentials, document):
    content = document["paths"]["/events"]["get"]["responses"]["200"]["content"]
    assert list(content) == ["text/event-stream"]
    item = content["text/event-stream"]
    assert "schema" not in item  # not one string: a sequence of events
    assert set(item["itemSchema"]["properties"]) == {"event", "id", "data", "retry"}
    response = client.get("/events", params={"wait_s": 0.2}, headers=credentials.header("dispatcher"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.startswith("retry: 2000")
    headers = {p["name"]: p for p in document["paths"]["/events"]["get"]["parameters"]}
    assert headers["Last-Event-ID"]["schema"]["type"] == "string"  # a header is never null
    assert headers["Last-Event-ID"]["schema"]["pattern"] == r"^(\d{1,19}-\d{1,19}|0)$"


def test_day_parameters_are_calendar_days(client, credentials, document):
    day = {p["name"]: p for p in document["paths"]["/dispatch/plans"]["get"]["parameters"]}["day"]
    assert {"type": "string", "format": "date"} in day["schema"]["anyOf"]
    assert "pattern" not in str(day["schema"])
    key = credentials.header("dispatcher")
    for bad in ("0000-00-00", "2026-02-30", "20261201", "2026-1-01", "２０２６-１２-０１"):
        response = client.get("/dispatch/plans", params={"day": bad}, headers=key)
        assert response.status_code == 422, bad
        (item,) = response.json()["detail"]
        assert item["field"] == "query.day" and "is not a calendar day" in item["reason"], item
    assert client.get("/dispatch/plans", params={"day": day_after(1)}, headers=key).status_code == 200
    body_day = client.post("/rail/delays", json={"train_id": "U10", "delay_min": 5, "day": "0000-00-00"},
                           headers=credentials.header("admin"))
    assert body_day.status_code == 422 and body_day.json()["detail"][0]["field"] == "body.day"


def test_riders_without_a_search_page_through_the_registry(client, credentials):
    op = credentials.header("operator")
    ids = sorted(client.post("/riders", json={"name": f"上州 {n}", "phone": f"0274-62-100{n}"}, headers=op).json()["id"]
                 for n in range(3))
    first = client.get("/riders", params={"limit": 2}, headers=op)
    assert first.status_code == 200
    rest = client.get("/riders", params={"limit": 2, "offset": 2}, headers=op).json()
    assert [r["id"] for r in first.json()] + [r["id"] for r in rest] == ids
    assert client.get("/riders", params={"offset": 3}, headers=op).json() == []
    assert [r["id"] for r in client.get("/riders", params={"phone": "621001"}, headers=op).json()] == [
        r["id"] for r in client.get("/riders", headers=op).json() if r["phone"].endswith("1001")]
    for field, value in (("phone", "abc"), ("phone", ""), ("name", " ")):
        response = client.get("/riders", params={field: value}, headers=op)
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == f"query.{field}", value


def test_rider_changes_cannot_remove_what_a_rider_must_have(client, credentials):
    op = credentials.header("operator")
    rider = client.post("/riders", json={"name": "上州 梅", "phone": "0274-62-2000"}, headers=op).json()
    for field in ("name", "phone", "fare_class", "active", "no_show_count", "late_cancel_count"):
        response = client.patch(f"/riders/{rider['id']}", json={field: None}, headers=op)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["detail"][0]["field"] == f"body.{field}"
    assert client.patch(f"/riders/{rider['id']}", json={}, headers=op).status_code == 422
    counted = client.patch(f"/riders/{rider['id']}", json={"no_show_count": 2.0}, headers=op)
    assert counted.status_code == 200 and counted.json()["no_show_count"] == 2
    for bad in (2.5, "2", True):
        assert client.patch(f"/riders/{rider['id']}", json={"no_show_count": bad}, headers=op).status_code == 422
    removed = client.patch(f"/riders/{rider['id']}", json={"kana": None, "notes": None, "care_notes": None,
                                                            "phones": None, "nearest_stops": None,
                                                            "late_cancel_count": 1.0}, headers=op)
    assert removed.status_code == 200, removed.text
    assert removed.json()["kana"] == removed.json()["notes"] == "" and removed.json()["nearest_stops"] == []
    assert client.get("/riders", params={"name": "上州"}, headers=op).json()[0]["id"] == rider["id"]


def test_place_kinds_are_an_enumeration(client, credentials, document):
    kind = {p["name"]: p for p in document["paths"]["/places"]["get"]["parameters"]}["kind"]
    kinds = next(s["enum"] for s in kind["schema"]["anyOf"] if "enum" in s)
    assert "station" in kinds and "" not in kinds
    key = credentials.header("operator")
    stations = client.get("/places", params={"kind": "station", "limit": 50}, headers=key).json()
    assert stations and {p["kind"] for p in stations} == {"station"}
    for bad in ("", "castle"):
        response = client.get("/places", params={"kind": bad}, headers=key)
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "query.kind"


def test_reassigning_to_an_unknown_vehicle_is_404(client, credentials):
    booking = client.post("/bookings", json={"pickup": {"place": "st:Joshu-Tomioka"},
                                             "dropoff": {"place": "tomioka_general_hospital"},
                                             "time": at(day_after(1), "10:00")},
                          headers={**credentials.header("operator"), "Idempotency-Key": "contract-reassign-1"})
    assert booking.status_code in (201, 202), booking.text
    response = client.post("/dispatch/reassign", json={"booking_id": booking.json()["id"], "vehicle_id": "no-such-car"},
                           headers=credentials.header("dispatcher"))
    assert response.status_code == 404
    assert response.json()["detail"][0] == {"field": "body.vehicle_id", "reason": "no vehicle no-such-car"}


def test_a_one_value_query_parameter_given_twice_is_refused(client, credentials):
    key = credentials.header("operator")
    twice = client.get("/riders?name=a&name=b", headers=key)
    assert twice.status_code == 422
    assert twice.json()["detail"][0] == {"field": "query.name", "reason": "given 2 times; give it once"}
    assert client.get("/riders?name=a&name=b").status_code == 401  # credentials first
    assert client.get("/riders?name=a&limit=3", headers=key).status_code == 200


def test_stream_ids_are_documented_within_what_redis_takes(client, credentials):
    key = credentials.header("dispatcher")
    for huge in ("99999999999999999999-0", "1-99999999999999999999"):
        refused = client.get("/events", params={"wait_s": 0.1}, headers={**key, "Last-Event-ID": huge})
        assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "header.Last-Event-ID"
    resumed = client.get("/events", params={"wait_s": 0.1}, headers={**key, "Last-Event-ID": "9999999999999999999-0"})
    assert resumed.status_code == 200


def test_a_password_keeps_its_spaces(client, credentials):
    admin = credentials.header("admin")
    created = client.post("/admin/accounts", json={"name": "sato.k", "password": "  spaced secret  ",
                                                   "role": "operator"}, headers=admin)
    assert created.status_code == 201, created.text
    short = client.post("/admin/accounts/sato.k/reset", json={"password": "         a"}, headers=admin)
    assert short.status_code == 200, short.text  # ten characters, as the document counts them
    assert client.post("/auth/login", json={"name": "sato.k", "password": "         a"}).status_code == 200


def test_ids_in_dispatch_bodies_must_have_a_character_besides_spaces(client, credentials, document):
    schema = document["components"]["schemas"]["ReassignIn"]["properties"]["booking_id"]
    assert schema["pattern"] == r"\S" and schema["minLength"] == 1  # spaces are stripped before the length counts
    key = credentials.header("dispatcher")
    for path in ("/dispatch/reassign", "/dispatch/reassign/check", "/dispatch/unpin"):
        response = client.post(path, json={"booking_id": "\t", "vehicle_id": "tomioka-1"} if "unpin" not in path
                               else {"booking_id": "\t"}, headers=key)
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "body.booking_id", path


def test_booking_statuses_are_an_enumeration(client, credentials, document):
    from typing import get_args

    from api.schemas import BookingStatusName
    from dispatch.model import BookingStatus

    assert list(get_args(BookingStatusName)) == [s.value for s in BookingStatus]
    status = {p["name"]: p for p in document["paths"]["/bookings"]["get"]["parameters"]}["status"]
    assert next(s["enum"] for s in status["schema"]["anyOf"] if "enum" in s) == [s.value for s in BookingStatus]
    assert document["components"]["schemas"]["BookingOut"]["properties"]["status"]["enum"] == \
        [s.value for s in BookingStatus]
    key = credentials.header("operator")
    assert client.get("/bookings", params={"status": "completed"}, headers=key).status_code == 200
    refused = client.get("/bookings", params={"status": "lapsed"}, headers=key)
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "query.status"
    callbacks = {p["name"]: p for p in document["paths"]["/callbacks"]["get"]["parameters"]}["status"]
    assert callbacks["schema"]["enum"] == ["open", "done", "all"]


def test_areas_are_the_configured_ones(settings, world, clean_redis, credentials):
    from fastapi.testclient import TestClient

    from api.app import create_app

    split = settings.with_(areas={"west": ("10382", "10383"), "east": ("10210", "10384")})
    with TestClient(create_app(split, world), raise_server_exceptions=False) as client:
        document = client.get("/openapi.json").json()
        for path in ("/dispatch/plans", "/dispatch/alerts", "/dispatch/stats"):
            area = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}["area"]
            assert next(s["enum"] for s in area["schema"]["anyOf"] if "enum" in s) == ["west", "east"], path
        body = document["components"]["schemas"]["ReoptimiseIn"]["properties"]["area"]
        assert next(s["enum"] for s in body["anyOf"] if "enum" in s) == ["west", "east"]
        assert "x-kanra-configured-areas" not in str(document)
        key = credentials.header("dispatcher")
        assert client.get("/dispatch/stats", params={"area": "east"}, headers=key).json()["stats"].keys() == {"east"}
        refused = client.get("/dispatch/stats", params={"area": "all"}, headers=key)
        assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "query.area"
        refused = client.post("/dispatch/reoptimise", json={"area": "north"}, headers=key)
        assert refused.status_code == 422
    with TestClient(create_app(settings, world), raise_server_exceptions=False) as client:  # the default: one
        area = {p["name"]: p for p in client.get("/openapi.json").json()["paths"]["/dispatch/stats"]["get"]
                ["parameters"]}["area"]
        assert next(s["enum"] for s in area["schema"]["anyOf"] if "enum" in s) == ["all"]

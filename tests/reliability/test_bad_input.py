"""Bad input is a 4xx naming the field and the reason, never a 500 and never a booking half taken."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from api.timefmt import now_jst

from .conftest import at, day_after

PAST = "in the past"


def _booking(day: str | None = None, hhmm: str = "10:00", **extra: object) -> dict:
    return {"pickup": {"place": "st:Joshu-Tomioka"}, "dropoff": {"place": "tomioka_general_hospital"},
            "time": at(day or day_after(1), hhmm), **extra}


class Caller:
    """Posts with an operator key and a fresh Idempotency-Key per call."""

    def __init__(self, client, credentials) -> None:
        self.client = client
        self.headers = credentials.header("operator")
        self.admin = credentials.header("admin")
        self.count = 0

    def post(self, path: str, body: object = None, content: bytes | None = None,
             content_type: str | None = "application/json", role: str = "operator"):
        self.count += 1
        key = self.admin if role == "admin" else self.headers
        headers = {**key, "Idempotency-Key": f"bad-input-{self.count:05d}"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        payload = content if content is not None else json.dumps(body, ensure_ascii=False).encode()
        return self.client.post(path, content=payload, headers=headers)


@pytest.fixture
def caller(client, credentials) -> Caller:
    return Caller(client, credentials)


def _refused(response, status: int, field: str, *words: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert any(d["field"].startswith(field) for d in detail), detail
    reasons = " ".join(d["reason"] for d in detail)
    for word in words:
        assert word in reasons, (word, reasons)


def test_times_in_the_past_are_refused(caller):
    earlier_today = (now_jst() - timedelta(hours=1)).isoformat(timespec="seconds")
    yesterday = at(day_after(-1), "10:00")
    for moment in (earlier_today, yesterday):
        _refused(caller.post("/bookings", _booking() | {"time": moment}), 422, "body.time", PAST)
    booking = caller.post("/bookings", _booking()).json()
    _refused(caller.client.patch(f"/bookings/{booking['id']}", json={"time": earlier_today}, headers=caller.headers),
             422, "body.time")
    # nothing was taken for the refused requests
    listed = caller.client.get("/bookings", params={"day": day_after(-1)}, headers=caller.headers).json()
    assert listed == []


def test_times_out_of_range_and_odd_offsets(caller):
    _refused(caller.post("/bookings", _booking() | {"time": "0001-01-01T00:00:00+14:00"}), 422, "body.time")
    _refused(caller.post("/bookings", _booking() | {"time": "9999-12-31T23:59:59-12:00"}), 422, "body.time")
    _refused(caller.post("/bookings", _booking() | {"time": "2026-02-30T10:00:00+09:00"}), 422, "body.time")
    # 01:00 UTC tomorrow is 10:00 in Tokyo: offsets are honoured, not ignored
    utc = caller.post("/bookings", _booking() | {"time": f"{day_after(1)}T01:00:00+00:00"})
    assert utc.status_code == 201 and utc.json()["time"] == at(day_after(1), "10:00")
    for event_time in ("1970-01-01T00:00:00Z", "9999-12-31T23:00:00Z"):
        response = caller.post("/vehicles/tomioka-1/events", {"type": "shift_start", "at": event_time}, role="admin")
        _refused(response, 422, "body.at")


def test_invalid_calendar_days_in_queries(caller):
    for path in ("/bookings", "/dispatch/plans", "/dispatch/stats", "/vehicles/tomioka-1/plan"):
        response = caller.client.get(path, params={"day": "2026-02-30"}, headers=caller.admin)
        _refused(response, 422, "query.day")
    _refused(caller.post("/dispatch/reoptimise", {"day": "2026-13-45"}, role="admin"), 422, "body.day")


def test_inverted_windows_are_refused(caller):
    vehicle = {"id": "v-test", "municipality": "10210", "depot": "tomioka_city_hall"}
    _refused(caller.client.put("/vehicles/v-test", json=vehicle | {"shift_start": "17:00", "shift_end": "08:00"},
                               headers=caller.admin), 422, "body", "shift_end must be after shift_start")
    _refused(caller.client.put("/vehicles/v-test", json=vehicle | {"shift_start": "08:00", "shift_end": "08:00"},
                               headers=caller.admin), 422, "body", "shift_end must be after shift_start")
    _refused(caller.client.put("/vehicles/v-test", json=vehicle | {"shift_end": "25:75"}, headers=caller.admin),
             422, "body", "not a time")
    _refused(caller.client.put("/vehicles/v-test", json=vehicle | {"municipality": "99999"}, headers=caller.admin),
             422, "body.municipality")


def test_coordinates_outside_the_area_or_not_numbers(caller):
    _refused(caller.post("/bookings", _booking(pickup={"lat": 35.68, "lon": 139.76})), 422, "body.pickup", "outside")
    _refused(caller.post("/bookings", _booking(pickup={"lat": 95.0, "lon": 138.9})), 422, "body.pickup.lat")
    template = json.dumps(_booking()).replace('{"place": "st:Joshu-Tomioka"}', '{"lat": %s, "lon": 138.89}')
    for bad in ("NaN", "Infinity", "-Infinity", '"NaN"', '"36.2; DROP"', "null"):
        response = caller.post("/bookings", content=(template % bad).encode())
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["detail"][0]["field"].startswith("body.pickup"), (bad, response.text)
    nan = caller.post("/bookings", content=(template % "NaN").encode())
    assert "finite" in nan.json()["detail"][0]["reason"]
    event = b'{"type": "position", "lat": NaN, "lon": 138.9}'
    _refused(caller.post("/vehicles/tomioka-1/events", content=event, role="admin"), 422, "body.lat", "finite")
    _refused(caller.post("/vehicles/tomioka-1/events", {"type": "position", "lat": 0.0, "lon": 0.0}, role="admin"),
             422, "body", "outside")


def test_unknown_stops_and_records(caller):
    _refused(caller.post("/bookings", _booking(pickup={"place": "st:Atlantis"})), 422, "body.pickup.place",
             "unknown place")
    _refused(caller.post("/bookings", _booking(dropoff={"place": "st:Joshu-Tomioka"})), 422, "body.dropoff", "same")
    _refused(caller.post("/bookings", _booking(rider_id="rd-000000000000")), 422, "body.rider_id")
    vehicle = {"id": "v-test", "municipality": "10210", "depot": "nowhere"}
    _refused(caller.client.put("/vehicles/v-test", json=vehicle, headers=caller.admin), 422, "body.depot")
    response = caller.post("/vehicles/tomioka-1/events", {"type": "boarded", "booking_id": "bk-000000000000"},
                           role="admin")
    _refused(response, 404, "body.booking_id")
    _refused(caller.post("/dispatch/reassign", {"booking_id": "bk-000000000000", "vehicle_id": "tomioka-1"},
                         role="admin"), 404, "body.booking_id")


def test_huge_party_sizes(caller):
    for seats in (9, 10**6, 10**40, -1, 2.5, True, "3"):
        _refused(caller.post("/bookings", _booking(seats=seats)), 422, "body.seats")
    _refused(caller.post("/bookings", _booking(seats=0, wheelchairs=0)), 422, "body", "at least one rider")
    # within the form but larger than any vehicle: taken and rejected with the reason, not an error
    big = caller.post("/bookings", _booking(seats=8))
    assert big.status_code == 201 and big.json()["status"] == "rejected"
    assert big.json()["rejection"]["reason"] == "party_too_large"


def test_oversized_bodies_are_413(caller):
    huge_notes = caller.post("/bookings", _booking(notes="x" * 2_000_000))
    _refused(huge_notes, 413, "body", "bytes")
    padded = b'{"pickup": ' + b" " * 300_000 + b'{"place": "st:Joshu-Tomioka"}}'
    _refused(caller.post("/bookings", content=padded), 413, "body")
    # the limit also holds when the client does not say how long the body is (chunked upload)
    def chunks():
        for _ in range(40):
            yield b" " * 10_000
    headers = {**caller.headers, "Idempotency-Key": "bad-input-chunked", "Content-Type": "application/json"}
    response = caller.client.post("/bookings", content=chunks(), headers=headers)
    _refused(response, 413, "body")
    # a normal booking still fits comfortably
    assert caller.post("/bookings", _booking(notes="杖" * 300)).status_code == 201


def test_wrong_content_types_are_415(caller):
    body = json.dumps(_booking()).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data"):
        _refused(caller.post("/bookings", content=body, content_type=content_type), 415, "header.Content-Type",
                 "application/json")
    _refused(caller.post("/bookings", content=body, content_type=None), 415, "header.Content-Type")
    assert caller.post("/bookings", content=body, content_type="application/json; charset=utf-8").status_code == 201
    broken = caller.post("/bookings", content=b'{"pickup": ', content_type="application/json")
    assert broken.status_code == 400 and broken.json()["detail"][0]["field"] == "body"  # JSON syntax: 400
    bad_utf8 = caller.post("/riders", content=b'{"name": "\xff\xfe", "phone": "0274621115"}')
    assert bad_utf8.status_code in (400, 422) and bad_utf8.json()["detail"][0]["reason"]


def test_unicode_names_round_trip_and_control_characters_are_refused(caller):
    names = ["上州 花子", "ｶﾝﾗ ﾀﾛｳ", "👵🏻 おばあちゃん", "Zoë Ōtsuka", "김민수", "محمد", "A" * 80]
    for i, name in enumerate(names):
        created = caller.post("/riders", {"name": name, "phone": f"0274-62-{1000 + i}"})
        assert created.status_code == 201, (name, created.text)
        rider = caller.client.get(f"/riders/{created.json()['id']}", headers=caller.headers).json()
        assert rider["name"] == name
    found = caller.client.get("/riders", params={"name": "花子"}, headers=caller.headers).json()
    assert [r["name"] for r in found] == ["上州 花子"]
    for i, bad in enumerate(["a\u0000b", "line\nbreak", "\u202eevil", "bell\u0007", "A" * 81, "   "]):
        response = caller.post("/riders", {"name": bad, "phone": f"0274-63-{1000 + i}"})
        _refused(response, 422, "body.name")
    lone = caller.post("/riders", content=b'{"name": "\\ud800x", "phone": "0274621199"}')
    _refused(lone, 422, "body.name")
    notes = caller.post("/bookings", _booking(notes="車椅子 ♿ / 杖をお持ちです 🦯"))
    assert notes.status_code == 201 and notes.json()["notes"] == "車椅子 ♿ / 杖をお持ちです 🦯"
    assert caller.client.get("/places", params={"q": "富岡"}, headers=caller.headers).status_code == 200
    assert caller.client.get("/places?q=%ED%A0%80", headers=caller.headers).status_code in (200, 422)

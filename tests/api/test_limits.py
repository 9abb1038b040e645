"""Request hygiene: JSON only (415), small bodies (413), per-key rate limits (429), times and text that
cannot be meant (422)."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient

from api.app import create_app
from api.timefmt import now_jst

from .conftest import at, key_header, tomorrow

OP, ADMIN = key_header("operator"), key_header("admin")


def _booking(**extra):
    return {"pickup": {"place": "st:Joshu-Tomioka"}, "dropoff": {"place": "tomioka_city_hall"},
            "time": at(tomorrow(), "10:00"), **extra}


def test_bodies_must_be_json_and_small(client):
    headers = {**OP, "Idempotency-Key": "limits-0001"}
    body = json.dumps(_booking()).encode()
    wrong = client.post("/bookings", content=body, headers={**headers, "Content-Type": "text/plain"})
    assert wrong.status_code == 415 and wrong.json()["detail"][0]["field"] == "header.Content-Type"
    huge = client.post("/bookings", content=json.dumps(_booking(notes="x" * 100_000)).encode(),
                       headers={**headers, "Content-Type": "application/json"})
    assert huge.status_code == 413 and "bytes" in huge.json()["detail"][0]["reason"]

    def chunked():
        for _ in range(20):
            yield b" " * 10_000

    streamed = client.post("/bookings", content=chunked(), headers={**headers, "Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert client.post("/bookings", content=body, headers={**headers, "Content-Type":
                                                              "application/json; charset=utf-8"}).status_code == 201
    # commands without a body need no content type
    booking_id = client.get("/bookings", params={"day": tomorrow()}, headers=OP).json()[0]["id"]
    assert client.post(f"/bookings/{booking_id}/decline", headers=OP).status_code == 200


def test_rate_limit_is_per_key_and_shared_through_redis(settings, world, clean_redis):
    limited = settings.with_(rate_limit_per_min=3)
    with TestClient(create_app(limited, world)) as one, TestClient(create_app(limited, world)) as two:
        assert [c.get("/places?q=tomioka", headers=OP).status_code for c in (one, two, one)] == [200] * 3
        refused = two.get("/places?q=tomioka", headers=OP)
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["detail"][0]["field"] == "X-API-Key"
        assert one.get("/places?q=tomioka", headers=ADMIN).status_code == 200  # another key's budget


def test_times_and_days_that_cannot_be_meant(client):
    past = (now_jst() - timedelta(hours=1)).isoformat(timespec="seconds")
    for moment, words in ((past, "in the past"), ("0001-01-01T00:00:00+14:00", ""),
                          (at((now_jst() + timedelta(days=400)).date().isoformat(), "10:00"), "year ahead")):
        response = client.post("/bookings", json=_booking(time=moment), headers={**OP, "Idempotency-Key":
                                                                                  f"time-{moment[:19]}"})
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "body.time", response.text
        assert words in response.json()["detail"][0]["reason"]
    for path in ("/bookings", "/dispatch/plans", "/vehicles/tomioka-1/manifest"):
        response = client.get(path, params={"day": "2026-02-30"}, headers=ADMIN)
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "query.day"
    event = client.post("/vehicles/tomioka-1/events", json={"type": "shift_start", "at": "1970-01-01T00:00:00Z"},
                        headers=ADMIN)
    assert event.status_code == 422 and event.json()["detail"][0]["field"] == "body.at"


def test_text_with_control_characters_and_odd_numbers_is_refused(client):
    for i, name in enumerate(["a\u0000b", "line\nbreak", "\u202eevil", "   "]):
        response = client.post("/riders", json={"name": name, "phone": f"0274-63-{1000 + i}"}, headers=OP)
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "body.name", name
    emoji = client.post("/riders", json={"name": "👵🏻 おばあちゃん", "phone": "0274-63-2000"}, headers=OP)
    assert emoji.status_code == 201
    for i, seats in enumerate((True, "3", 2.5)):
        response = client.post("/bookings", json=_booking(seats=seats), headers={**OP, "Idempotency-Key":
                                                                                 f"seats-{i:04d}"})
        assert response.status_code == 422 and response.json()["detail"][0]["field"] == "body.seats"
    nan = b'{"pickup": {"lat": NaN, "lon": 138.89}, "dropoff": {"place": "tomioka_city_hall"}, "time": "%s"}'
    response = client.post("/bookings", content=nan % at(tomorrow(), "10:00").encode(),
                           headers={**OP, "Idempotency-Key": "nan-00001", "Content-Type": "application/json"})
    assert response.status_code == 422 and "finite" in response.json()["detail"][0]["reason"]
    vehicle = {"id": "x-1", "municipality": "99999", "depot": "tomioka_city_hall"}
    response = client.put("/vehicles/x-1", json=vehicle, headers=ADMIN)
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "body.municipality"

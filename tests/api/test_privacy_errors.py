"""Rider names and phone numbers never reach the logs; Redis down is a 503 with Retry-After."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from api.app import create_app
from api.privacy import PII_FILTER

from .conftest import at, key_header, tomorrow

OP = key_header("operator")


def test_rider_pii_never_in_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    name, phone = "妙義 梅子", "090-1234-5678"
    rider = client.post("/riders", json={"name": name, "phone": phone}, headers=OP).json()
    client.get("/riders", params={"phone": "09012345678"}, headers=OP)
    client.get("/riders", params={"name": "梅子"}, headers=OP)
    booking = {"rider_id": rider["id"], "pickup": {"place": "st:Joshu-Tomioka"},
               "dropoff": {"place": "tomioka_general_hospital"}, "time": at(tomorrow(), "10:00"),
               "notes": f"call {phone} on arrival"}
    client.post("/bookings", json=booking, headers={**OP, "Idempotency-Key": "pii-0001"})
    # code that slips up and logs PII anyway is scrubbed too
    logging.getLogger("api.careless").warning("rider %s phoned from %s", name, phone)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert rider["id"] in text  # ids are logged ...
    for secret in (name, phone, "09012345678", "1234-5678"):
        assert secret not in text, secret  # ... names and numbers are not


def test_filter_masks_phone_formats():
    for phone in ("0274-62-1234", "09012345678", "+81 90 1234 5678", "027 462 1234", "0274 (62) 9876"):
        assert phone not in PII_FILTER.scrub(f"tel {phone}."), phone
    for harmless in ("booking bk-3f9a2c1b7e0d at 10:00 2026-11-29", "fence 1764300000", "rd-012345678901"):
        assert PII_FILTER.scrub(harmless) == harmless


def test_redis_down_is_503_with_retry_after(settings, world):
    down = settings.with_(redis_url="redis://127.0.0.1:1/0")
    with TestClient(create_app(down, world)) as client:
        for method, path, body in [
            ("GET", "/riders?phone=0274621234", None),
            ("POST", "/riders", {"name": "A", "phone": "0274621234"}),
            ("GET", "/bookings", None),
            ("POST", "/bookings", {"pickup": {"place": "st:Joshu-Tomioka"},
                                   "dropoff": {"place": "tomioka_city_hall"}, "time": at(tomorrow(), "10:00")}),
            ("GET", "/health", None),
        ]:
            headers = {**OP, "Idempotency-Key": "down-0001"}
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["Retry-After"]
        assert client.get("/places?q=tomioka", headers=OP).status_code == 200  # static data still served


def test_redis_refusing_writes_is_told_apart_from_bugs():
    from redis.exceptions import ExecAbortError, OutOfMemoryError, ReadOnlyError, ResponseError

    from api.errors import store_refused

    for refused in (ReadOnlyError("You can't write against a read only replica."),
                    OutOfMemoryError("command not allowed when used memory > 'maxmemory'"),
                    ExecAbortError("Transaction discarded because of previous errors."),
                    ResponseError("NOREPLICAS Not enough good replicas to write."),
                    ResponseError("Error running script: OOM command not allowed")):
        assert store_refused(refused), refused
    assert not store_refused(ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"))

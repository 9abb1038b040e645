"""Audit of the phone desk's records in Redis: the rider registry and its indexes, standing-booking series,
round trips and the call-back list. Part of the books audit (``scripts/reliability/audit.py``); each problem is
one sentence naming the record (ids only: no names or numbers)."""

from __future__ import annotations

import json
from typing import Any

import redis

from api.keys import Keys
from api.store import rider_numbers


def _records(client: redis.Redis, pattern: str, exact_parts: int) -> dict[str, dict[str, Any]]:
    """JSON records of the keys matching ``pattern`` with exactly ``exact_parts`` ``:``-parts, by last part."""
    keys = [k for k in client.scan_iter(match=pattern, count=1000) if k.count(":") == exact_parts - 1]
    raws = client.mget(keys) if keys else []
    return {k.rsplit(":", 1)[1]: json.loads(r) for k, r in zip(keys, raws, strict=True) if r}


def audit_desk(client: redis.Redis, prefix: str) -> list[str]:
    """Problems found in the desk's records (empty: sound)."""
    keys = Keys(prefix)
    problems: list[str] = []
    parts = prefix.count(":") + 1
    riders = _records(client, keys.rider("*"), parts + 2)
    index = client.hgetall(keys.rider_index)
    for rider_id, rider in riders.items():
        for digits in rider_numbers(rider):
            owner = client.get(keys.rider_phone(digits))
            if owner != rider_id:
                problems.append(f"rider {rider_id}: a phone number of theirs is indexed to {owner}")
        if rider_id not in index:
            problems.append(f"rider {rider_id} is missing from the search index")
    for phone_key in client.scan_iter(match=keys.rider_phone("*"), count=1000):
        owner = client.get(phone_key)
        digits = phone_key.rsplit(":", 1)[1]
        if owner not in riders or digits not in rider_numbers(riders[owner]):
            problems.append(f"phone index entry {phone_key.rsplit(':', 1)[0]}:… points at rider {owner}, "
                            "who does not have that number")

    def booking(booking_id: str) -> dict[str, Any] | None:
        raw = client.get(keys.booking(booking_id))
        return json.loads(raw) if raw else None

    for series_id in sorted(client.smembers(keys.standing_index)):
        raw = client.get(keys.standing(series_id))
        if raw is None:
            problems.append(f"standing booking {series_id} is listed but has no record")
            continue
        series = json.loads(raw)
        if series["rider_id"] not in riders:
            problems.append(f"standing booking {series_id} belongs to unknown rider {series['rider_id']}")
        for day, occurrence in series["occurrences"].items():
            for leg in ("outbound", "return"):
                if occurrence.get(leg):
                    record = booking(occurrence[leg])
                    if record is None or record.get("standing_id") != series_id:
                        problems.append(f"standing booking {series_id} {day} {leg}: booking {occurrence[leg]} "
                                        "is missing or names another series")
    for trip_id, trip in _records(client, keys.round_trip("*"), parts + 2).items():
        for leg in ("outbound_id", "return_id"):
            if trip.get(leg):
                record = booking(trip[leg])
                if record is None or record.get("round_trip_id") != trip_id:
                    problems.append(f"round trip {trip_id}: booking {trip[leg]} is missing or names another trip")
    for callback_id, raw in client.hgetall(keys.callbacks).items():
        entry = json.loads(raw)
        if entry.get("rider_id") not in riders:
            problems.append(f"call-back {callback_id} names unknown rider {entry.get('rider_id')}")
        if entry.get("booking_id") and booking(entry["booking_id"]) is None:
            problems.append(f"call-back {callback_id} names missing booking {entry['booking_id']}")
    return problems

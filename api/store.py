"""Redis records the API reads and writes directly: riders, booking intake, vehicles, command results.

Booking records are created here (intake) and from then on changed only by the area's writer
(:mod:`api.writer`), so their status always agrees with the dispatcher snapshot written in the same
transaction.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any

from redis.asyncio import Redis

from api import audit
from api.auth import actor
from api.keys import Keys
from api.schemas import phone_digits

_INTAKE = """
local existing = redis.call('GET', KEYS[1])
if existing then return {0, existing} end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
if ARGV[6] == '1' then redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1]) end
local id = redis.call('XADD', KEYS[5], '*', 'cmd', ARGV[5])
return {1, id}
"""


def new_id(prefix: str) -> str:
    """A short random id, e.g. ``bk-3f9a2c1b7e0d``."""
    return f"{prefix}-{secrets.token_hex(6)}"


class Store:
    """Async access to the records the HTTP handlers need."""

    def __init__(self, redis: Redis, keys: Keys, idempotency_ttl_s: int = 7 * 86_400) -> None:
        self.redis = redis
        self.keys = keys
        self.idempotency_ttl_s = idempotency_ttl_s
        self._intake = redis.register_script(_INTAKE)

    # ------------------------------------------------------------------ riders
    async def create_rider(self, record: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Store a new rider; if the phone number is taken return that rider and False."""
        digits = phone_digits(record["phone"])
        rider_id = new_id("rd")
        if not await self.redis.set(self.keys.rider_phone(digits), rider_id, nx=True):
            existing = await self.redis.get(self.keys.rider_phone(digits))
            rider = await self.get_rider(existing) if existing else None
            if rider is not None:
                return rider, False
            await self.redis.set(self.keys.rider_phone(digits), rider_id)  # repair a dangling index entry
        record = {**record, "id": rider_id, "created_at": time.time()}
        search = f"{record['name'].lower()} {digits}"
        before, after = audit.rider_change(None, record)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.rider(rider_id), json.dumps(record, ensure_ascii=False))
            pipe.hset(self.keys.rider_index, rider_id, search)
            pipe.xadd(audit.stream_key(self.keys.prefix), audit.entry(actor.get(), "rider.created", rider_id, before,
                                                                      after))
            await pipe.execute()
        return record, True

    async def get_rider(self, rider_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.keys.rider(rider_id))
        return json.loads(raw) if raw else None

    async def find_riders(self, phone: str | None, name: str | None, limit: int = 20) -> list[dict[str, Any]]:
        """Riders whose phone digits contain ``phone`` or whose name contains ``name`` (case-insensitive)."""
        if phone:
            digits = phone_digits(phone)
            exact = await self.redis.get(self.keys.rider_phone(digits))
            if exact:
                rider = await self.get_rider(exact)
                return [rider] if rider else []
        needle_digits = phone_digits(phone) if phone else ""
        needle_name = name.lower() if name else ""
        hits: list[str] = []
        async for rider_id, text in self.redis.hscan_iter(self.keys.rider_index, count=1000):
            name_part, _, digits_part = text.rpartition(" ")
            if (needle_digits and needle_digits in digits_part) or (needle_name and needle_name in name_part):
                hits.append(rider_id)
                if len(hits) >= limit:
                    break
        riders = await self.redis.mget([self.keys.rider(r) for r in hits]) if hits else []
        return [json.loads(r) for r in riders if r]

    # ------------------------------------------------------------------ bookings
    async def intake(
        self, record: dict[str, Any], idempotency_key: str, stream: str, command: dict[str, Any]
    ) -> tuple[str, bool, str | None]:
        """Accept a booking: record + day index + command on the area's stream, atomically and idempotently.

        Returns
        -------
        tuple
            ``(booking_id, created, stream_entry_id)``; on a replay of the key the earlier booking's id,
            False and None.
        """
        booking_id = record["id"]
        rider = record.get("rider_id") or "-"
        created, value = await self._intake(
            keys=[
                self.keys.idempotency(idempotency_key),
                self.keys.booking(booking_id),
                self.keys.bookings_of_day(record["service_day"]),
                self.keys.bookings_of_rider(rider),
                stream,
            ],
            args=[
                booking_id,
                json.dumps(record, ensure_ascii=False),
                self.idempotency_ttl_s,
                record["requested_time"],
                json.dumps(command),
                "1" if record.get("rider_id") else "0",
            ],
        )
        if int(created) == 1:
            return booking_id, True, value
        return value, False, None

    async def get_booking(self, booking_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.keys.booking(booking_id))
        return json.loads(raw) if raw else None

    async def bookings(self, ids: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        raws = await self.redis.mget([self.keys.booking(b) for b in ids])
        return [json.loads(r) for r in raws if r]

    async def booking_ids_of_day(self, day: str, limit: int) -> list[str]:
        return await self.redis.zrange(self.keys.bookings_of_day(day), 0, limit - 1)

    async def booking_ids_of_rider(self, rider_id: str, limit: int) -> list[str]:
        return await self.redis.zrevrange(self.keys.bookings_of_rider(rider_id), 0, limit - 1)

    async def enqueue(self, stream: str, command: dict[str, Any]) -> str:
        """Append a command to an area stream; return its entry id."""
        return await self.redis.xadd(stream, {"cmd": json.dumps(command)})

    async def wait_result(self, key: str, timeout_s: float) -> dict[str, Any] | None:
        """Poll for a command's result written by whichever writer applied it."""
        deadline = time.monotonic() + timeout_s
        pause = 0.005
        while True:
            raw = await self.redis.get(key)
            if raw is not None:
                return json.loads(raw)
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)

    # ------------------------------------------------------------------ vehicles
    async def vehicle_definitions(self) -> list[dict[str, Any]]:
        ids = sorted(await self.redis.smembers(self.keys.vehicles))
        raws = await self.redis.mget([self.keys.vehicle(v) for v in ids]) if ids else []
        return [json.loads(r) for r in raws if r]

    async def vehicle_definition(self, vehicle_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.keys.vehicle(vehicle_id))
        return json.loads(raw) if raw else None

    async def put_vehicle(self, definition: dict[str, Any]) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.vehicle(definition["id"]), json.dumps(definition, ensure_ascii=False))
            pipe.sadd(self.keys.vehicles, definition["id"])
            await pipe.execute()

    async def seed_vehicles(self, definitions: list[dict[str, Any]]) -> int:
        """Store the fleet file's vehicles unless a fleet is already registered; return how many were added."""
        if await self.redis.scard(self.keys.vehicles):
            return 0
        for definition in definitions:
            await self.put_vehicle(definition)
        return len(definitions)

    async def positions(self, vehicle_ids: list[str]) -> dict[str, dict[str, Any]]:
        if not vehicle_ids:
            return {}
        raws = await self.redis.mget([self.keys.vehicle_position(v) for v in vehicle_ids])
        return {v: json.loads(r) for v, r in zip(vehicle_ids, raws, strict=True) if r}

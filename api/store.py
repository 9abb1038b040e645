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
import unicodedata
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


def normalise_name(text: str) -> str:
    """A name or kana reading as searched: NFKC, lower case, no spaces, katakana as hiragana."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in folded if not c.isspace())


def rider_numbers(record: dict[str, Any]) -> list[str]:
    """National digits of every phone number of a rider (the main one first, no repeats)."""
    return list(dict.fromkeys(phone_digits(p) for p in [record["phone"], *(record.get("phones") or [])]))


def search_text(record: dict[str, Any]) -> str:
    """The rider index entry: ``<name>|<kana> <digits>,<digits>`` (the last space splits names from numbers)."""
    names = f"{normalise_name(record['name'])}|{normalise_name(record.get('kana') or '')}"  # kana may be removed (null)
    return f"{names} {','.join(rider_numbers(record))}"


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
        """Store a new rider; if one of its phone numbers is taken return that rider and False."""
        numbers = rider_numbers(record)
        rider_id = new_id("rd")
        claimed: list[str] = []
        for digits in numbers:
            if await self.redis.set(self.keys.rider_phone(digits), rider_id, nx=True):
                claimed.append(digits)
                continue
            existing = await self.redis.get(self.keys.rider_phone(digits))
            rider = await self.get_rider(existing) if existing else None
            if rider is not None:
                if claimed:
                    await self.redis.delete(*[self.keys.rider_phone(d) for d in claimed])
                return rider, False
            await self.redis.set(self.keys.rider_phone(digits), rider_id)  # repair a dangling index entry
        now = time.time()
        record = {**record, "id": rider_id, "created_at": now, "updated_at": now}
        before, after = audit.rider_change(None, record)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.rider(rider_id), json.dumps(record, ensure_ascii=False))
            pipe.hset(self.keys.rider_index, rider_id, search_text(record))
            pipe.xadd(audit.stream_key(self.keys.prefix), audit.entry(actor.get(), "rider.created", rider_id, before,
                                                                      after))
            await pipe.execute()
        return record, True

    async def update_rider(
        self, rider_id: str, changes: dict[str, Any], by: str
    ) -> tuple[dict[str, Any] | None, str | None]:
        """Apply ``changes`` to a rider and append who changed what to its history.

        Returns ``(rider, None)``, ``(None, None)`` for an unknown rider, or ``(None, digits)`` when a new
        phone number belongs to another rider (nothing is changed then).
        """
        rider = await self.get_rider(rider_id)
        if rider is None:
            return None, None
        updated = {**rider, **changes}
        old_numbers, new_numbers = set(rider_numbers(rider)), rider_numbers(updated)
        for digits in new_numbers:
            if digits in old_numbers:
                continue
            if not await self.redis.set(self.keys.rider_phone(digits), rider_id, nx=True):
                owner = await self.redis.get(self.keys.rider_phone(digits))
                if owner != rider_id and owner and await self.redis.exists(self.keys.rider(owner)):
                    return None, digits
                await self.redis.set(self.keys.rider_phone(digits), rider_id)
        diff = {k: [rider.get(k), v] for k, v in changes.items() if rider.get(k) != v}
        now = time.time()
        updated["updated_at"] = now
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.rider(rider_id), json.dumps(updated, ensure_ascii=False))
            pipe.hset(self.keys.rider_index, rider_id, search_text(updated))
            for digits in old_numbers - set(new_numbers):
                pipe.delete(self.keys.rider_phone(digits))
            if diff:
                entry = {"at": now, "by": by, "changes": diff}
                pipe.rpush(self.rider_history_key(rider_id), json.dumps(entry, ensure_ascii=False))
                before, after = audit.rider_change(rider, updated)
                pipe.xadd(audit.stream_key(self.keys.prefix), audit.entry(by, "rider.edited", rider_id, before, after))
            await pipe.execute()
        return updated, None

    async def count_for_rider(self, rider_id: str, field: str, by: str) -> None:
        """Add one to a rider's ``no_show_count`` or ``late_cancel_count`` (recorded in the history)."""
        rider = await self.get_rider(rider_id)
        if rider is not None:
            await self.update_rider(rider_id, {field: int(rider.get(field, 0)) + 1}, by)

    def rider_history_key(self, rider_id: str) -> str:
        return f"{self.keys.prefix}:rider:{rider_id}:history"

    async def rider_history(self, rider_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The rider's edits, newest first."""
        raws = await self.redis.lrange(self.rider_history_key(rider_id), -limit, -1)
        return [json.loads(r) for r in reversed(raws)]

    async def get_rider(self, rider_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.keys.rider(rider_id))
        return json.loads(raw) if raw else None

    async def riders(self, rider_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Riders by id (unknown ids left out)."""
        raws = await self.redis.mget([self.keys.rider(r) for r in rider_ids]) if rider_ids else []
        return {r["id"]: r for r in (json.loads(raw) for raw in raws if raw)}

    async def find_riders(self, phone: str | None, name: str | None, limit: int = 20,
                          offset: int = 0) -> list[dict[str, Any]]:
        """Riders with a phone number containing ``phone``'s digits, or whose name or kana reading contains
        ``name`` (width, case, spaces and katakana/hiragana ignored). Neither: every rider, by id (``offset``
        skips that many, to page through the registry)."""
        if not phone and not name:
            page = sorted(await self.redis.hkeys(self.keys.rider_index))[offset:offset + limit]
            listed = await self.redis.mget([self.keys.rider(r) for r in page]) if page else []
            return [json.loads(r) for r in listed if r]
        if phone:
            digits = phone_digits(phone)
            exact = await self.redis.get(self.keys.rider_phone(digits))
            if exact:
                rider = await self.get_rider(exact)
                return [rider] if rider else []
        needle_digits = phone_digits(phone) if phone else ""
        needle_name = normalise_name(name) if name else ""
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

    # ------------------------------------------------------------------ replication
    async def replicated(self, replicas: int, timeout_ms: int) -> int:
        """How many replicas confirm, within ``timeout_ms`` milliseconds, everything written so far.

        ``WAIT`` counts only the writes of its own connection, so one write of ours goes first on the same
        connection (a pipeline): replication is one ordered stream, so a replica that has our write has
        every earlier write of every client too (the intake, the writer's commit of the offer).
        """
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.incr(f"{self.keys.prefix}:replication:barrier")
            pipe.wait(replicas, timeout_ms)
            _, acked = await pipe.execute()
        return int(acked)

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

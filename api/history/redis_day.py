"""A service day as Redis holds it, for the archiver: read it whole, tell whether it is closed, trim it.

What a day is in Redis (docs/api.md, docs/history.md): the area's dispatcher snapshot hash (engine and
trip-planner state, executed stops included), the booking records of the day (``bookings:day:<day>``,
filtered by area), the riders they name, the commands of the day on the area's booking and vehicle
streams, the writer's results that have not expired yet, and the commit-log entries that wrote the day.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from redis import Redis, WatchError

from api.engine import DayEngine
from api.history.rows import OPEN_STATUSES, EngineDay
from api.keys import Keys
from api.timefmt import day_start, epoch_seconds_on
from api.world import World
from dispatch.fares import FareTable

STREAMS = ("bookings", "vehicles")


def _entry_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def scan_stream(redis: Redis, stream: str, chunk: int = 1000) -> Iterator[tuple[str, dict[str, str]]]:
    """Every entry of ``stream`` in order, read ``chunk`` at a time."""
    start = "-"
    while True:
        batch = redis.xrange(stream, min=start, count=chunk)
        yield from batch
        if len(batch) < chunk:
            return
        start = "(" + batch[-1][0]


@dataclass
class AreaLog:
    """An area's streams and commit log, grouped by service day (read once per archiver pass)."""

    commands: dict[str, list[tuple[str, str, dict[str, Any]]]] = field(default_factory=lambda: defaultdict(list))
    commits: dict[str, list[tuple[str, str, int, int]]] = field(default_factory=lambda: defaultdict(list))
    cursor: dict[str, str] = field(default_factory=dict)

    def pending(self, day: str) -> int:
        """Commands of ``day`` the writer has not applied yet (after the area's cursor)."""
        return sum(1 for stream, entry_id, _ in self.commands.get(day, [])
                   if _entry_key(entry_id) > _entry_key(self.cursor.get(stream, "0-0")))


def _stream_name(keys: Keys, area: str, stream: str) -> str:
    return keys.booking_stream(area) if stream == "bookings" else keys.vehicle_stream(area)


def read_area_log(redis: Redis, keys: Keys, area: str) -> AreaLog:
    log = AreaLog(cursor=redis.hgetall(keys.cursor(area)))
    for stream in STREAMS:
        for entry_id, fields in scan_stream(redis, _stream_name(keys, area, stream)):
            command = json.loads(fields["cmd"])
            log.commands[command.get("day", "")].append((stream, entry_id, command))
    for entry_id, fields in scan_stream(redis, keys.commits(area)):
        for day, version in json.loads(fields.get("versions", "{}")).items():
            log.commits[day].append((entry_id, fields.get("writer", ""), int(fields.get("fence", 0)), int(version)))
    for entries in log.commands.values():
        entries.sort(key=lambda e: _entry_key(e[1]))
    return log


def day_records(redis: Redis, keys: Keys, area: str, day: str) -> dict[str, dict[str, Any]]:
    """The booking records of (area, day), by id."""
    ids = redis.zrange(keys.bookings_of_day(day), 0, -1)
    raws = redis.mget([keys.booking(b) for b in ids]) if ids else []
    records = (json.loads(r) for r in raws if r)
    return {r["id"]: r for r in records if r.get("area") == area}


def closed_reason(redis: Redis, keys: Keys, area: str, day: str, log: AreaLog, now_epoch: float,
                  margin_h: float) -> str | None:
    """Why (area, day) is not closed yet, or None when it is.

    Closed means: the service day is over (its midnight end plus ``margin_h`` hours has passed), no booking
    of the day is still open (requested, offered, confirmed, assigned, on board), and the writer has
    applied every command of the day.
    """
    closes = day_start(day) + timedelta(days=1, hours=margin_h)
    if now_epoch < closes.timestamp():
        return f"not over until {closes.isoformat()}"
    open_ = sorted(b for b, r in day_records(redis, keys, area, day).items() if r["status"] in OPEN_STATUSES)
    if open_:
        return f"{len(open_)} booking(s) still open ({', '.join(open_[:3])}{'...' if len(open_) > 3 else ''})"
    pending = log.pending(day)
    if pending:
        return f"{pending} command(s) not applied yet"
    return None


def load_day(redis: Redis, keys: Keys, world: World, area: str, day: str, log: AreaLog) -> EngineDay | None:
    """The (area, day) as an :class:`EngineDay`, or None when Redis has no snapshot of it."""
    data, trips, version = redis.hmget(keys.snapshot(area, day), ["data", "trips", "version"])
    if not data:
        return None
    engine: DayEngine = world.restore_engine(json.loads(data), json.loads(trips) if trips else None, day)
    records = day_records(redis, keys, area, day)
    rider_ids = sorted({r["rider_id"] for r in records.values() if r.get("rider_id")})
    raws = redis.mget([keys.rider(r) for r in rider_ids]) if rider_ids else []
    riders = {rid: json.loads(raw) for rid, raw in zip(rider_ids, raws, strict=True) if raw}
    commands = log.commands.get(day, [])
    result_raws = redis.mget([keys.result(area, e) for _, e, _ in commands]) if commands else []
    results = {e: json.loads(raw) for (_, e, _), raw in zip(commands, result_raws, strict=True) if raw}
    shift_times: dict[str, list[int | None]] = defaultdict(lambda: [None, None])
    for _, _, command in commands:
        if command["op"] in ("start_shift", "end_shift") and command.get("at") is not None:
            slot = 0 if command["op"] == "start_shift" else 1
            at_s = epoch_seconds_on(day, float(command["at"]))
            current = shift_times[command["vehicle_id"]][slot]
            shift_times[command["vehicle_id"]][slot] = at_s if current is None or slot == 1 else min(current, at_s)
    model = world.operating_model
    return EngineDay(
        area=area, service_day=day, dispatcher=engine.dispatcher, records=records, riders=riders,
        itineraries=engine.planner.itineraries() if engine.planner is not None else [],
        commands=commands, results=results, commits=log.commits.get(day, []), costs=world.network,
        fares=model.fares if model is not None else FareTable(), source="redis",
        shift_times={v: (t[0], t[1]) for v, t in shift_times.items()}, version=int(version or 0),
    )


def trim_day(redis: Redis, keys: Keys, area: str, day: str, version: int) -> int | None:
    """Delete the Redis copy of (area, day) in one MULTI: booking records and their indexes, the snapshot and
    the day's entry in the area's day set. Riders stay (they book again).

    Only if the snapshot is still at ``version`` (the one archived) when the MULTI runs; None (nothing
    deleted) when a writer committed to the day meanwhile. Returns the bookings removed.
    """
    records = day_records(redis, keys, area, day)
    with redis.pipeline(transaction=True) as pipe:
        pipe.watch(keys.snapshot(area, day))
        if int(pipe.hget(keys.snapshot(area, day), "version") or 0) != version:
            return None
        pipe.multi()
        for booking_id, record in records.items():
            pipe.delete(keys.booking(booking_id))
            pipe.zrem(keys.bookings_of_day(day), booking_id)
            if record.get("rider_id"):
                pipe.zrem(keys.bookings_of_rider(record["rider_id"]), booking_id)
        pipe.delete(keys.snapshot(area, day))
        pipe.srem(keys.days(area), day)
        try:
            pipe.execute()
        except WatchError:
            return None
    return len(records)


def _after(entry_id: str) -> str:
    ms, seq = _entry_key(entry_id)
    return f"{ms}-{seq + 1}"


def trim_streams(redis: Redis, keys: Keys, area: str, gone: set[str], log: AreaLog) -> dict[str, int]:
    """Trim the area's command streams and commit log behind the archiver, never ahead of it.

    An entry may go only if its service day is in ``gone`` (archived, verified and trimmed from Redis) and,
    for commands, the writer has applied it; the first entry that may not go and everything after it stay.
    Returns the entries removed per stream.
    """
    removed: dict[str, int] = {}
    by_stream: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for day, entries in log.commands.items():
        for stream, entry_id, _ in entries:
            by_stream[stream].append((entry_id, day))
    targets = {_stream_name(keys, area, s): (s, sorted(by_stream.get(s, []), key=lambda e: _entry_key(e[0])))
               for s in STREAMS}
    commit_entries: dict[str, set[str]] = defaultdict(set)
    for day, entries in log.commits.items():
        for entry_id, *_ in entries:
            commit_entries[entry_id].add(day)
    for name, (stream, entries) in targets.items():
        applied = _entry_key(log.cursor.get(stream, "0-0"))
        minid = _first_kept(((e, {d}) for e, d in entries), gone, applied)
        removed[stream] = int(redis.xtrim(name, minid=minid, approximate=False)) if minid else 0
    ordered = sorted(commit_entries.items(), key=lambda e: _entry_key(e[0]))
    minid = _first_kept(iter(ordered), gone, None)
    removed["commits"] = int(redis.xtrim(keys.commits(area), minid=minid, approximate=False)) if minid else 0
    return removed


def _first_kept(entries: Iterator[tuple[str, set[str]]], gone: set[str], applied: tuple[int, int] | None) -> str | None:
    """MINID for XTRIM: the first entry that must stay (or just past the last one); None if nothing may go."""
    last = None
    for entry_id, days in entries:
        if not days <= gone or (applied is not None and _entry_key(entry_id) > applied):
            return entry_id if last is not None else None
        last = entry_id
    return _after(last) if last is not None else None

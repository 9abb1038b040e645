"""Audit the books in Redis: every accepted booking once, no seat given twice, every plan valid.

Usable from tests (``audit(...)`` returns the problems found) and by hand against a live store::

    python scripts/reliability/audit.py --redis redis://127.0.0.1:6379/0 --prefix kt --day 2026-12-01

The checks read only what the API and the worker committed; they restore each (area, day) dispatcher
from its snapshot and ask our own validator (:meth:`dispatch.online.dispatcher.Dispatcher.check`, i.e.
:func:`dispatch.validator.validate`) whether its plans keep every promise and capacity.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from api.keys import Keys  # noqa: E402
from api.redis_client import sync_client  # noqa: E402

IN_PLAN = frozenset({"offered", "confirmed", "assigned"})
"""Statuses of a booking that must sit in exactly one vehicle's remaining plan."""
OUT_OF_PLAN = frozenset({"cancelled", "rejected", "completed", "no_show"})


@dataclass
class AuditReport:
    """What the audit saw and every problem it found (empty ``problems``: the books are sound)."""

    bookings: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    plans_checked: int = 0
    stops_checked: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        if len(self.problems) < 200:
            self.problems.append(message)

    def summary(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items()))
        return (f"{self.bookings} bookings ({counts}); {self.plans_checked} plans, {self.stops_checked} stops; "
                f"{len(self.problems)} problems")


def _stream_requests(client: redis.Redis, stream: str) -> Counter[str]:
    """How often each booking id was put on a booking stream as a ``request`` command."""
    counts: Counter[str] = Counter()
    last = "-"
    while True:
        batch = client.xrange(stream, min=last, count=1000)
        if last != "-":
            batch = batch[1:]
        if not batch:
            return counts
        for _, fields in batch:
            command = json.loads(fields["cmd"])
            if command.get("op") == "request":
                counts[command["booking_id"]] += 1
        last = batch[-1][0]


def audit(
    client: redis.Redis,
    prefix: str,
    days: Iterable[str],
    accepted: Mapping[str, str] | None = None,
    areas: Iterable[str] | None = None,
    network: Any = None,
    settled: bool = True,
) -> AuditReport:
    """Check the books of ``days``.

    Parameters
    ----------
    client
        Synchronous Redis client with ``decode_responses=True``.
    prefix
        Key prefix of the deployment (``KANRA_KEY_PREFIX``).
    days
        Service days (``YYYY-MM-DD``) to check.
    accepted
        Idempotency key -> booking id of every booking the API answered with a 2xx; each must exist
        exactly once, under that key.
    areas
        Service areas (default: every area that committed a snapshot).
    network
        Travel costs to restore dispatchers over (default: :meth:`routing.RoadNetwork.load`).
    settled
        True once the writers had time to drain: then no booking may still be ``requested`` and every
        stream entry must have been applied.
    """
    from dispatch.online.dispatcher import Dispatcher
    from routing import RoadNetwork

    keys = Keys(prefix)
    report = AuditReport()
    network = network or RoadNetwork.load()
    days = sorted(set(days))
    records: dict[str, dict[str, Any]] = {}
    for day in days:
        ids = client.zrange(keys.bookings_of_day(day), 0, -1)
        for booking_id, raw in zip(ids, client.mget([keys.booking(b) for b in ids]) if ids else [], strict=True):
            if raw is None:
                report.add(f"booking {booking_id} is indexed for {day} but has no record")
                continue
            records[booking_id] = json.loads(raw)
    report.bookings = len(records)
    report.statuses.update(r["status"] for r in records.values())

    for key, booking_id in (accepted or {}).items():
        stored = client.get(keys.idempotency(key))
        if stored != booking_id:
            report.add(f"idempotency key {key}: answered {booking_id}, stored {stored}")
        if booking_id not in records:
            report.add(f"accepted booking {booking_id} (key {key}) is missing from its day index")
    if accepted is not None and len(set(accepted.values())) != len(accepted):
        report.add("two idempotency keys were answered with the same booking")

    area_names = sorted(set(areas) if areas is not None else {r["area"] for r in records.values()})
    requests: Counter[str] = Counter()
    for area in area_names:
        requests.update(_stream_requests(client, keys.booking_stream(area)))
        if settled:
            _check_streams_applied(client, keys, area, report)
    for booking_id, record in records.items():
        if requests[booking_id] != 1:
            report.add(f"booking {booking_id} was put on its stream {requests[booking_id]} times")
        if settled and record["status"] == "requested":
            report.add(f"booking {booking_id} is still requested: nobody answered it")

    planned: dict[str, str] = {}
    pins: dict[str, str] = {}
    for area in area_names:
        for day in days:
            data = client.hget(keys.snapshot(area, day), "data")
            if not data:
                continue
            dispatcher = Dispatcher.restore(json.loads(data), network)
            _check_dispatcher(dispatcher, area, day, planned, report)
            pins.update(dispatcher.pins())
    _check_pins(records, planned, pins, report)
    if settled:
        _check_audit_log(client, prefix, records, report)
    for booking_id, record in records.items():
        vehicle = planned.get(booking_id)
        if record["status"] in IN_PLAN:
            if vehicle is None:
                report.add(f"booking {booking_id} is {record['status']} but in no vehicle's plan")
            elif record.get("vehicle_id") not in (None, vehicle):
                report.add(f"booking {booking_id} is promised to {record.get('vehicle_id')} but planned on {vehicle}")
        elif record["status"] in OUT_OF_PLAN and vehicle is not None:
            report.add(f"booking {booking_id} is {record['status']} but still planned on {vehicle}")
    for booking_id in planned:
        if booking_id not in records:
            report.add(f"a plan carries booking {booking_id} that has no record")
    from api.desk_audit import audit_desk  # the rider registry, standing series, round trips, call-backs

    for problem in audit_desk(client, prefix):
        report.add(problem)
    return report


def _check_pins(records: Mapping[str, dict[str, Any]], planned: Mapping[str, str], pins: Mapping[str, str],
                report: AuditReport) -> None:
    """A pinned booking is planned on its pinned vehicle, and its record says it is pinned there."""
    for booking_id, vehicle in pins.items():
        if planned.get(booking_id) not in (None, vehicle):
            report.add(f"booking {booking_id} is pinned to {vehicle} but planned on {planned[booking_id]}")
    for booking_id, record in records.items():
        if record["status"] in IN_PLAN and record.get("pinned_to") != pins.get(booking_id):
            report.add(f"booking {booking_id}: the record says pinned to {record.get('pinned_to')}, the dispatcher"
                       f" {pins.get(booking_id)}")


def _check_audit_log(client: redis.Redis, prefix: str, records: Mapping[str, dict[str, Any]],
                     report: AuditReport) -> None:
    """Each answered booking has exactly one ``booking.created`` entry in the append-only audit log."""
    stream = f"{prefix}:audit"
    if not client.exists(stream):
        return  # books written before the audit log existed
    created: Counter[str] = Counter()
    for _, fields in client.xrange(stream):
        if fields.get("action") == "booking.created":
            created[fields.get("target", "")] += 1
    for booking_id, record in records.items():
        if record["status"] != "requested" and created[booking_id] != 1:
            report.add(f"booking {booking_id} has {created[booking_id]} 'booking.created' audit entries")


def _check_streams_applied(client: redis.Redis, keys: Keys, area: str, report: AuditReport) -> None:
    cursor = client.hgetall(keys.cursor(area))
    for name, stream in (("bookings", keys.booking_stream(area)), ("vehicles", keys.vehicle_stream(area))):
        last = client.xrevrange(stream, count=1)
        if last and cursor.get(name) != last[0][0]:
            report.add(f"area {area}: stream {name} ends at {last[0][0]} but was applied up to {cursor.get(name)}")


def _check_dispatcher(dispatcher: Any, area: str, day: str, planned: dict[str, str], report: AuditReport) -> None:
    """Plans of one (area, day): valid by our validator, each booking on one vehicle, pickup before drop-off."""
    for violation in dispatcher.check():
        report.add(f"{area}/{day}: plan violates a rule: {violation}")
    seats = {v.id: (v.seats, v.wheelchair_places) for v in dispatcher.vehicles}
    for vehicle_id, plan in dispatcher.plans().items():
        report.plans_checked += 1
        kinds: dict[str, list[str]] = {}
        for stop in plan.stops:
            report.stops_checked += 1
            kinds.setdefault(stop.booking_id, []).append(str(stop.kind))
            cap_seats, cap_wheelchairs = seats[vehicle_id]
            if stop.seats_after > cap_seats or stop.wheelchairs_after > cap_wheelchairs:
                report.add(f"{area}/{day}: {vehicle_id} leaves a stop of {stop.booking_id} with "
                           f"{stop.seats_after} seats / {stop.wheelchairs_after} wheelchairs taken "
                           f"(has {cap_seats} / {cap_wheelchairs})")
        for booking_id, sequence in kinds.items():
            other = planned.setdefault(booking_id, vehicle_id)
            if other != vehicle_id:
                report.add(f"booking {booking_id} is planned on two vehicles: {other} and {vehicle_id}")
            if sequence not in (["pickup", "dropoff"], ["dropoff"]):
                report.add(f"{area}/{day}: {vehicle_id} visits booking {booking_id} as {sequence}")
    engine = {b.id: str(b.status) for b in dispatcher.bookings()}
    for booking_id, vehicle_id in list(planned.items()):
        if booking_id in engine and engine[booking_id] not in IN_PLAN | {"onboard"}:
            report.add(f"{area}/{day}: booking {booking_id} is {engine[booking_id]} in the engine yet planned on "
                       f"{vehicle_id}")


@dataclass
class CommitLog:
    """The writers' commit log of one area (``{prefix}:area:{area}:commits``): who committed what, under which fence."""

    entries: list[tuple[str, int, str, dict[str, int]]]  # (entry id, fence, writer, {day: version})

    @classmethod
    def read(cls, client: redis.Redis, prefix: str, area: str) -> CommitLog:
        entries = []
        for entry_id, fields in client.xrange(f"{prefix}:area:{area}:commits"):
            entries.append((entry_id, int(fields["fence"]), fields["writer"], json.loads(fields["versions"])))
        return cls(entries)

    def writers(self, since_entry: str = "0-0") -> Counter[str]:
        """How many commits each writer made (after stream id ``since_entry``)."""
        since = _id_key(since_entry)
        return Counter(w for entry_id, _, w, _ in self.entries if _id_key(entry_id) > since)

    def problems(self) -> list[str]:
        """Every sign of two writers at once: a fence going back, a snapshot version skipped or written twice."""
        found: list[str] = []
        last_fence = 0
        last_version: dict[str, int] = {}
        for entry_id, fence, writer, versions in self.entries:
            if fence < last_fence:
                found.append(f"{entry_id}: {writer} committed with fence {fence} after fence {last_fence}")
            last_fence = max(last_fence, fence)
            for day, version in versions.items():
                expected = last_version.get(day, version - 1) + 1
                if version != expected:
                    found.append(f"{entry_id}: {writer} wrote version {version} of {day}, expected {expected}"
                                 " (a lost or doubled update)")
                last_version[day] = version
        return found


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Audit the booking books kept in Redis.")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="Redis URL (loopback)")
    parser.add_argument("--prefix", default="kt", help="key prefix (KANRA_KEY_PREFIX)")
    parser.add_argument("--day", action="append", required=True, help="service day YYYY-MM-DD (repeatable)")
    args = parser.parse_args(argv)
    client = sync_client(args.redis, decode_responses=True)  # redis:// or redis+sentinel://
    try:
        report = audit(client, args.prefix, args.day)
    except redis.exceptions.ConnectionError as exc:
        print(f"audit: cannot reach {args.redis}: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    for problem in report.problems:
        print(f"  - {problem}")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())

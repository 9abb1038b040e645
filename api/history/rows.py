"""One finished service day as history rows: built from a day's engine (dispatcher, trip planner) and its
booking records, commands and commit log, the same way for the live service and for the simulator.

:func:`day_rows` is pure: it reads what it is given and returns plain dicts per table (the columns of
:mod:`api.history.models`), so the archiver can checksum exactly what it writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from api.history.riders import RiderPolicy
from api.timefmt import epoch_seconds_on
from dispatch.accounting import MunicipalAccounts, vehicle_segments
from dispatch.fares import FareTable

#: Status a booking has after a command succeeded (requests: offered or rejected, decided by the record);
#: other commands (modify, reassign, arrive) leave the status as it was.
STATUS_AFTER = {"confirm": "confirmed", "decline": "declined", "cancel": "cancelled", "board": "onboard",
                "drop_off": "completed", "no_show": "no_show"}
OPEN_STATUSES = frozenset({"requested", "offered", "confirmed", "assigned", "onboard"})


@dataclass
class EngineDay:
    """Everything known about one (area, service day) once it is over.

    Parameters
    ----------
    dispatcher
        The day's :class:`dispatch.Dispatcher` (executed stops, plans, bookings).
    records
        Caller booking id -> booking record in the API's stored form (``api.routers.bookings``); a record
        may carry ``history`` (a list of ``{at, status, op, ok, reason}``) when no commands exist (simulator).
    commands
        ``(stream, entry_id, command)`` of every command of the day, in stream order.
    results
        Entry id -> the writer's result, where Redis still has it (they expire).
    commits
        ``(entry_id, writer, fence, version)`` of the commit-log entries that wrote the day.
    costs, fares
        Road costs for vehicle-km/-hours, and the fare table for rides whose offer carries no fare.
    """

    area: str
    service_day: str
    dispatcher: Any
    records: dict[str, dict[str, Any]]
    riders: dict[str, dict[str, Any]] = field(default_factory=dict)
    itineraries: list[Any] = field(default_factory=list)
    commands: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    commits: list[tuple[str, str, int, int]] = field(default_factory=list)
    costs: Any = None
    fares: FareTable | None = None
    source: str = "redis"
    shift_times: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    version: int = 0  # the snapshot version it was read at (the archiver trims only that version)


def moment(epoch_s: float | None) -> datetime | None:
    """UTC datetime of a Unix time, to the millisecond (what the checksum compares)."""
    if epoch_s is None:
        return None
    return datetime.fromtimestamp(round(float(epoch_s), 3), UTC)


def owner(booking_id: str) -> str:
    return booking_id.split("/", 1)[0]


def day_rows(day: EngineDay, policy: RiderPolicy, position_sample_s: int = 60) -> dict[str, list[dict[str, Any]]]:
    """The rows of every history table for ``day`` (table name -> list of column dicts)."""
    d = day.dispatcher
    service_day = date.fromisoformat(day.service_day)
    done: dict[str, dict[str, Any]] = defaultdict(dict)  # leg booking id -> {"pickup": stop, "dropoff": stop}
    stops, shifts = [], []
    bookings = {b.id: b for b in d.bookings()}
    for vehicle in sorted(d.vehicles, key=lambda v: v.id):
        executed = d.executed(vehicle.id)
        for seq, stop in enumerate(executed):
            done[stop.booking_id][str(stop.kind)] = (vehicle.id, stop)
            stops.append({
                "area": day.area, "service_day": service_day, "vehicle_id": vehicle.id, "seq": seq,
                "booking_id": owner(stop.booking_id), "leg_booking_id": stop.booking_id, "kind": str(stop.kind),
                "place": stop.location.stop_id, "jis_code": stop.location.jis_code,
                "promised_earliest_s": int(stop.earliest), "promised_latest_s": int(stop.latest),
                "arrival_s": int(stop.arrival), "departure_s": int(stop.departure),
                "seats_after": int(stop.seats_after), "wheelchairs_after": int(stop.wheelchairs_after),
            })
        segments = (vehicle_segments(vehicle, executed, d.plan(vehicle.id), bookings, day.costs, d.missed(vehicle.id))
                    if day.costs else [])
        shift = min(vehicle.shifts, key=lambda s: s.start) if vehicle.shifts else None
        last = max(vehicle.shifts, key=lambda s: s.end) if vehicle.shifts else None
        started, ended = day.shift_times.get(vehicle.id, (None, None))
        shifts.append({
            "area": day.area, "service_day": service_day, "vehicle_id": vehicle.id,
            "municipality": vehicle.municipality, "seats": vehicle.seats,
            "wheelchair_places": vehicle.wheelchair_places,
            "planned_start_s": shift.start if shift else None, "planned_end_s": last.end if last else None,
            "started_s": started, "ended_s": ended,
            "vehicle_km": round(sum(s.metres for s in segments) / 1000.0, 6),
            "drive_h": round(sum(s.seconds for s in segments) / 3600.0, 6), "stops": len(executed),
        })
    fleet_of = {stop["leg_booking_id"]: next(v.municipality for v in d.vehicles if v.id == stop["vehicle_id"])
                for stop in stops}
    itineraries = {it.booking.id: it for it in day.itineraries}
    booking_rows, legs, riders = [], [], {}
    changes = _status_changes(day)
    for booking_id, record in sorted(day.records.items()):
        rider_key = None
        if record.get("rider_id"):
            rider = day.riders.get(record["rider_id"], {})
            row = policy.rider_row(record["rider_id"], rider, record, service_day)
            riders[row["rider_key"]] = row
            rider_key = row["rider_key"]
        it = itineraries.get(booking_id)
        booking_legs = _legs(booking_id, record, it, done)
        legs += booking_legs
        drt = [leg for leg in booking_legs if leg["mode"] == "drt"]
        fare = _fare(record, drt, fleet_of, day.fares)
        offer = record.get("offer") or {}
        rejection = record.get("rejection") or {}
        cancellation = record.get("cancellation") or {}
        keep = policy.keeps_pii(record.get("home_municipality"))
        pickup, dropoff = record.get("pickup") or {}, record.get("dropoff") or {}
        booking_rows.append({
            "id": booking_id, "area": day.area, "service_day": service_day, "rider_key": rider_key,
            "status": record["status"], "kind": it.kind if it is not None else "local",
            "home_municipality": record.get("home_municipality"), "fare_class": record.get("fare_class", "resident"),
            "seats": int(record["seats"]), "wheelchairs": int(record["wheelchairs"]),
            **_point("pickup", pickup, keep), **_point("dropoff", dropoff, keep),
            "requested_time_s": int(record["requested_time"]), "time_kind": record["time_kind"],
            "vehicle_id": record.get("vehicle_id"),
            "promised_pickup_start_s": _int((offer.get("pickup_window") or [None, None])[0]),
            "promised_pickup_end_s": _int((offer.get("pickup_window") or [None, None])[1]),
            "expected_pickup_s": _int(offer.get("expected_pickup")),
            "expected_dropoff_s": _int(offer.get("expected_dropoff")),
            "picked_up_s": drt[0]["picked_up_s"] if drt else None,
            "dropped_off_s": drt[-1]["dropped_off_s"] if drt else None,
            "fare_yen": fare, "rejection_reason": rejection.get("reason"),
            "rejection_message": rejection.get("message"),
            "cancel_reason": (cancellation.get("reason") or record.get("cancel_reason")
                              or _cancel_reason(changes.get(booking_id, []))) if record["status"] == "cancelled"
            else None,
            "cancel_late": cancellation.get("late") if cancellation else None,
            "notes": record.get("notes") or None if keep else None,
            "booked_at": moment(record.get("created_at")), "updated_at": moment(record.get("updated_at")),
        })
    status_rows = [{"booking_id": bid, "seq": i, **change} for bid in sorted(changes) if bid in day.records
                   for i, change in enumerate(changes[bid])]
    return {
        "riders": sorted(riders.values(), key=lambda r: r["rider_key"]),
        "bookings": booking_rows,
        "booking_status_changes": status_rows,
        "legs": legs,
        "shifts": shifts,
        "executed_stops": stops,
        "positions": _positions(day, service_day, position_sample_s),
        "cost_shares": _cost_shares(day, service_day),
        "commands": _commands(day, service_day),
        "commits": [{"area": day.area, "entry_id": e, "service_day": service_day, "writer": w, "fence": int(f),
                     "version": int(v)} for e, w, f, v in day.commits],
    }


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _point(prefix: str, loc: dict[str, Any], keep: bool) -> dict[str, Any]:
    """A booked point: named places as they are; a rider's own address only to ~100 m unless PII is kept."""
    lat, lon = loc.get("lat"), loc.get("lon")
    if not keep and not loc.get("place") and lat is not None and lon is not None:
        lat, lon = round(float(lat), 3), round(float(lon), 3)
    name = loc.get("name") if (keep or loc.get("place")) else None
    return {f"{prefix}_place": loc.get("place"), f"{prefix}_name": name, f"{prefix}_jis": loc.get("jis_code"),
            f"{prefix}_lat": lat, f"{prefix}_lon": lon}


def _legs(booking_id: str, record: dict[str, Any], it: Any, done: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The trip's legs: the planner's itinerary, else the one taxi leg of the booking itself."""
    out = []
    if it is not None:
        for index, leg in enumerate(it.legs):
            out.append(_leg_row(booking_id, index, leg.mode, leg.origin.name or leg.origin.stop_id or "",
                                leg.destination.name or leg.destination.stop_id or "", leg.origin.stop_id,
                                leg.destination.stop_id, leg.depart, leg.arrive, leg.booking_id, leg.vehicle_id,
                                leg.train_id, leg.fare_yen, done))
        return out
    offer = record.get("offer") or {}
    if not offer and not done.get(booking_id):
        return out
    pickup, dropoff = record.get("pickup") or {}, record.get("dropoff") or {}
    out.append(_leg_row(booking_id, 0, "drt", pickup.get("place") or "", dropoff.get("place") or "",
                        pickup.get("place"), dropoff.get("place"), offer.get("expected_pickup"),
                        offer.get("expected_dropoff"), booking_id, offer.get("vehicle_id") or record.get("vehicle_id"),
                        None, int(offer.get("fare_yen") or 0), done))
    return out


def _leg_row(booking_id: str, index: int, mode: str, origin: str, destination: str, origin_place: str | None,
             destination_place: str | None, depart: Any, arrive: Any, leg_booking_id: str | None,
             vehicle_id: str | None, train_id: str | None, fare_yen: int,
             done: dict[str, dict[str, Any]]) -> dict[str, Any]:
    executed = done.get(leg_booking_id or "", {})
    picked = executed.get("pickup")
    dropped = executed.get("dropoff")
    return {"booking_id": booking_id, "leg_index": index, "mode": mode, "origin": origin, "destination": destination,
            "origin_place": origin_place, "destination_place": destination_place, "depart_s": _int(depart),
            "arrive_s": _int(arrive), "leg_booking_id": leg_booking_id,
            "vehicle_id": (picked or dropped or (vehicle_id, None))[0] if mode == "drt" else vehicle_id,
            "train_id": train_id, "fare_yen": int(fare_yen or 0),
            "picked_up_s": int(picked[1].departure) if picked else None,
            "dropped_off_s": int(dropped[1].departure) if dropped else None}


def _fare(record: dict[str, Any], drt: list[dict[str, Any]], fleet_of: dict[str, str],
          fares: FareTable | None) -> int:
    """Fare due for the trip (yen): the offer's, else the fleet's tariff per rider for each taxi leg ridden."""
    offered = int((record.get("offer") or {}).get("fare_yen") or 0)
    if offered or fares is None:
        return offered
    party = int(record["seats"]) + int(record["wheelchairs"])
    total = 0
    for leg in drt:
        fleet = fleet_of.get(leg["leg_booking_id"] or "")
        if fleet is not None and fleet in fares.drt:
            tariff = fares.drt_fare(fleet, record.get("home_municipality"), record.get("fare_class", "resident"))
            total += tariff * party
    return total


def _status_changes(day: EngineDay) -> dict[str, list[dict[str, Any]]]:
    """Per caller booking, its changes in order, then its end state if that is not the last one.

    From the trail the writer keeps in the record (:mod:`api.history.trail`) where there is one; else derived
    from the booking's commands (records written before the trail existed), else from a recorded history
    (the simulator).
    """
    derived = _changes_from_commands(day)
    out: dict[str, list[dict[str, Any]]] = {}
    for booking_id, record in day.records.items():
        if record.get("trail"):
            changes = _changes_from_trail(record)
        elif derived.get(booking_id):
            changes = derived[booking_id]
        else:
            changes = [{"at": moment(h["at"]), "status": h["status"], "op": h.get("op", "event"),
                        "ok": h.get("ok"), "reason": h.get("reason")} for h in record.get("history") or []]
        if not changes or changes[-1]["status"] != record["status"]:
            changes.append({"at": moment(record.get("updated_at") or record.get("created_at")),
                            "status": record["status"], "op": "final", "ok": None,
                            "reason": (record.get("rejection") or {}).get("reason") or record.get("error")})
        out[booking_id] = changes
    return out


def _changes_from_trail(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of a writer's trail: intake, then each command (with the status it found) and each new status."""
    out = [{"at": moment(record.get("created_at")), "status": "requested", "op": "intake", "ok": True,
            "reason": None}]
    current = "requested"
    for entry in record["trail"]:
        if "op" in entry:
            out.append({"at": moment(entry.get("at")), "status": current, "op": entry["op"], "ok": entry.get("ok"),
                        "reason": entry.get("reason")})
        else:
            moved = entry["status"] == current and entry.get("vehicle_id")  # same status, another vehicle
            current = entry["status"]
            out.append({"at": moment(entry.get("at")), "status": current, "op": "status", "ok": None,
                        "reason": entry.get("reason") or (f"vehicle {entry['vehicle_id']}" if moved else None)})
    return out


def _changes_from_commands(day: EngineDay) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    current: dict[str, str] = {}
    for _stream, entry_id, command in day.commands:
        booking_id = command.get("booking_id")
        if not booking_id or command["op"] == "position" or owner(booking_id) not in day.records:
            continue
        record = day.records[owner(booking_id)]
        result = day.results.get(entry_id)
        ok = None if result is None else bool(result.get("ok"))
        op = command["op"]
        reason = (command.get("reason") or (command.get("cancellation") or {}).get("reason")
                  or (result or {}).get("error"))
        if op == "request":
            rejection = record.get("rejection")
            status = "rejected" if rejection and not record.get("offer") else "offered"
            out[owner(booking_id)].append({"at": moment(command["at"]), "status": "requested", "op": op, "ok": ok,
                                           "reason": None})
            reason = rejection.get("reason") if status == "rejected" else None
        else:
            status = STATUS_AFTER.get(op) or current.get(owner(booking_id), "requested")
        if ok is False:
            status = current.get(owner(booking_id), "requested")
        current[owner(booking_id)] = status
        out[owner(booking_id)].append({"at": moment(command["at"]), "status": status, "op": op, "ok": ok,
                                       "reason": reason})
    return out


def _cancel_reason(changes: list[dict[str, Any]]) -> str | None:
    """The reason the booking was called off: its cancel command's, else the caller's (no reason given)."""
    for change in changes:
        if change["op"] == "cancel" and change["ok"] is not False:
            return change["reason"] or "caller"
    return None


def _positions(day: EngineDay, service_day: date, sample_s: int) -> list[dict[str, Any]]:
    kept: dict[tuple[str, int], dict[str, Any]] = {}
    last: dict[str, int] = {}
    for _, _, command in day.commands:
        if command["op"] != "position" or "location" not in command:
            continue
        at_s = epoch_seconds_on(day.service_day, float(command["at"]))
        vehicle = command["vehicle_id"]
        if vehicle in last and at_s - last[vehicle] < sample_s:
            continue
        loc = command["location"]
        if loc.get("lat") is None or loc.get("lon") is None:
            continue
        last[vehicle] = at_s
        kept[(vehicle, at_s)] = {"area": day.area, "service_day": service_day, "vehicle_id": vehicle, "at_s": at_s,
                                 "lat": float(loc["lat"]), "lon": float(loc["lon"])}
    return [kept[k] for k in sorted(kept)]


def _cost_shares(day: EngineDay, service_day: date) -> list[dict[str, Any]]:
    if day.costs is None:
        return []
    acc = MunicipalAccounts.from_dispatcher(day.dispatcher, day.costs, day.itineraries, day.fares)
    out = []
    for fleet in sorted(acc.km):
        for served in sorted(acc.km[fleet]):
            out.append({"area": day.area, "service_day": service_day, "fleet": fleet, "served_municipality": served,
                        "vehicle_km": round(acc.km[fleet][served], 6),
                        "vehicle_h": round(acc.hours[fleet].get(served, 0.0), 6)})
    return out


def _commands(day: EngineDay, service_day: date) -> list[dict[str, Any]]:
    out = []
    for stream, entry_id, command in day.commands:
        if command["op"] == "position":
            continue
        out.append({"area": day.area, "stream": stream, "entry_id": entry_id, "service_day": service_day,
                    "op": command["op"], "booking_id": command.get("booking_id"),
                    "vehicle_id": command.get("vehicle_id"), "at": moment(command.get("at")), "payload": command})
    return out

"""The simulator's days in the history schema (``sim run ... --history-url URL``), so the municipal reports
run on a simulated month or year exactly as on the real one.

A simulated day becomes the same :class:`api.history.rows.EngineDay` as a live one: its dispatcher (and
trip planner), with booking records made from the run's leg records (every request, refused ones
included) and each booking's history from its recorded times. Vehicle-km and drive hours are the
simulator's odometer (it also counts drives to no-shows, which leave no executed stop). Days are stored under the area
``sim:<scenario>`` with source ``sim``, one verified transaction per day (re-running a scenario replaces
its days).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.history.riders import RiderPolicy
from api.history.rows import EngineDay, day_rows
from api.history.store import archived_day, checksum, connect, read_day, write_day
from api.timefmt import day_start
from api.world import location_record

STATUS = {"confirmed": "confirmed", "completed": "completed", "rejected": "rejected", "declined": "declined",
          "cancelled": "cancelled", "no_show": "no_show", "missed": "completed"}


def _epoch(day: str, seconds: float | None) -> float | None:
    return None if seconds is None else (day_start(day) + timedelta(seconds=float(seconds))).timestamp()


def _status(legs: list[Any]) -> str:
    statuses = [leg.status for leg in legs]
    for final in ("rejected", "declined", "cancelled", "no_show"):
        if final in statuses:
            return final
    drt = [leg for leg in legs if leg.mode == "drt"]
    if drt and all(leg.status == "completed" for leg in drt):
        return "completed"
    return STATUS.get(drt[0].status if drt else statuses[0], "confirmed")


def booking_records(day: str, legs: list[Any], dispatcher: Any, itineraries: dict[str, Any]) -> dict[str, dict]:
    """API-form booking records (with ``history``) of one simulated day's leg records."""
    by_trip: dict[str, list[Any]] = {}
    for leg in legs:
        by_trip.setdefault(leg.trip_id or leg.id, []).append(leg)
    known = {b.id: b for b in dispatcher.bookings()}
    out = {}
    for trip_id, parts in sorted(by_trip.items()):
        parts.sort(key=lambda leg: leg.leg_index)
        drt = [leg for leg in parts if leg.mode == "drt"]
        first, last = (drt[0], drt[-1]) if drt else (parts[0], parts[-1])
        booking = itineraries[trip_id].booking if trip_id in itineraries else known.get(trip_id)
        pickup = location_record(booking.pickup) if booking else {"place": None, "name": first.origin,
                                                                  "jis_code": first.origin_jis}
        dropoff = location_record(booking.dropoff) if booking else {"place": None, "name": last.destination,
                                                                    "jis_code": last.destination_jis}
        status = _status(parts)
        booked = _epoch(day, first.booked_at)
        offered = first.promised_start is not None
        offer = {"vehicle_id": first.vehicle_id, "pickup_window": [first.promised_start, first.promised_end],
                 "expected_pickup": first.expected_pickup, "expected_dropoff": last.expected_dropoff,
                 "fare_yen": sum(leg.fare_yen for leg in parts)} if offered else None
        reason = first.rejection_reason or None
        history = [{"at": booked, "status": "requested", "op": "request"}]
        if status == "rejected":
            history.append({"at": booked, "status": "rejected", "op": "request", "reason": reason})
        else:
            history.append({"at": booked, "status": "offered", "op": "request"})
            history.append({"at": booked, "status": "declined" if status == "declined" else "confirmed",
                            "op": "decline" if status == "declined" else "confirm"})
        if first.pickup_at is not None:
            history.append({"at": _epoch(day, first.pickup_at), "status": "onboard", "op": "board"})
        if status == "completed":
            history.append({"at": _epoch(day, last.dropoff_at), "status": "completed", "op": "drop_off"})
        elif status in ("cancelled", "no_show"):
            history.append({"at": _epoch(day, first.promised_start or first.requested_time), "status": status,
                            "op": "cancel" if status == "cancelled" else "no_show"})
        out[trip_id] = {
            "id": trip_id, "status": status, "service_day": day, "rider_id": None, "pickup": pickup,
            "dropoff": dropoff, "requested_time": booking.requested_time if booking else first.requested_time,
            "time_kind": first.time_kind, "seats": first.seats, "wheelchairs": first.wheelchairs,
            "fare_class": booking.fare_class if booking else "resident", "home_municipality": first.home_jis,
            "vehicle_id": first.vehicle_id or None, "offer": offer,
            "rejection": {"reason": (reason or "").split(":")[0], "message": reason} if status == "rejected" else None,
            "created_at": booked, "updated_at": history[-1]["at"], "history": history,
            "cancel_reason": "caller" if status == "cancelled" else None,
        }
    return out


class SimHistory:
    """Writes each simulated day as it finishes (pass :meth:`day_done` to ``sim.run.simulate``)."""

    def __init__(self, url: str, scenario: str, network: Any, fares: Any = None, migrate: bool = True) -> None:
        if migrate:
            from api.history.migrate import upgrade

            upgrade(url)
        self.engine: Engine = connect(url)
        self.area = f"sim:{scenario}"[:40]
        self.network = network
        self.fares = fares
        self.policy = RiderPolicy("simulated riders")
        self.days: list[str] = []

    def day_done(self, service_day: str, dispatcher: Any, planner: Any | None, legs: list[Any],
                 vehicles: list[Any] = ()) -> None:
        """Write one finished simulated day; ``vehicles`` (the run's vehicle records) give the odometer."""
        itineraries = {it.booking.id: it for it in planner.itineraries()} if planner is not None else {}
        records = booking_records(service_day, legs, dispatcher, itineraries)
        day = EngineDay(area=self.area, service_day=service_day, dispatcher=dispatcher, records=records,
                        itineraries=list(itineraries.values()), costs=self.network, fares=self.fares, source="sim")
        rows = day_rows(day, self.policy)
        driven = {v.vehicle_id: v for v in vehicles}
        for shift in rows["shifts"]:  # the simulator's odometer: drives to no-shows and cancelled stops count
            if shift["vehicle_id"] in driven:
                record = driven[shift["vehicle_id"]]
                shift["vehicle_km"] = round(record.distance_m / 1000.0, 6)
                shift["drive_h"] = round(record.drive_s / 3600.0, 6)
        digest = checksum(rows)
        with Session(self.engine) as session, session.begin():
            write_day(session, self.area, service_day, rows, source="sim")
        with Session(self.engine) as session, session.begin():
            if checksum(read_day(session, self.area, service_day)) != digest:
                raise RuntimeError(f"{self.area}/{service_day}: the stored day differs from the simulated one")
            archived_day(session, self.area, service_day).verified_at = datetime.now(UTC)
        self.days.append(service_day)

    def close(self) -> None:
        self.engine.dispose()

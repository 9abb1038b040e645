"""A dispatcher as JSON-safe data, and back: the API keeps this in Redis between requests.

Everything that decides future answers is saved: configuration, vehicles, bookings with their windows,
promises and offers, each vehicle's position, lock, on-board riders and timed plan (including windows
relaxed for lateness) and the order of next stops a dispatcher locked, held offers, the clock and the
stats. Travel costs are not saved; the caller passes them to :func:`load` (node ids, not cache indices,
are stored, so any cost source over the same graph works).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from dispatch.model import (
    Booking,
    BookingStatus,
    Break,
    Location,
    Offer,
    OfferLeg,
    Shift,
    Stop,
    StopKind,
    TimeKind,
    Vehicle,
)
from dispatch.online.insertion import InsertionParams, route_arrays
from dispatch.online.state import BookingRecord, true_breaks
from dispatch.online.windows import BookingWindows
from dispatch.problem import Request, Visit, VisitKind
from dispatch.rules import ServiceRules
from dispatch.solver.params import SolveParams
from dispatch.solver.rr.params import RrParams
from dispatch.stats import DispatchStats

if TYPE_CHECKING:
    from dispatch.costs import TravelCosts
    from dispatch.online.fleet import Fleet

FORMAT = 1


class Snapshotted(Protocol):
    """What a snapshot reads from and rebuilds into: the dispatcher's state (this module does not import it)."""

    _fleet: Fleet
    _vehicles: list[Vehicle]
    _held: dict[str, int]
    service_day: str
    rules: ServiceRules
    solve_params: SolveParams
    offer_hold_s: int
    max_alternatives: int
    stats: DispatchStats


D = TypeVar("D", bound=Snapshotted)


def dump(d: Snapshotted) -> dict[str, Any]:
    fleet = d._fleet
    cache = fleet.cache
    states = []
    for vs in fleet.states.values():
        states.append(
            {
                "id": vs.id,
                "on_shift": vs.on_shift,
                "off_duty": vs.off_duty,
                "position": _location(vs.position),
                "position_time": vs.position_time,
                "locked": vs.locked,
                "lock_time": vs.lock_time,
                "arrived": vs.arrived,
                "sequence": [[rid, str(kind)] for rid, kind in vs.sequence],
                "onboard": list(vs.onboard),
                "visits": [[v.request_id, str(v.kind), v.arrival, v.start, v.departure] for v in vs.visits],
                "requests": {rid: _request_bounds(r) for rid, r in vs.requests.items()},
                "end_time": vs.end_time,
                "late": list(vs.late),
                "done": [_stop(s) for s in vs.done],
                "held": [[rid, str(kind)] for rid, kind in vs.held],
                "breaks": {bid: list(b.window) for bid, b in vs.breaks.items()},
                "missed": [[t, bid, _location(loc)] for t, bid, loc in vs.missed],
            }
        )
    del cache
    return {
        "format": FORMAT,
        "service_day": d.service_day,
        "rules": d.rules.to_dict(),
        "solve_params": asdict(d.solve_params),
        "insertion": asdict(fleet.insertion),
        "offer_hold_s": d.offer_hold_s,
        "max_alternatives": d.max_alternatives,
        "now": fleet.now,
        "vehicles": [_vehicle(v) for v in d._vehicles],
        "bookings": [_record(rec) for rec in fleet.records.values()],
        "vehicle_states": states,
        "held": dict(d._held),
        "stats": d.stats.to_dict(),
    }


def load(cls: Callable[..., D], data: dict[str, Any], costs: TravelCosts) -> D:
    """Rebuild with ``cls`` (the dispatcher class: ``cls(costs, vehicles, rules, day, solve_params, ...)``)."""
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown snapshot format {data.get('format')!r} (expected {FORMAT})")
    d = cls(
        costs,
        [_vehicle_from(v) for v in data["vehicles"]],
        ServiceRules.from_dict(data["rules"]),
        data["service_day"],
        _solve_params_from(data["solve_params"]),
        insertion=InsertionParams(**data["insertion"]),
        offer_hold_s=data["offer_hold_s"],
        max_alternatives=data["max_alternatives"],
    )
    fleet = d._fleet
    fleet.now = data["now"]
    for raw in data["bookings"]:
        rec = _record_from(raw)
        fleet.records[rec.id] = rec
    cache = fleet.cache
    for raw in data["vehicle_states"]:
        vs = fleet.state(raw["id"])
        vs.on_shift = raw["on_shift"]
        vs.off_duty = raw["off_duty"]
        vs.position = _location_from(raw["position"])
        vs.position_time = raw["position_time"]
        vs.locked = raw["locked"]
        vs.lock_time = raw["lock_time"]
        vs.arrived = raw["arrived"]
        vs.sequence = [(rid, VisitKind(kind)) for rid, kind in raw["sequence"]]
        vs.onboard = list(raw["onboard"])
        vs.visits = [Visit(rid, VisitKind(k), a, s, dep) for rid, k, a, s, dep in raw["visits"]]
        vs.requests = {
            rid: _request_with(fleet.records[rid].request(cache, vs.id if rid in vs.onboard else None), bounds)
            for rid, bounds in raw["requests"].items()
        }
        vs.end_time = raw["end_time"]
        vs.late = list(raw["late"])
        vs.done = [_stop_from(s) for s in raw["done"]]
        vs.held = [(rid, VisitKind(kind)) for rid, kind in raw.get("held", [])]  # absent before locked orders
        windows = raw.get("breaks", {})
        vs.breaks = {
            bid: replace(b, window=tuple(windows[bid])) if bid in windows else b
            for bid, b in true_breaks(vs, cache).items()
        }
        vs.missed = [(int(t), bid, _location_from(loc)) for t, bid, loc in raw.get("missed", [])]  # older: none
        vs.arrays = route_arrays(vs, cache, fleet.now)
    d._held = {k: int(v) for k, v in data["held"].items()}
    d.stats = DispatchStats.from_dict(data["stats"])
    return d


# --------------------------------------------------------------------------------------- pieces
def _location(loc: Location | None) -> dict[str, Any] | None:
    return None if loc is None else asdict(loc)


def _location_from(raw: dict[str, Any] | None) -> Location | None:
    return None if raw is None else Location(**raw)


def _pair(value: Any) -> tuple[int, int] | None:
    return None if value is None else (value[0], value[1])


def _vehicle(v: Vehicle) -> dict[str, Any]:
    return {
        "id": v.id,
        "municipality": v.municipality,
        "seats": v.seats,
        "wheelchair_places": v.wheelchair_places,
        "shifts": [
            {
                "start": s.start,
                "end": s.end,
                "start_depot": _location(s.start_depot),
                "end_depot": _location(s.end_depot),
                "breaks": [
                    {
                        "earliest": b.earliest,
                        "latest": b.latest,
                        "duration": b.duration,
                        "location": _location(b.location),
                    }
                    for b in s.breaks
                ],
            }
            for s in v.shifts
        ],
        "service_area": None if v.service_area is None else sorted(v.service_area),
        "label": v.label,
    }


def _solve_params_from(data: dict[str, Any]) -> SolveParams:
    """Solver settings as saved (the ruin-and-recreate knobs are a nested mapping)."""
    rr = data.get("ruin_recreate")
    return SolveParams(**{**data, "ruin_recreate": RrParams(**rr) if rr is not None else None})


def _vehicle_from(raw: dict[str, Any]) -> Vehicle:
    shifts = tuple(
        Shift(
            s["start"],
            s["end"],
            _location_from(s["start_depot"]),  # type: ignore[arg-type]
            _location_from(s["end_depot"]),
            breaks=tuple(
                Break(b["earliest"], b["latest"], b["duration"], _location_from(b["location"]))
                for b in s.get("breaks", ())
            ),
        )
        for s in raw["shifts"]
    )
    area = raw["service_area"]
    return Vehicle(
        id=raw["id"],
        municipality=raw["municipality"],
        seats=raw["seats"],
        wheelchair_places=raw["wheelchair_places"],
        shifts=shifts,
        service_area=None if area is None else frozenset(area),
        label=raw["label"],
    )


def _booking(b: Booking) -> dict[str, Any]:
    out = asdict(b)
    out["time_kind"] = str(b.time_kind)
    out["status"] = str(b.status)
    out["rider_ids"] = list(b.rider_ids)
    out["pickup_window"] = None if b.pickup_window is None else list(b.pickup_window)
    out["dropoff_window"] = None if b.dropoff_window is None else list(b.dropoff_window)
    return out


def _booking_from(raw: dict[str, Any]) -> Booking:
    return Booking(
        **{
            **raw,
            "pickup": Location(**raw["pickup"]),
            "dropoff": Location(**raw["dropoff"]),
            "time_kind": TimeKind(raw["time_kind"]),
            "status": BookingStatus(raw["status"]),
            "rider_ids": tuple(raw["rider_ids"]),
            "pickup_window": _pair(raw["pickup_window"]),
            "dropoff_window": _pair(raw["dropoff_window"]),
        }
    )


def _offer(o: Offer | None) -> dict[str, Any] | None:
    if o is None:
        return None
    out = asdict(o)
    out["pickup_window"] = list(o.pickup_window)
    out["legs"] = [{**asdict(leg), "pickup_window": None if leg.pickup_window is None else list(leg.pickup_window)}
                   for leg in o.legs]
    return out


def _offer_from(raw: dict[str, Any] | None) -> Offer | None:
    if raw is None:
        return None
    legs = tuple(OfferLeg(**{**leg, "pickup_window": _pair(leg["pickup_window"])}) for leg in raw["legs"])
    return Offer(**{**raw, "pickup_window": _pair(raw["pickup_window"]), "legs": legs})


def _record(rec: BookingRecord) -> dict[str, Any]:
    w = rec.windows
    return {
        "booking": _booking(rec.booking),
        "windows": {**asdict(w), "pickup": list(w.pickup), "dropoff": list(w.dropoff)},
        "promised": None if rec.promised is None else list(rec.promised),
        "vehicle_id": rec.vehicle_id,
        "offer": _offer(rec.offer),
        "hold_until": rec.hold_until,
        "picked_up_at": rec.picked_up_at,
        "dropped_at": rec.dropped_at,
        "expired": rec.expired,
        "pinned_to": rec.pinned_to,
    }


def _record_from(raw: dict[str, Any]) -> BookingRecord:
    w = raw["windows"]
    windows = BookingWindows(**{**w, "pickup": _pair(w["pickup"]), "dropoff": _pair(w["dropoff"])})
    return BookingRecord(
        booking=_booking_from(raw["booking"]),
        windows=windows,
        promised=_pair(raw["promised"]),
        vehicle_id=raw["vehicle_id"],
        offer=_offer_from(raw["offer"]),
        hold_until=raw["hold_until"],
        picked_up_at=raw["picked_up_at"],
        dropped_at=raw["dropped_at"],
        expired=raw["expired"],
        pinned_to=raw.get("pinned_to"),  # absent in snapshots written before pins existed
    )


def _request_bounds(r: Request) -> dict[str, Any]:
    return {
        "pickup_window": list(r.pickup_window),
        "dropoff_window": list(r.dropoff_window),
        "max_ride": r.max_ride,
    }


def _request_with(r: Request, bounds: dict[str, Any]) -> Request:
    return replace(
        r,
        pickup_window=_pair(bounds["pickup_window"]),
        dropoff_window=_pair(bounds["dropoff_window"]),
        max_ride=bounds["max_ride"],
    )


def _stop(s: Stop) -> dict[str, Any]:
    return {**asdict(s), "kind": str(s.kind), "location": asdict(s.location)}


def _stop_from(raw: dict[str, Any]) -> Stop:
    return Stop(**{**raw, "kind": StopKind(raw["kind"]), "location": Location(**raw["location"])})

"""Stored records and engine objects as the HTTP responses show them (Tokyo ISO times, rider labels)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from api.schemas import BookingOut, LegOut, LocationOut, OfferOut, RejectionOut, RiderOut, Window
from api.timefmt import to_iso
from routing import RoadNetwork


def _iso_epoch(epoch_s: float | None) -> str:
    from datetime import datetime

    from api.timefmt import JST

    return datetime.fromtimestamp(float(epoch_s or 0), JST).isoformat(timespec="seconds")


def location_out(record: dict[str, Any] | None) -> LocationOut | None:
    if record is None:
        return None
    return LocationOut(
        node=int(record["node"]),
        lat=record.get("lat"),
        lon=record.get("lon"),
        place=record.get("place"),
        name=record.get("name", ""),
        jis_code=record.get("jis_code"),
        walk_m=float(record.get("walk_m", 0.0)),
    )


def window(day: str, pair: list[float] | tuple[float, float] | None) -> Window | None:
    if not pair:
        return None
    return Window(start=to_iso(day, pair[0]), end=to_iso(day, pair[1]))


def offer_out(day: str, offer: dict[str, Any] | None, hold_s: int | None) -> OfferOut | None:
    """``hold_s``: seconds the offer is held (None once it is no longer an open offer)."""
    if not offer:
        return None
    held = hold_s is not None and offer.get("offered_at")
    return OfferOut(
        vehicle_id=offer["vehicle_id"],
        pickup_window=window(day, offer["pickup_window"]),
        expected_pickup=to_iso(day, offer["expected_pickup"]),
        expected_dropoff=to_iso(day, offer["expected_dropoff"]),
        fare_yen=int(offer.get("fare_yen", 0)),
        legs=[
            LegOut(
                mode=leg["mode"],
                origin=leg["origin"],
                destination=leg["destination"],
                depart=to_iso(day, leg["depart"]),
                arrive=to_iso(day, leg["arrive"]),
                booking_id=leg.get("booking_id"),
                vehicle_id=leg.get("vehicle_id"),
                pickup_window=window(day, leg.get("pickup_window")),
                train_id=leg.get("train_id"),
                fare_yen=int(leg.get("fare_yen", 0)),
            )
            for leg in offer.get("legs", [])
        ],
        hold_until=_iso_epoch(float(offer["offered_at"]) + hold_s) if held else None,
    )


def rejection_out(day: str, rejection: dict[str, Any] | None) -> RejectionOut | None:
    if not rejection:
        return None
    return RejectionOut(
        reason=rejection["reason"],
        message=rejection["message"],
        alternatives=[to_iso(day, t) for t in rejection.get("alternatives", [])],
    )


def booking_out(record: dict[str, Any], hold_s: int) -> BookingOut:
    day = record["service_day"]
    offer = record.get("offer") if record["status"] not in ("rejected",) else None
    return BookingOut(
        id=record["id"],
        status=record["status"],
        area=record["area"],
        service_day=day,
        rider_id=record.get("rider_id"),
        pickup=location_out(record["pickup"]),
        dropoff=location_out(record["dropoff"]),
        time=to_iso(day, record["requested_time"]),
        time_kind=record["time_kind"],
        seats=record["seats"],
        wheelchairs=record["wheelchairs"],
        fare_class=record.get("fare_class", "resident"),
        notes=record.get("notes") or "",
        vehicle_id=record.get("vehicle_id"),
        offer=offer_out(day, offer, hold_s if record["status"] == "offered" else None),
        rejection=rejection_out(day, record.get("rejection")),
        pinned=record.get("pinned_to") is not None,
        error=record.get("error"),
        created_at=_iso_epoch(record.get("created_at")),
        updated_at=_iso_epoch(record.get("updated_at")),
    )


def rider_out(record: dict[str, Any]) -> RiderOut:
    """The rider as answered; a field a change removed (null) reads as empty."""
    mobility = record.get("mobility") or {"wheelchair": bool(record.get("wheelchair"))}
    return RiderOut(
        id=record["id"],
        name=record["name"],
        kana=record.get("kana") or "",  # a change may have removed it (null)
        phone=record["phone"],
        phones=record.get("phones") or [],
        home=location_out(record.get("home")),
        nearest_stops=[location_out(s) for s in record.get("nearest_stops") or []],
        municipality=record.get("municipality") or (record.get("home") or {}).get("jis_code"),
        fare_class=record["fare_class"],
        wheelchair=bool(mobility.get("wheelchair")),
        mobility=mobility,
        notes=record.get("notes") or "",
        care_notes=record.get("care_notes") or "",
        emergency_contact=record.get("emergency_contact"),
        registered_on=record.get("registered_on"),
        no_show_count=int(record.get("no_show_count", 0)),
        late_cancel_count=int(record.get("late_cancel_count", 0)),
        active=record.get("active", True),
        created_at=_iso_epoch(record.get("created_at")),
        updated_at=_iso_epoch(record["updated_at"]) if record.get("updated_at") else None,
    )


def _loc(location: Any) -> dict[str, Any]:
    return {"node": location.node, "lat": location.lat, "lon": location.lon, "place": location.stop_id,
            "name": location.name}


def stop_out(day: str, stop: Any, locked: bool = False) -> dict[str, Any]:
    """One plan item; ``locked``: a dispatcher locked it among the vehicle's next stops, in this order.

    A driver's break (``kind`` "break") has its id in ``booking_id`` and ``break_id``, its start window in
    ``window``, its planned start and end in ``arrival``/``departure``, and ``anywhere`` when it is taken
    wherever the vehicle is (``location``: the stop before it)."""
    extra: dict[str, Any] = {}
    if str(stop.kind) == "break":
        extra = {"break_id": stop.booking_id, "anywhere": bool(getattr(stop, "anywhere", False)),
                 "duration_s": stop.departure - stop.service_start}
    return {
        **extra,
        "booking_id": stop.booking_id,
        "kind": str(stop.kind),
        "location": _loc(stop.location),
        "window": {"start": to_iso(day, stop.earliest), "end": to_iso(day, stop.latest)},
        "arrival": to_iso(day, stop.arrival),
        "departure": to_iso(day, stop.departure),
        "seats_after": stop.seats_after,
        "wheelchairs_after": stop.wheelchairs_after,
        "locked": locked,
    }


@lru_cache(maxsize=8192)
def _leg_coords(network: RoadNetwork, a: int, b: int) -> tuple[tuple[float, float], ...]:
    if a == b:
        return ()
    coords = network.path(a, b).geojson.get("coordinates", [])
    return tuple((round(c[0], 5), round(c[1], 5)) for c in coords)


def route_coords(network: RoadNetwork, plan: Any) -> list[tuple[float, float]]:
    """[lon, lat] points along the roads from the plan's start over its stops (for the console map)."""
    nodes = [plan.start.node] + [s.location.node for s in plan.stops]
    out: list[tuple[float, float]] = []
    for a, b in zip(nodes, nodes[1:], strict=False):
        out.extend(_leg_coords(network, a, b))
    return out


def plan_out(day: str, plan: Any, network: RoadNetwork | None = None, locked: int = 0) -> dict[str, Any]:
    """A vehicle's plan; its first ``locked`` stops are the order a dispatcher locked (``locked_stops``)."""
    return {
        "vehicle_id": plan.vehicle_id,
        "start": _loc(plan.start),
        "start_time": to_iso(day, plan.start_time),
        "stops": [stop_out(day, s, n < locked) for n, s in enumerate(plan.stops)],
        "locked_stops": locked,
        "distance_m": round(plan.distance_m, 1),
        "drive_s": round(plan.drive_s, 1),
        "route": route_coords(network, plan) if network is not None else None,
    }

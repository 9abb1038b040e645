"""The trip planner's state as JSON-safe data: itineraries (with their train legs) and train delays.

The dispatcher's own snapshot holds the taxi legs (with ``trip_id`` and ``leg_index``); this one adds what
only the planner knows, so an API process can rebuild both after a restart.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from dispatch.model import Booking, BookingStatus, Location, TimeKind
from dispatch.rail.timetable import Connection
from dispatch.trips.itinerary import Itinerary, Leg, TripOption

VERSION = 1


def _pair(value: Any) -> tuple[int, int] | None:
    return None if value is None else (int(value[0]), int(value[1]))


def booking_to_dict(b: Booking) -> dict[str, Any]:
    out = asdict(b)
    out.update(time_kind=str(b.time_kind), status=str(b.status), rider_ids=list(b.rider_ids),
               pickup_window=None if b.pickup_window is None else list(b.pickup_window),
               dropoff_window=None if b.dropoff_window is None else list(b.dropoff_window))
    return out


def booking_from_dict(raw: dict[str, Any]) -> Booking:
    known = {f.name for f in fields(Booking)}
    data = {k: v for k, v in raw.items() if k in known}
    data.update(pickup=Location(**raw["pickup"]), dropoff=Location(**raw["dropoff"]),
                time_kind=TimeKind(raw["time_kind"]), status=BookingStatus(raw["status"]),
                rider_ids=tuple(raw["rider_ids"]), pickup_window=_pair(raw["pickup_window"]),
                dropoff_window=_pair(raw["dropoff_window"]))
    return Booking(**data)


def leg_to_dict(leg: Leg) -> dict[str, Any]:
    out = asdict(leg)
    for key in ("pickup_window", "dropoff_window", "promised_window"):
        value = getattr(leg, key)
        out[key] = None if value is None else list(value)
    return out


def leg_from_dict(raw: dict[str, Any]) -> Leg:
    data = dict(raw)
    data.update(origin=Location(**raw["origin"]), destination=Location(**raw["destination"]),
                connection=None if raw["connection"] is None else Connection(**raw["connection"]),
                pickup_window=_pair(raw["pickup_window"]), dropoff_window=_pair(raw["dropoff_window"]),
                promised_window=_pair(raw["promised_window"]))
    return Leg(**data)


def option_to_dict(option: TripOption) -> dict[str, Any]:
    out = {f.name: getattr(option, f.name) for f in fields(TripOption) if f.name not in ("legs", "hubs")}
    out["legs"] = [leg_to_dict(leg) for leg in option.legs]
    out["hubs"] = None if option.hubs is None else list(option.hubs)
    return out


def option_from_dict(raw: dict[str, Any]) -> TripOption:
    data = dict(raw)
    data.update(legs=tuple(leg_from_dict(leg) for leg in raw["legs"]),
                hubs=None if raw["hubs"] is None else (raw["hubs"][0], raw["hubs"][1]))
    return TripOption(**data)


def itinerary_to_dict(it: Itinerary) -> dict[str, Any]:
    return {"booking": booking_to_dict(it.booking), "option": option_to_dict(it.option),
            "legs": [leg_to_dict(leg) for leg in it.legs], "status": str(it.status),
            "replanned": list(it.replanned), "at_risk": list(it.at_risk)}


def itinerary_from_dict(raw: dict[str, Any]) -> Itinerary:
    return Itinerary(booking_from_dict(raw["booking"]), option_from_dict(raw["option"]),
                     [leg_from_dict(leg) for leg in raw["legs"]], BookingStatus(raw["status"]),
                     list(raw["replanned"]), list(raw["at_risk"]))


def dump(itineraries: list[Itinerary], delays: dict[str, int]) -> dict[str, Any]:
    """JSON-safe state: every itinerary and the train delays known so far (s)."""
    return {"version": VERSION, "trips": [itinerary_to_dict(it) for it in itineraries], "delays": dict(delays)}


def load(data: dict[str, Any]) -> tuple[list[Itinerary], dict[str, int]]:
    """Itineraries and delays from :func:`dump` output; ``ValueError`` for another version."""
    if data.get("version") != VERSION:
        raise ValueError(f"trip planner snapshot version {data.get('version')!r}, expected {VERSION}")
    return [itinerary_from_dict(raw) for raw in data["trips"]], {k: int(v) for k, v in data["delays"].items()}

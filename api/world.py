"""What the API and the worker share besides Redis: the road network, service rules, solver parameters.

It turns what callers say ("the hospital", a lat/lon) into engine locations, and vehicle definitions
into the engine's :class:`dispatch.model.Vehicle` for one service day.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.engine import DayEngine
from api.errors import ApiError
from api.settings import Settings
from dispatch.model import Break, Location, Shift, Vehicle
from dispatch.rules import ServiceRules
from dispatch.solver.params import SolveParams, for_method
from dispatch.stop_service import StopMapper, StopService
from routing import OutOfServiceArea, RoadNetwork, RoutingError

log = logging.getLogger(__name__)


@dataclass
class World:
    """The static context of dispatch: network (the travel-cost oracle), rules, solver parameters and,
    for wide-area trips, the operating model (None: one dispatcher, no trip planner)."""

    network: RoadNetwork
    rules: ServiceRules
    solve_params: SolveParams
    operating_model: Any | None = None
    offer_hold_s: int = 300
    stops: StopMapper | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> World:
        if settings.network == "region":
            network = RoadNetwork.load()
        elif settings.network.startswith("data:"):
            network = RoadNetwork.load(settings.network.removeprefix("data:"))
        else:
            raise ValueError(f"KANRA_NETWORK={settings.network!r}: use 'region' or 'data:<directory>'")
        rules = ServiceRules()
        if settings.rules_file is not None:
            rules = ServiceRules.from_dict(json.loads(Path(settings.rules_file).read_text(encoding="utf-8")))
        model = None
        if settings.operating_model_file is not None:
            from dispatch.trips import OperatingModel

            path = Path(settings.operating_model_file)
            data = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if not k.startswith("_")}
            model = OperatingModel.from_dict(data)
        stops = None
        if settings.stop_service_file is not None:
            path = Path(settings.stop_service_file)
            try:
                stops = StopMapper(network, StopService.from_dict(json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, TypeError) as exc:
                raise ValueError(f"KANRA_STOP_SERVICE={path}: {exc}") from None
        params = for_method(SolveParams(time_limit_s=settings.reopt_time_limit_s), settings.reopt_method)
        return cls(network, rules, params, model, settings.offer_hold_s, stops)

    # ------------------------------------------------------------------ engines
    def timetable(self, day: str) -> Any:
        """The Joshin line's trains of ``day`` (a fresh object: delays are recorded on it)."""
        from dispatch.rail import read_gtfs

        return read_gtfs(service_day=day)

    def new_engine(self, definitions: Iterable[dict[str, Any]], day: str) -> DayEngine:
        """A fresh engine for a day nobody has booked yet."""
        from dispatch.online.dispatcher import Dispatcher

        dispatcher = Dispatcher(self.network, self.vehicles(definitions), self.rules, service_day=day,
                                solve_params=self.solve_params, offer_hold_s=self.offer_hold_s)
        if self.operating_model is None:
            return DayEngine(dispatcher, vehicle_of=self.vehicle)
        from dispatch.trips import TripPlanner

        return DayEngine(dispatcher, TripPlanner(dispatcher, self.network, self.timetable(day), self.operating_model),
                         vehicle_of=self.vehicle)

    def restore_engine(self, data: dict[str, Any], trips: dict[str, Any] | None, day: str) -> DayEngine:
        """The engine of a committed snapshot (dispatcher snapshot, planner snapshot or None)."""
        from dispatch.online.dispatcher import Dispatcher

        dispatcher = Dispatcher.restore(data, self.network)
        if self.operating_model is None:
            return DayEngine(dispatcher, vehicle_of=self.vehicle)
        from dispatch.trips import TripPlanner

        if trips is None:
            return DayEngine(dispatcher, TripPlanner(dispatcher, self.network, self.timetable(day),
                                                     self.operating_model), vehicle_of=self.vehicle)
        return DayEngine(dispatcher, TripPlanner.restore(trips, dispatcher, self.network, self.timetable(day),
                                                         self.operating_model), vehicle_of=self.vehicle)

    # ------------------------------------------------------------------ places
    def place_location(self, key: str, field: str) -> dict[str, Any]:
        """Location record of a named place; 422 naming ``field`` if the key is unknown."""
        try:
            place = self.network.place(key)
        except KeyError as exc:
            raise ApiError(422, field, str(exc).strip("'\"")) from None
        if place.node < 0:
            raise ApiError(422, field, f"place {place.key} lies outside the service area")
        return {
            "node": place.node,
            "lat": place.lat,
            "lon": place.lon,
            "place": place.key,
            "name": place.name_ja,
            "name_en": place.name_en,
            "jis_code": place.jis_code,
            "access_s": 0.0,
        }

    def point_location(self, lat: float, lon: float, label: str | None, field: str) -> dict[str, Any]:
        """Location record of an address point: snapped to the road graph, with its municipality."""
        try:
            snap = self.network.snap(lat, lon, "walk")
            zone = self.network.zone_of(lat, lon)
        except (OutOfServiceArea, RoutingError) as exc:
            raise ApiError(422, field, str(exc)) from None
        name = label or f"{zone.municipality_ja}{zone.oaza_ja}"
        return {
            "node": snap.node,
            "lat": lat,
            "lon": lon,
            "place": None,
            "name": name,
            "name_en": label or zone.municipality_en,
            "jis_code": zone.jis_code,
            "access_s": round(snap.access_time_s, 1),
        }

    def resolve(self, point: Any, field: str) -> dict[str, Any]:
        """Location record of a :class:`api.schemas.PointIn`."""
        if point.place is not None:
            return self.place_location(point.place, f"{field}.place")
        return self.point_location(point.lat, point.lon, point.label, field)

    def resolve_served(self, point: Any, field: str) -> dict[str, Any]:
        """Location record of a booking's end as the service serves it.

        Door to door: :meth:`resolve`. In stop-based service (``KANRA_STOP_SERVICE``), a door in a
        municipality the service runs stop to stop is moved to the nearest stop within the walking limit
        (``walk_m`` and ``access_s`` then hold the walk); 422 naming ``field`` if none is in reach.
        """
        record = self.resolve(point, field)
        if self.stops is None:
            return record
        door = to_location(record)
        try:
            served = self.stops.serve(door)
        except ValueError as exc:
            raise ApiError(422, field, f"{getattr(exc, 'reason', 'invalid_request')}: {exc}") from None
        if served is door:
            return record
        out = location_record(served)
        out.update(name_en=self.network.place(served.stop_id).name_en, walk_m=round(
            served.access_s * self.stops.service.walk_kph / 3.6, 1), access_s=round(served.access_s, 1))
        return out

    # ------------------------------------------------------------------ vehicles
    def vehicle(self, definition: dict[str, Any]) -> Vehicle:
        """Engine vehicle of a stored definition (see :class:`api.schemas.VehicleIn`), one shift a day."""
        depot = to_location(self.place_location(definition["depot"], "depot"))
        breaks = []
        for raw in definition.get("breaks") or ():
            place = raw.get("place", "depot")
            where = depot if place == "depot" else None if place == "anywhere" else to_location(
                self.place_location(place, "breaks.place"))
            earliest = hhmm_s(raw["earliest"])
            latest = hhmm_s(raw.get("latest") or raw["earliest"])
            breaks.append(Break(earliest, latest, 60 * int(raw["minutes"]), where))
        shift = Shift(hhmm_s(definition["shift_start"]), hhmm_s(definition["shift_end"]), depot, breaks=tuple(breaks))
        area = definition.get("service_area")
        if not area and self.operating_model is not None:  # each fleet where its model lets it drive
            area = sorted(self.operating_model.service_area(definition["municipality"]))
        return Vehicle(
            id=definition["id"],
            municipality=definition["municipality"],
            seats=int(definition["seats"]),
            wheelchair_places=int(definition["wheelchair_places"]),
            shifts=(shift,),
            service_area=frozenset(area) if area else None,
            label=definition.get("label", ""),
        )

    def vehicles(self, definitions: Iterable[dict[str, Any]]) -> list[Vehicle]:
        return [self.vehicle(d) for d in sorted(definitions, key=lambda d: d["id"])]


def hhmm_s(value: str) -> int:
    """Seconds since midnight of ``HH:MM``."""
    hours, minutes = (int(p) for p in value.split(":"))
    return hours * 3600 + minutes * 60


def to_location(record: dict[str, Any]) -> Location:
    """Engine location of a stored location record."""
    return Location(
        node=int(record["node"]),
        lat=record.get("lat"),
        lon=record.get("lon"),
        stop_id=record.get("place"),
        name=record.get("name", ""),
        jis_code=record.get("jis_code"),
        access_s=float(record.get("access_s", 0.0)),
    )


def location_record(location: Location) -> dict[str, Any]:
    """Stored record of an engine location (for locations the engine made, e.g. trip legs)."""
    return {
        "node": location.node,
        "lat": location.lat,
        "lon": location.lon,
        "place": location.stop_id,
        "name": location.name,
        "name_en": location.name,
        "jis_code": location.jis_code,
        "access_s": location.access_s,
    }


def load_fleet_file(path: Path) -> list[dict[str, Any]]:
    """Vehicle definitions of a fleet JSON file (``{"vehicles": [...]}``), defaults filled in.

    Raises
    ------
    ValueError
        A row's breaks do not fit its shift (checked as ``PUT /vehicles/{id}`` checks them).
    """
    from api.schemas import VehicleIn  # the API's own check of a definition

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for row in data.get("vehicles", []):
        if row.get("breaks"):
            try:
                VehicleIn.model_validate(row)
            except ValueError as exc:
                raise ValueError(f"{path}: vehicle {row.get('id')!r}: {exc}") from None
        out.append(
            {
                "seats": 7,
                "wheelchair_places": 0,
                "shift_start": "08:00",
                "shift_end": "17:00",
                "service_area": None,
                "label": "",
                "breaks": [],
                **row,
            }
        )
    return out

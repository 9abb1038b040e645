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

from api.errors import ApiError
from api.settings import Settings
from dispatch.model import Location, Shift, Vehicle
from dispatch.rules import ServiceRules
from dispatch.solver.params import SolveParams
from routing import OutOfServiceArea, RoadNetwork, RoutingError

log = logging.getLogger(__name__)


@dataclass
class World:
    """The static context of dispatch: network (the travel-cost oracle), rules and solver parameters."""

    network: RoadNetwork
    rules: ServiceRules
    solve_params: SolveParams

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
        return cls(network, rules, SolveParams(time_limit_s=settings.reopt_time_limit_s))

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

    # ------------------------------------------------------------------ vehicles
    def vehicle(self, definition: dict[str, Any]) -> Vehicle:
        """Engine vehicle of a stored definition (see :class:`api.schemas.VehicleIn`), one shift a day."""
        depot = to_location(self.place_location(definition["depot"], "depot"))
        shift = Shift(hhmm_s(definition["shift_start"]), hhmm_s(definition["shift_end"]), depot)
        area = definition.get("service_area")
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
    """Vehicle definitions of a fleet JSON file (``{"vehicles": [...]}``), defaults filled in."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for row in data.get("vehicles", []):
        out.append(
            {
                "seats": 7,
                "wheelchair_places": 0,
                "shift_start": "08:00",
                "shift_end": "17:00",
                "service_area": None,
                "label": "",
                **row,
            }
        )
    return out

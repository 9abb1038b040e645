"""Stop-based service: pickups and drop-offs at named stops only, as Tomioka's 愛タク runs.

A rider's door (a home, a 大字 point, any address) is served at the nearest stop pole of the stop set
within the walking limit; the walk is part of the rider's trip (:attr:`StopAccess.walk_s`, carried on
the :class:`dispatch.model.Location` as ``access_s``). A door with no stop within the limit is refused
with :class:`NoStopNearby`. A place that is itself a stop of the set is served where it is.
Door-to-door service stays the default wherever no :class:`StopService` applies. Metres and seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from dispatch.model import Location

NO_STOP_REASON = "no_stop_within_walk"
"""Rejection reason of a door with no stop of the set within the walking limit."""


SAME_STOP_REASON = "same_stop"
"""Rejection reason of a trip whose two doors are served at the same stop (the rider walks)."""


class NoStopNearby(ValueError):
    """No stop of the stop set lies within the walking limit of a rider's point.

    Attributes
    ----------
    reason
        :data:`NO_STOP_REASON`.
    """

    reason = NO_STOP_REASON


class SameStop(ValueError):
    """Both doors of a trip are served at the same stop: there is nothing to drive.

    Attributes
    ----------
    reason
        :data:`SAME_STOP_REASON`.
    """

    reason = SAME_STOP_REASON


@dataclass(frozen=True)
class StopService:
    """Where and how the service runs stop to stop.

    Parameters
    ----------
    feeds
        Stop sets by feed id of ``stops.csv`` (``tomioka``: the 124 poles of the 富岡市乗合タクシー, the
        stand-in for 愛タク's stop set).
    max_walk_m
        Longest walk between a rider's door and the stop, metres along the ground (straight line x 1.3).
    municipalities
        JIS codes of the municipalities whose doors are served at stops (a door elsewhere keeps
        door-to-door service); empty means every municipality.
    walk_kph
        Walking speed for the walk time, km/h (4 km/h, as for every access leg of the engine).
    candidates
        How many of the nearest stops within the limit are reported (the nearest is used).
    beyond_walk
        A door with no stop within ``max_walk_m``: ``"refuse"`` (:class:`NoStopNearby`) or ``"door"`` (served
        at the door, where the real service has a stop that the stop set lacks: a stand-in set sparser than
        the real one must not turn its gaps into refusals).
    """

    feeds: tuple[str, ...] = ("tomioka",)
    max_walk_m: float = 800.0
    municipalities: tuple[str, ...] = ()
    walk_kph: float = 4.0
    candidates: int = 3
    beyond_walk: str = "refuse"

    def __post_init__(self) -> None:
        if not self.feeds:
            raise ValueError("feeds: at least one stop set is needed")
        if not self.max_walk_m > 0 or not self.walk_kph > 0 or self.candidates < 1:
            raise ValueError("max_walk_m and walk_kph must be positive and candidates at least 1")
        if self.beyond_walk not in ("refuse", "door"):
            raise ValueError(f"beyond_walk must be 'refuse' or 'door', got {self.beyond_walk!r}")

    def applies_to(self, jis_code: str | None) -> bool:
        """True when doors in municipality ``jis_code`` are served at stops."""
        return not self.municipalities or (jis_code is not None and jis_code in self.municipalities)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StopService:
        """Build from a mapping (JSON or YAML); unknown keys raise ``ValueError`` naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown stop-service key(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values = dict(data)
        for key in ("feeds", "municipalities"):
            if key in values:
                raw = values[key]
                values[key] = (raw,) if isinstance(raw, str) else tuple(str(x) for x in raw)
        return cls(**values)


@dataclass(frozen=True)
class StopAccess:
    """A door served at a stop: the stop's location, the walk and the other stops within reach.

    Attributes
    ----------
    location
        The stop pole as a dispatch location (its node, key, name, municipality; ``access_s`` = walk).
    walk_m, walk_s
        The walk from the door to the stop, metres and seconds.
    alternatives
        Keys of the other stops within the limit, nearest first.
    """

    location: Location
    walk_m: float
    walk_s: float
    alternatives: tuple[str, ...] = ()


class StopMapper:
    """Maps riders' doors to the stops of a :class:`StopService` on a road network.

    Parameters
    ----------
    network
        A :class:`routing.RoadNetwork` with stop poles (``network.nearest_stops``).
    service
        The stop-service rules.
    """

    def __init__(self, network, service: StopService) -> None:
        self.network = network
        self.service = service
        self._keys = {s.key for s in network.stops if s.feed in service.feeds}
        if not self._keys:
            raise ValueError(f"the road network has no stop of the set {', '.join(service.feeds)}")

    def is_stop(self, key: str | None) -> bool:
        """True when ``key`` names a stop pole of the set."""
        return key in self._keys

    def access(self, lat: float, lon: float, name: str = "") -> StopAccess:
        """The nearest stop of the set a rider at (lat, lon) can walk to.

        Raises
        ------
        NoStopNearby
            If no stop of the set lies within ``max_walk_m``.
        """
        svc = self.service
        hits = self.network.nearest_stops(lat, lon, svc.max_walk_m, feeds=svc.feeds, limit=svc.candidates)
        if not hits:
            where = f"{name} " if name else ""
            raise NoStopNearby(
                f"{where}({lat:.5f}, {lon:.5f}) has no stop within {svc.max_walk_m:.0f} m walk; "
                "this area's service runs from stop to stop"
            )
        stop, walk_m = hits[0]
        walk_s = walk_m / (svc.walk_kph / 3.6)
        location = Location(
            node=stop.node, lat=stop.lat, lon=stop.lon, stop_id=stop.key, name=stop.name_ja,
            jis_code=stop.jis_code or None, access_s=walk_s,
        )
        return StopAccess(location, walk_m, walk_s, tuple(s.key for s, _ in hits[1:]))

    def serve(self, location: Location) -> Location:
        """``location`` as the service serves it: unchanged where door-to-door applies or at a stop of the
        set, else at the nearest stop (``access_s`` then holds the walk).

        Raises
        ------
        NoStopNearby
            If stop service applies and no stop lies within the walking limit.
        ValueError
            If stop service applies to a location without coordinates.
        """
        if not self.service.applies_to(location.jis_code) or self.is_stop(location.stop_id):
            return location
        if location.lat is None or location.lon is None:
            raise ValueError(f"location {location.name or location.node} has no coordinates to find a stop from")
        try:
            return self.access(location.lat, location.lon, location.name).location
        except NoStopNearby:
            if self.service.beyond_walk == "door":
                return location
            raise

    def serve_trip(self, pickup: Location, dropoff: Location) -> tuple[Location, Location]:
        """Both ends of a trip as the service serves them (see :meth:`serve`).

        Raises
        ------
        NoStopNearby
            If an end has no stop within the walking limit.
        SameStop
            If both ends are served at the same stop (or at one road node).
        """
        a, b = self.serve(pickup), self.serve(dropoff)
        if a.node == b.node and (a is not pickup or b is not dropoff):
            raise SameStop(f"both ends are served at the stop {a.name or a.stop_id}: the trip is a walk")
        return a, b

"""Stations as transfer points: matching feed stops to road-network stations, buffers and walking access.

A feed names its stops its own way; the road network names stations ``st:<name_en>``. They are matched
by Japanese name (with or without 駅), else by position within ``max_match_m`` metres, so a real feed
works with no code change. Times in seconds, distances in metres.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from dispatch.rail.timetable import RailStop, Timetable


class StationLike(Protocol):
    """What a road-network station offers (``routing.facts.Station`` does)."""

    key: str
    name_ja: str
    lat: float
    lon: float


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    k = math.pi / 180
    x = (lon2 - lon1) * k * math.cos((lat1 + lat2) / 2 * k)
    y = (lat2 - lat1) * k
    return 6_371_009.0 * math.hypot(x, y)


class StationIndex:
    """Two-way map between road-network station keys and feed stop ids.

    Parameters
    ----------
    stations
        Road-network stations (``RoadNetwork.stations``).
    timetable
        The feed's timetable.
    max_match_m
        Farthest a stop may lie from a station to match by position, metres.

    Raises
    ------
    ValueError
        If a feed stop served by a train matches no station (names the stop).
    """

    def __init__(self, stations: Sequence[StationLike], timetable: Timetable, max_match_m: float = 300.0) -> None:
        self._stop_of: dict[str, str] = {}
        self._key_of: dict[str, str] = {}
        served = {c.stop_id for t in timetable.trains.values() for c in t.calls}
        for stop in timetable.stops.values():
            station = self._match(stop, stations, max_match_m)
            if station is None:
                if stop.stop_id in served:
                    raise ValueError(f"feed stop {stop.stop_id} ({stop.name}) matches no road-network station")
                continue
            self._stop_of.setdefault(station.key, stop.stop_id)
            self._key_of[stop.stop_id] = station.key

    @staticmethod
    def _match(stop: RailStop, stations: Sequence[StationLike], max_m: float) -> StationLike | None:
        name = stop.name.removesuffix("駅").strip()
        for s in stations:
            if s.name_ja == name:
                return s
        best = min(stations, key=lambda s: _metres(stop.lat, stop.lon, s.lat, s.lon), default=None)
        if best is not None and _metres(stop.lat, stop.lon, best.lat, best.lon) <= max_m:
            return best
        return None

    def stop_of(self, station_key: str) -> str | None:
        """Feed stop id of a station key, or None when the feed has no such stop."""
        return self._stop_of.get(station_key)

    def key_of(self, stop_id: str) -> str:
        """Station key of a feed stop id (``KeyError`` naming it when unknown)."""
        try:
            return self._key_of[stop_id]
        except KeyError:
            raise KeyError(f"feed stop {stop_id!r} is not a known station") from None

    @property
    def station_keys(self) -> list[str]:
        return list(self._stop_of)


@dataclass(frozen=True)
class StationAccess:
    """Time a rider needs at a station, by station key, with defaults.

    Parameters
    ----------
    transfer_buffer_s
        Least time between a feeder's drop-off at the station and the train's departure (5 min).
    access_s
        Walk between the platform and the taxi bay, either way (2 min).
    walk_speed_mps
        Walking speed for a walk leg to or from the station (1.0 m/s: elderly riders).
    walk_circuity
        Walking route length over straight-line length.
    max_walk_m
        Longest walk offered instead of a feeder ride, metres along the ground.
    buffers, access
        Per-station overrides of ``transfer_buffer_s`` and ``access_s`` (station key -> seconds).
    """

    transfer_buffer_s: int = 300
    access_s: int = 120
    walk_speed_mps: float = 1.0
    walk_circuity: float = 1.3
    max_walk_m: float = 600.0
    buffers: Mapping[str, int] = field(default_factory=dict)
    access: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.transfer_buffer_s < 0 or self.access_s < 0 or self.walk_speed_mps <= 0:
            raise ValueError("buffers and access times must not be negative, walking speed must be positive")

    def buffer_at(self, station_key: str) -> int:
        """Seconds between feeder drop-off and train departure at ``station_key``."""
        return int(self.buffers.get(station_key, self.transfer_buffer_s))

    def access_at(self, station_key: str) -> int:
        """Seconds from the train door to the taxi bay at ``station_key``."""
        return int(self.access.get(station_key, self.access_s))

    def walk(self, lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float] | None:
        """``(seconds, metres)`` of a walk between two points, or None when longer than ``max_walk_m``."""
        metres = _metres(lat1, lon1, lat2, lon2) * self.walk_circuity
        if metres > self.max_walk_m:
            return None
        return metres / self.walk_speed_mps, metres

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StationAccess:
        """Build from a mapping of the field names; unknown keys raise ``ValueError`` naming them."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown station access setting(s): {', '.join(unknown)}")
        return cls(**{k: (dict(v) if k in ("buffers", "access") else v) for k, v in data.items()})

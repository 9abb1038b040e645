"""The facts skeleton's speed model: how fast a car drives each piece of a skeleton road.

The regional facts give every corridor a road class and a typical speed (which already
carries the terrain: 45 km/h on the R254 trunk, 25 km/h on Nanmoku's branch roads). The
model scales those speeds by one factor per road class, drives the local connector ways at
one speed, slows every piece inside a town centre by one factor, and charges one delay
per major junction. Its parameters were fitted to scheduled bus times (see
:mod:`routing.fit` and ``docs/routing.md``); none of them is specific to one trip.
Speeds are km/h, distances metres, delays seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from routing.geo import haversine_m

TOWN_CENTRES: dict[str, tuple[float, float]] = {
    "Tomioka (上州富岡駅)": (36.260460, 138.891851),
    "Shimonita (下仁田駅)": (36.210484, 138.786681),
    "Kanra (甘楽町役場)": (36.24300, 138.92175),
}
"""Centres of the region's three built-up town areas (lat, lon degrees): the stations of
Tomioka and Shimonita and the Kanra town office."""


@dataclass(frozen=True)
class SpeedModel:
    """Parameters of the skeleton's drive speeds.

    Attributes
    ----------
    class_factor
        Multiplier on the corridor's typical speed, per OSM ``highway`` class.
    local_kph
        Speed of local connector ways (``highway=unclassified``), km/h.
    urban_factor
        Multiplier on every speed within ``urban_radius_m`` of a town centre (not motorways).
    urban_radius_m
        Radius of a town centre's built-up area, metres.
    junction_delay_s
        Seconds added for entering a junction of classified roads.
    """

    class_factor: dict[str, float] = field(
        default_factory=lambda: {"primary": 0.9, "secondary": 1.2, "tertiary": 1.3}
    )
    local_kph: float = 36.0
    urban_factor: float = 0.7
    urban_radius_m: float = 1500.0
    junction_delay_s: float = 10.0

    def is_urban(self, lat: float, lon: float) -> bool:
        """True if a point lies within ``urban_radius_m`` of a town centre."""
        return any(haversine_m(lat, lon, c[0], c[1]) <= self.urban_radius_m for c in TOWN_CENTRES.values())

    def piece_kph(self, highway: str, typical_kph: float | None, lat: float, lon: float) -> float:
        """Speed of one piece of road, km/h, rounded to 0.1 km/h.

        Parameters
        ----------
        highway
            OSM class of the road.
        typical_kph
            The facts' typical speed of the road (None for local connectors).
        lat, lon
            Midpoint of the piece, degrees (for the town-centre reduction).
        """
        if highway.startswith("motorway"):
            return float(typical_kph or 80.0)
        if typical_kph is None:
            kph = self.local_kph
        else:
            kph = typical_kph * self.class_factor.get(highway, 1.0)
        if self.is_urban(lat, lon):
            kph *= self.urban_factor
        return math.floor(kph * 10 + 0.5) / 10

    def as_dict(self) -> dict:
        """The parameters as a JSON-ready dict."""
        return {
            "class_factor": dict(self.class_factor),
            "local_kph": self.local_kph,
            "urban_factor": self.urban_factor,
            "urban_radius_m": self.urban_radius_m,
            "junction_delay_s": self.junction_delay_s,
        }


FITTED = SpeedModel()
"""The parameters the shipped skeleton is generated with."""

"""Small geodesy helpers and the service box.

All distances are metres on a sphere of radius 6,371,009 m (the mean Earth radius that
OSMnx also uses, so skeleton way lengths and loader edge lengths agree to the centimetre).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from routing.errors import OutOfServiceArea

EARTH_RADIUS_M = 6_371_009.0


@dataclass(frozen=True)
class BBox:
    """A WGS84 bounding box in degrees."""

    west: float
    south: float
    east: float
    north: float

    def contains(self, lat: float, lon: float) -> bool:
        """Return True when (lat, lon) in degrees lies inside the box (edges included)."""
        return self.south <= lat <= self.north and self.west <= lon <= self.east

    def as_tuple(self) -> tuple[float, float, float, float]:
        """Return (west, south, east, north) in degrees, the order OSMnx 2 expects."""
        return (self.west, self.south, self.east, self.north)


SERVICE_BOX = BBox(west=138.50, south=36.08, east=139.10, north=36.38)
"""Service box of the Kanra-Tomioka DRT: lon 138.50..139.10, lat 36.08..36.38."""


def check_point(lat: float, lon: float, box: BBox = SERVICE_BOX) -> tuple[float, float]:
    """Validate a WGS84 coordinate and return it as floats.

    Parameters
    ----------
    lat, lon
        Latitude and longitude in degrees.
    box
        The box the point must fall into.

    Returns
    -------
    tuple of float
        ``(lat, lon)`` in degrees.

    Raises
    ------
    OutOfServiceArea
        If either value is not a finite number or the point is outside ``box``.
    """
    try:
        flat, flon = float(lat), float(lon)
    except (TypeError, ValueError) as exc:
        raise OutOfServiceArea(f"coordinate ({lat!r}, {lon!r}) is not numeric") from exc
    if not (math.isfinite(flat) and math.isfinite(flon)):
        raise OutOfServiceArea(f"coordinate ({lat!r}, {lon!r}) is not a finite number")
    if not box.contains(flat, flon):
        raise OutOfServiceArea(
            f"point lat={flat:.6f} lon={flon:.6f} is outside the service box "
            f"lat {box.south}..{box.north}, lon {box.west}..{box.east}"
        )
    return flat, flon


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi = p2 - p1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def haversine_array_m(lat1: np.ndarray, lon1: np.ndarray, lat2: float, lon2: float) -> np.ndarray:
    """Vectorised great-circle distance in metres from many points to one point (degrees)."""
    p1 = np.radians(lat1)
    p2 = math.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * math.cos(p2) * np.sin(np.radians(lon2 - np.asarray(lon1)) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def local_xy_m(lat: np.ndarray, lon: np.ndarray, lat0: float) -> np.ndarray:
    """Project degrees to a local equirectangular plane in metres around latitude ``lat0``.

    Good to a few parts per thousand across the 50 km service box, which is plenty for
    nearest-neighbour searches (the final distance is always re-measured with haversine).
    """
    k = math.pi / 180 * EARTH_RADIUS_M
    return np.column_stack([np.asarray(lon) * k * math.cos(math.radians(lat0)), np.asarray(lat) * k])

"""Inputs of the facts skeleton beyond the regional facts: added roads and bus stop poles.

``skeleton_roads.csv`` names real roads the corridors file lacks (the 上信越自動車道 with
its interchanges, the R254 west of Motojuku). Each row is one road: ``highway`` class,
``ref``, typical speed (km/h), circuity and a ``;``-separated sequence of points, each
either a place key (``oz:下仁田町/本宿``), ``@lat,lon name`` (a named point, shared by every
row that spells the same coordinates, e.g. an interchange) or ``~lat,lon`` (the nearest
node of the ordinary road network, where a ramp meets a town road).

``stops.csv`` holds the region's bus stop poles (2019 GTFS-JP, CC BY 4.0). A stop
pole stands on the road its bus drives, so the skeleton joins every pole to the network
(see :mod:`routing.skeleton`): it gives the network a node wherever a bus really runs.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from routing.errors import RoutingError

ROADS_FILE = "skeleton_roads.csv"
STOPS_FILE = "stops.csv"


@dataclass(frozen=True)
class RoadPoint:
    """One point of an added road.

    Attributes
    ----------
    kind
        ``"place"`` (a facts place key), ``"point"`` (a named coordinate) or ``"nearest"``
        (the nearest ordinary road node to a coordinate).
    key
        Place key, or the point's name (empty for ``"nearest"``).
    lat, lon
        Degrees (0 for a place; its coordinates come from the facts).
    """

    kind: str
    key: str
    lat: float = 0.0
    lon: float = 0.0


@dataclass(frozen=True)
class AddedRoad:
    """A real road added to the skeleton (class, ref, typical km/h, circuity, points)."""

    name: str
    highway: str
    ref: str
    typical_kmh: float
    circuity: float
    points: tuple[RoadPoint, ...]


@dataclass(frozen=True)
class StopPole:
    """A bus stop pole: service feed, name and WGS84 degrees."""

    feed: str
    name: str
    lat: float
    lon: float


def _point(token: str, where: str) -> RoadPoint:
    token = token.strip()
    if token[:1] not in "@~":
        return RoadPoint("place", token)
    coords, _, name = token[1:].partition(" ")
    try:
        lat, lon = (float(x) for x in coords.split(","))
    except ValueError:
        raise RoutingError(f"{where}: bad point {token!r}; write @lat,lon name or ~lat,lon") from None
    return RoadPoint("point" if token[0] == "@" else "nearest", name.strip(), lat, lon)


def load_added_roads(data_dir: Path) -> tuple[AddedRoad, ...]:
    """Roads of ``skeleton_roads.csv`` in file order (empty if the file is absent)."""
    path = Path(data_dir) / ROADS_FILE
    if not path.is_file():
        return ()
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    roads = []
    for i, r in enumerate(rows, start=2):
        where = f"{path.name} line {i}"
        try:
            points = tuple(_point(t, where) for t in r["sequence"].split(";") if t.strip())
            kph, circuity = float(r["maxspeed"]), float(r["circuity"])
            roads.append(AddedRoad(r["road"], r["highway"], r["ref"], kph, circuity, points))
        except (KeyError, TypeError, ValueError) as exc:
            raise RoutingError(f"{where}: {exc}") from None
        if len(points) < 2:
            raise RoutingError(f"{where}: a road needs at least two points")
    return tuple(roads)


def load_stop_poles(data_dir: Path) -> tuple[StopPole, ...]:
    """Distinct stop poles of ``stops.csv`` (same coordinates to 1e-5 degrees kept once)."""
    path = Path(data_dir) / STOPS_FILE
    if not path.is_file():
        return ()
    seen: set[tuple[float, float]] = set()
    poles = []
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            lat, lon = float(r["lat"]), float(r["lon"])
            at = (round(lat, 5), round(lon, 5))
            if at not in seen:
                seen.add(at)
                poles.append(StopPole(r["feed"], r["stop_name"], lat, lon))
    return tuple(poles)

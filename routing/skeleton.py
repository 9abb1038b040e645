"""Generate the facts skeleton: an OSM XML road network built from the regional facts.

No OpenStreetMap extract of the region can be downloaded on the project's machines, so the
shipped network is generated from ``corridors.csv``: each corridor (a named real road given
as an ordered list of places) becomes a way through those places. Between two consecutive
places the way bends gently (about one bend per kilometre, a node every ~250 m of chord) so
that its length is exactly the straight-line length times the corridor's circuity; the bend
amplitude is solved numerically on the same great-circle metric OSMnx uses for edge lengths.
The roads of ``skeleton_roads.csv`` (the 上信越自動車道 with its interchanges and ramps, the
R254 west of Motojuku) are added the same way (:mod:`routing.skeleton_inputs`). Stations and
landmarks off the corridors and every bus stop pole of ``stops.csv`` are joined to
the nearest ordinary road node (never a motorway) by a short local way
(``highway=unclassified``, circuity :data:`LOCAL_CIRCUITY`), nearest first, so later ones may
join an earlier local way. Every piece of road gets its ``maxspeed`` from the fitted
:class:`~routing.speed_model.SpeedModel`; a road is split into several ways where that speed
changes (town centres). Every way is two-way. The output is byte-for-byte reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from routing.facts import DEFAULT_DATA_DIR, Place, RegionFacts, load_facts
from routing.geo import EARTH_RADIUS_M, SERVICE_BOX, haversine_array_m, haversine_m
from routing.osm_xml import OsmNode, OsmWay, write_osm_xml
from routing.skeleton_inputs import AddedRoad, StopPole, load_added_roads, load_stop_poles
from routing.speed_model import FITTED, SpeedModel

SKELETON_FILE = "kanra_tomioka_skeleton.osm"
SOURCE_TAG = "facts-skeleton"
CHORD_SPACING_M = 250.0
"""Target chord distance between consecutive nodes of a way, metres."""
BEND_CHORD_M = 1000.0
"""Chord length of one bend (half a sine wave), metres."""
LOCAL_CIRCUITY = 1.3
"""Circuity of local access ways (the same detour factor as a snapped access leg)."""
LOCAL_HIGHWAY = "unclassified"

_STATION_ID0, _LANDMARK_ID0, _OAZA_ID0, _POINT_ID0, _STOP_ID0, _BEND_ID0 = 1000, 2000, 3000, 4000, 5000, 100_000
_LOCAL_WAY_ID0, _CORRIDOR_WAY_ID0, _ADDED_WAY_ID0 = 1000, 100_000, 200_000


def _bent_points(
    a: tuple[float, float], b: tuple[float, float], circuity: float
) -> list[tuple[float, float]]:
    """Interior points of a bent polyline from ``a`` to ``b`` whose length is ``circuity`` x chord.

    Parameters
    ----------
    a, b
        End points as (lat, lon) degrees.
    circuity
        Target length / straight-line length (>= 1).

    Returns
    -------
    list of tuple
        Interior (lat, lon) points, end points excluded (possibly empty for a tiny chord).
    """
    chord = haversine_m(a[0], a[1], b[0], b[1])
    if chord < 1.0:
        return []
    pieces = max(2, math.ceil(chord / CHORD_SPACING_M))
    bends = max(1, round(chord / BEND_CHORD_M))
    pieces = max(pieces, 2 * bends)
    lat0 = math.radians((a[0] + b[0]) / 2)
    k = math.pi / 180 * EARTH_RADIUS_M
    ax, ay = a[1] * k * math.cos(lat0), a[0] * k
    bx, by = b[1] * k * math.cos(lat0), b[0] * k
    dx, dy = (bx - ax) / chord, (by - ay) / chord
    frac = np.arange(1, pieces) / pieces
    wave = np.sin(math.pi * bends * frac)

    def polyline(amplitude: float) -> tuple[np.ndarray, np.ndarray]:
        x = ax + (bx - ax) * frac - dy * amplitude * wave
        y = ay + (by - ay) * frac + dx * amplitude * wave
        return y / k, x / (k * math.cos(lat0))

    def length(amplitude: float) -> float:
        lat, lon = polyline(amplitude)
        pts = list(zip([a[0], *lat, b[0]], [a[1], *lon, b[1]], strict=True))
        return sum(haversine_m(*p, *q) for p, q in pairwise(pts))

    target = chord * max(circuity, 1.0)
    lo, hi = 0.0, chord
    if circuity > 1.0:
        while length(hi) < target:
            hi *= 2
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if length(mid) < target else (lo, mid)
    lat, lon = polyline((lo + hi) / 2 if circuity > 1.0 else 0.0)
    return [(round(float(y), 7), round(float(x), 7)) for y, x in zip(lat, lon, strict=True)]


@dataclass
class _Builder:
    """Mutable state of one skeleton build: nodes, ways and id counters."""

    nodes: dict[int, OsmNode]
    ways: list[OsmWay]
    next_node: int = _BEND_ID0
    next_local_way: int = _LOCAL_WAY_ID0

    def bent_way(self, ends: list[int], circuity: float) -> list[int]:
        """Node ids of a way through ``ends`` with bent segments added between them."""
        refs = [ends[0]]
        for u, v in pairwise(ends):
            nu, nv = self.nodes[u], self.nodes[v]
            for lat, lon in _bent_points((nu.lat, nu.lon), (nv.lat, nv.lon), circuity):
                self.nodes[self.next_node] = OsmNode(self.next_node, lat, lon)
                refs.append(self.next_node)
                self.next_node += 1
            refs.append(v)
        return refs


def _place_tags(place: Place) -> dict[str, str]:
    tags = {"name": place.name_ja, "skeleton:place": place.key, "skeleton:kind": place.kind}
    if place.name_en:
        tags["name:en"] = place.name_en
    if place.kind == "station":
        tags["railway"] = "station"
    return tags


def _place_ids(facts: RegionFacts) -> dict[str, int]:
    ids = {s.key: _STATION_ID0 + s.seq for s in facts.stations}
    ids.update({p.key: _LANDMARK_ID0 + i + 1 for i, p in enumerate(facts.landmarks)})
    ids.update({p.key: _OAZA_ID0 + i + 1 for i, p in enumerate(facts.oaza)})
    return ids


def _speed_runs(b: _Builder, refs: list[int], highway: str, typical: float | None, model: SpeedModel):
    """Split a way into runs of equal modelled speed: ``[(refs, kph), ...]``."""
    runs: list[tuple[list[int], float]] = []
    for u, v in pairwise(refs):
        nu, nv = b.nodes[u], b.nodes[v]
        kph = model.piece_kph(highway, typical, (nu.lat + nv.lat) / 2, (nu.lon + nv.lon) / 2)
        if runs and runs[-1][1] == kph:
            runs[-1][0].append(v)
        else:
            runs.append(([u, v], kph))
    return runs


def _add_road(b: _Builder, way_id0: int, refs: list[int], tags: dict[str, str], typical: float | None,
              model: SpeedModel) -> None:
    for j, (run, kph) in enumerate(_speed_runs(b, refs, tags["highway"], typical, model)):
        b.ways.append(OsmWay(way_id0 + j, tuple(run), {**tags, "maxspeed": f"{kph:g}"}))


def _nearest(b: _Builder, candidates: list[int], lat: float, lon: float) -> int:
    la = np.array([b.nodes[n].lat for n in candidates])
    lo = np.array([b.nodes[n].lon for n in candidates])
    return candidates[int(np.argmin(haversine_array_m(la, lo, lat, lon)))]


def _added_roads(b: _Builder, ids: dict[str, int], roads: tuple[AddedRoad, ...], model: SpeedModel) -> None:
    """Add the roads of ``skeleton_roads.csv``: ordinary roads first, then motorways and their ramps."""
    points: dict[tuple[float, float], int] = {}
    ordered = sorted(enumerate(roads), key=lambda ir: ir[1].highway.startswith("motorway"))
    for i, road in ordered:
        ordinary = sorted({r for w in b.ways if not w.tags["highway"].startswith("motorway") for r in w.refs})
        ends = []
        for p in road.points:
            if p.kind == "place":
                ends.append(ids[p.key])
            elif p.kind == "nearest":
                ends.append(_nearest(b, ordinary, p.lat, p.lon))
            else:
                at = (round(p.lat, 7), round(p.lon, 7))
                if at not in points:
                    points[at] = _POINT_ID0 + len(points) + 1
                    tags = {"name": p.key}
                    if road.highway.startswith("motorway"):
                        tags["highway"] = "motorway_junction"
                    b.nodes[points[at]] = OsmNode(points[at], at[0], at[1], tags)
                ends.append(points[at])
        tags = {"highway": road.highway, "name": road.name, "source": SOURCE_TAG}
        if road.ref:
            tags["ref"] = road.ref
        _add_road(b, _ADDED_WAY_ID0 + 100 * i, b.bent_way(ends, road.circuity), tags, road.typical_kmh, model)


def _join_local(b: _Builder, pending: list[tuple[int, str]], model: SpeedModel) -> None:
    """Join each pending node to the nearest ordinary road node by a local way, nearest first.

    ``pending`` holds (node id, way name); a node joined earlier may anchor a later one.
    """
    network = sorted({r for w in b.ways if not w.tags["highway"].startswith("motorway") for r in w.refs})
    plat = np.array([b.nodes[n].lat for n, _ in pending])
    plon = np.array([b.nodes[n].lon for n, _ in pending])
    best_d = np.full(len(pending), np.inf)
    best_a = np.zeros(len(pending), dtype=np.int64)

    def offer(nodes: list[int]) -> None:
        for n in nodes:
            d = haversine_array_m(plat, plon, b.nodes[n].lat, b.nodes[n].lon)
            better = d < best_d
            best_d[better], best_a[better] = d[better], n

    offer(network)
    open_ = np.ones(len(pending), dtype=bool)
    while open_.any():
        k = int(np.argmin(np.where(open_, best_d, np.inf)))
        open_[k] = False
        node, name = pending[k]
        refs = b.bent_way([int(best_a[k]), node], LOCAL_CIRCUITY)
        tags = {"highway": LOCAL_HIGHWAY, "name": name, "source": SOURCE_TAG}
        _add_road(b, b.next_local_way * 10, refs, tags, None, model)
        b.next_local_way += 1
        offer(refs[1:])


def build_skeleton(
    facts: RegionFacts,
    roads: tuple[AddedRoad, ...] = (),
    poles: tuple[StopPole, ...] = (),
    model: SpeedModel = FITTED,
) -> tuple[list[OsmNode], list[OsmWay]]:
    """Turn the regional facts, added roads and stop poles into OSM nodes and ways.

    Parameters
    ----------
    facts
        Regional facts (corridors, stations, landmarks, 大字).
    roads
        Real roads the corridors lack (``skeleton_roads.csv``).
    poles
        Bus stop poles, each joined to the network by a local way.
    model
        Speed model giving every piece of road its ``maxspeed`` (km/h).

    Returns
    -------
    tuple
        ``(nodes, ways)`` of the skeleton network.
    """
    ids = _place_ids(facts)
    places = facts.by_key()
    on_corridor = {k for c in facts.corridors for k in c.sequence}
    b = _Builder(
        nodes={
            ids[k]: OsmNode(ids[k], round(p.lat, 7), round(p.lon, 7), _place_tags(p))
            for k, p in places.items()
        },
        ways=[],
    )
    for i, c in enumerate(facts.corridors):
        refs = b.bent_way([ids[k] for k in c.sequence], c.circuity)
        tags = {"highway": c.road_class, "name": c.name, "source": SOURCE_TAG}
        _add_road(b, _CORRIDOR_WAY_ID0 + 100 * i, refs, tags, c.typical_kmh, model)
    _added_roads(b, ids, roads, model)
    pending = [(ids[p.key], f"{p.name_en} access road") for p in facts.stations + facts.landmarks
               if p.key not in on_corridor]
    for j, pole in enumerate(poles):
        nid = _STOP_ID0 + j + 1
        tags = {"highway": "bus_stop", "name": pole.name, "skeleton:stop": pole.feed}
        b.nodes[nid] = OsmNode(nid, round(pole.lat, 7), round(pole.lon, 7), tags)
        pending.append((nid, f"{pole.name} ({pole.feed} bus stop) access road"))
    _join_local(b, pending, model)
    return list(b.nodes.values()), b.ways


def write_skeleton(data_dir: Path = DEFAULT_DATA_DIR, out: Path | None = None) -> Path:
    """Generate the skeleton OSM XML from the facts in ``data_dir``.

    Parameters
    ----------
    data_dir
        Directory holding the facts CSV files.
    out
        Output path; defaults to ``data_dir / "kanra_tomioka_skeleton.osm"``.

    Returns
    -------
    Path
        The written file.
    """
    out = Path(out) if out is not None else Path(data_dir) / SKELETON_FILE
    data_dir = Path(data_dir)
    nodes, ways = build_skeleton(load_facts(data_dir), load_added_roads(data_dir), load_stop_poles(data_dir))
    write_osm_xml(out, nodes, ways, generator="kanra-tomioka-drt routing build-skeleton", bounds=SERVICE_BOX)
    return out

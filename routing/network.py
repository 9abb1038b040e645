"""``RoadNetwork``: the one object the rest of the engine asks about roads.

Load it with :meth:`RoadNetwork.load` (cached per data directory). Times are seconds,
distances metres, coordinates WGS84 degrees.
"""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache, cached_property
from typing import Literal

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from routing.build import load_graph
from routing.errors import RoutingError
from routing.facts import DEFAULT_DATA_DIR, FACT_FILES, BusStop, Municipality, Place, RegionFacts, Station, load_facts
from routing.geo import SERVICE_BOX, BBox, check_point, haversine_m, local_xy_m
from routing.geojson import edges_geojson, path_linestring
from routing.matrix import ALL_PAIRS_MAX_NODES, MatrixEngine
from routing.places import PlaceIndex
from routing.zones import Zone, ZoneLayout

log = logging.getLogger("routing")

ACCESS_CIRCUITY = 1.3
"""Ground distance of an access leg / straight-line distance."""
ACCESS_SPEED_KPH = {"walk": 4.0, "drive": 20.0}
"""Speed of an access leg by mode, km/h."""


@dataclass(frozen=True)
class Snap:
    """A coordinate attached to the graph.

    Attributes
    ----------
    node
        Nearest graph node.
    distance_m
        Access leg length along the ground: straight-line metres x :data:`ACCESS_CIRCUITY`.
    access_time_s
        Seconds to cover the access leg at the mode's speed (walk 4 km/h, drive 20 km/h).
    straight_m
        Straight-line metres from the coordinate to the node.
    """

    node: int
    distance_m: float
    access_time_s: float
    straight_m: float = 0.0


@dataclass(frozen=True)
class Path:
    """The fastest driving path between two nodes.

    Attributes
    ----------
    nodes
        Node ids in travel order.
    travel_time_s
        Seconds, the same value as the travel-time matrix.
    distance_m
        Metres along the path.
    geojson
        GeoJSON LineString, coordinates ``[lon, lat]``.
    """

    nodes: list[int]
    travel_time_s: float
    distance_m: float
    geojson: dict


class RoadNetwork:
    """A drivable road graph with snapping, matrices, paths, zones and named places.

    Parameters
    ----------
    graph
        Strongly connected ``networkx.MultiDiGraph`` whose nodes have ``x`` (lon) and ``y``
        (lat) and whose edges have ``length`` (m), ``speed_kph`` and ``travel_time`` (s).
    source
        ``"osm-extract"``, ``"facts-skeleton"`` or a free label (``"synthetic"``).
    source_path
        File the graph was read from, if any.
    facts
        Regional facts for places and zones; without them ``places`` is empty and
        ``zone_of`` raises.
    all_pairs_max_nodes
        Graphs up to this size precompute an all-pairs table (float32).
    box
        The box (degrees) coordinates must fall in to be snapped: the service box for the region,
        the ``--bbox`` an extract was built with otherwise.
    """

    def __init__(
        self,
        graph: nx.MultiDiGraph,
        source: str,
        source_path: pathlib.Path | None = None,
        facts: RegionFacts | None = None,
        all_pairs_max_nodes: int = ALL_PAIRS_MAX_NODES,
        box: BBox = SERVICE_BOX,
    ):
        self.graph = graph
        self.source = source
        self.source_path = source_path
        self.facts = facts
        self.box = box
        ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
        self.node_ids = np.sort(ids)
        self._lat = np.array([graph.nodes[n]["y"] for n in self.node_ids], dtype=np.float64)
        self._lon = np.array([graph.nodes[n]["x"] for n in self.node_ids], dtype=np.float64)
        self._lat0 = float(np.mean(self._lat))
        self._snappable = _snappable_positions(graph, self.node_ids)
        self._tree = cKDTree(local_xy_m(self._lat[self._snappable], self._lon[self._snappable], self._lat0))
        m = graph.number_of_edges()
        u = np.empty(m, dtype=np.int64)
        v = np.empty(m, dtype=np.int64)
        t = np.empty(m)
        length = np.empty(m)
        for i, (a, b, d) in enumerate(graph.edges(data=True)):
            u[i], v[i], t[i], length[i] = a, b, d["travel_time"], d["length"]
        self.engine = MatrixEngine(self.node_ids, u, v, t, length, all_pairs_max_nodes)
        self._places = self._snap_places(facts) if facts is not None else []
        self._index = PlaceIndex(self._places)
        self._zones = ZoneLayout(facts) if facts is not None else None
        self._geojson: dict[bool, dict] = {}

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, data_dir: pathlib.Path | str | None = None) -> RoadNetwork:
        """Load the network of a data directory (default ``data/osm_gunma``), cached per process.

        A real extract is preferred over the facts skeleton; see :mod:`routing.build`.
        """
        path = pathlib.Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
        return _load_cached(path.resolve())

    # ----------------------------------------------------------------- nodes
    @property
    def csr(self):
        """CSR matrix of edge travel times in seconds, indexed like :attr:`node_ids`."""
        return self.engine.csr

    def node_index(self, nodes: Sequence[int]) -> np.ndarray:
        """Positions of node ids in :attr:`node_ids` (raises :class:`RoutingError` if unknown)."""
        return self.engine.index(nodes)

    def node_latlon(self, node: int) -> tuple[float, float]:
        """(lat, lon) in degrees of a graph node."""
        i = int(self.engine.index([node])[0])
        return float(self._lat[i]), float(self._lon[i])

    def snap(self, lat: float, lon: float, mode: Literal["walk", "drive"] = "walk") -> Snap:
        """Attach a coordinate to its nearest graph node.

        Parameters
        ----------
        lat, lon
            WGS84 degrees, inside the network's box (:attr:`box`; for the region the service box
            lon 138.50..139.10, lat 36.08..36.38).
        mode
            ``"walk"`` (4 km/h) or ``"drive"`` (20 km/h) for the access leg.

        Returns
        -------
        Snap
            Node, access leg metres (straight x 1.3) and access seconds.

        Raises
        ------
        OutOfServiceArea
            For NaN or a point outside the network's box.
        RoutingError
            For an unknown mode.
        """
        if mode not in ACCESS_SPEED_KPH:
            raise RoutingError(f"unknown access mode {mode!r}; use 'walk' or 'drive'")
        lat, lon = check_point(lat, lon, self.box)
        _, j = self._tree.query(local_xy_m(np.array([lat]), np.array([lon]), self._lat0)[0])
        i = int(self._snappable[j])
        straight = haversine_m(lat, lon, float(self._lat[i]), float(self._lon[i]))
        ground = straight * ACCESS_CIRCUITY
        return Snap(int(self.node_ids[i]), ground, ground / (ACCESS_SPEED_KPH[mode] / 3.6), straight)

    # ----------------------------------------------------------------- matrices
    def matrices(self, origins: Sequence[int], destinations: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Seconds and metres along the fastest path between node sets (one Dijkstra pass).

        Returns
        -------
        tuple of numpy.ndarray
            ``(seconds, metres)``, float64, shape ``(len(origins), len(destinations))``.
        """
        return self.engine.matrices(origins, destinations)

    def travel_time_matrix(self, origins: Sequence[int], destinations: Sequence[int]) -> np.ndarray:
        """Driving seconds between node sets, float64 (len(origins), len(destinations))."""
        return self.engine.matrices(origins, destinations)[0]

    def distance_matrix(self, origins: Sequence[int], destinations: Sequence[int]) -> np.ndarray:
        """Metres along the fastest path between node sets, float64 (len(origins), len(destinations))."""
        return self.engine.matrices(origins, destinations)[1]

    def travel_time(self, a: int, b: int) -> float:
        """Driving seconds from node ``a`` to node ``b``."""
        return self.engine.pair(a, b)[0]

    def distance(self, a: int, b: int) -> float:
        """Metres along the fastest path from node ``a`` to node ``b``."""
        return self.engine.pair(a, b)[1]

    def path(self, a: int, b: int) -> Path:
        """Fastest path from node ``a`` to node ``b`` with a GeoJSON LineString for display."""
        nodes = self.engine.path_indices(a, b)
        t, d = self.engine.pair(a, b)
        return Path(nodes, t, d, path_linestring(self.graph, nodes))

    # ----------------------------------------------------------------- zones and places
    def zone_of(self, lat: float, lon: float) -> Zone:
        """Municipality and 大字 of a coordinate (nearest 大字 representative point).

        Raises
        ------
        OutOfServiceArea
            For NaN, outside the box, or farther than 5 km from every representative point.
        """
        if self._zones is None:
            raise RoutingError("this network has no zone layout (built without regional facts)")
        return self._zones.zone_of(lat, lon)

    def _snap_places(self, facts: RegionFacts) -> list[Place]:
        out = []
        for p in facts.all_places:
            if not self.box.contains(p.lat, p.lon):
                out.append(p)
                continue
            snap = self.snap(p.lat, p.lon)
            if isinstance(p, BusStop):
                out.append(replace(p, node=snap.node, access_m=snap.distance_m, access_s=snap.access_time_s))
            else:
                out.append(replace(p, node=snap.node))
        return out

    @property
    def places(self) -> list[Place]:
        """Stations (line order), landmarks, 大字, then real stop poles, each with its snapped drive node."""
        return list(self._places)

    @property
    def stops(self) -> list[BusStop]:
        """The real stop poles (乗降場所) in file order, snapped, with their access walk."""
        return [p for p in self._places if isinstance(p, BusStop)]

    def nearest_stops(
        self, lat: float, lon: float, max_walk_m: float, feeds: Sequence[str] | None = None, limit: int = 3
    ) -> list[tuple[BusStop, float]]:
        """Stop poles a rider at (lat, lon) can walk to, nearest first.

        Parameters
        ----------
        lat, lon
            WGS84 degrees of the rider's point (a home, a door).
        max_walk_m
            Walking limit in metres along the ground (straight line x :data:`ACCESS_CIRCUITY`).
        feeds
            Only poles of these feeds (``["tomioka"]``); None for every feed.
        limit
            Most poles returned.

        Returns
        -------
        list of (BusStop, float)
            Poles with their walk in metres, at most ``max_walk_m``; empty if none is that close.
        """
        lat, lon = check_point(lat, lon, self.box)
        wanted = None if feeds is None else set(feeds)
        found = []
        for stop in self.stops:
            if stop.node < 0 or (wanted is not None and stop.feed not in wanted):
                continue
            walk = haversine_m(lat, lon, stop.lat, stop.lon) * ACCESS_CIRCUITY
            if walk <= max_walk_m:
                found.append((walk, stop.key, stop))
        found.sort(key=lambda f: f[:2])
        return [(stop, walk) for walk, _, stop in found[:limit]]

    @property
    def stations(self) -> list[Station]:
        """Joshin line stations in line order Takasaki..Shimonita."""
        return sorted((p for p in self._places if isinstance(p, Station)), key=lambda s: s.seq)

    @property
    def municipalities(self) -> list[Municipality]:
        """The four service municipalities (JIS code, names, 2020 population)."""
        return list(self.facts.municipalities) if self.facts is not None else []

    def place(self, key_or_name: str) -> Place:
        """A place by key, English or Japanese name (case-insensitive); KeyError lists near matches."""
        return self._index.get(key_or_name)

    def search_places(self, query: str, limit: int = 10) -> list[Place]:
        """Places matching ``query`` (exact, prefix, then substring; stations first)."""
        return self._index.search(query, limit)

    # ----------------------------------------------------------------- maps and stats
    def geojson(self, simplify: bool = True) -> dict:
        """FeatureCollection of road edges (LineStrings with highway class and name), cached."""
        if simplify not in self._geojson:
            self._geojson[simplify] = edges_geojson(self.graph, simplify=simplify)
        return self._geojson[simplify]

    @cached_property
    def km_by_class(self) -> dict[str, float]:
        """Road kilometres per highway class; a two-way road counts once, largest first."""
        km: dict[str, float] = {}
        for u, v, d in self.graph.edges(data=True):
            hw = d.get("highway")
            hw = hw[0] if isinstance(hw, list) else str(hw)
            share = 0.5 if self.graph.has_edge(v, u) else 1.0
            km[hw] = km.get(hw, 0.0) + share * float(d["length"]) / 1000
        return dict(sorted(km.items(), key=lambda kv: -kv[1]))

    def __repr__(self) -> str:
        return (
            f"RoadNetwork(source={self.source!r}, nodes={self.graph.number_of_nodes()}, "
            f"edges={self.graph.number_of_edges()})"
        )


def _snappable_positions(graph: nx.MultiDiGraph, node_ids: np.ndarray) -> np.ndarray:
    """Positions in ``node_ids`` of nodes a point may snap to: nodes touching a road other than a
    motorway or its ramps (nobody is picked up on the expressway); all nodes if there is none."""
    ordinary: set[int] = set()
    for u, v, d in graph.edges(data=True):
        hw = d.get("highway")
        hws = hw if isinstance(hw, list) else [str(hw)]
        if not all(h.startswith("motorway") for h in hws):
            ordinary.update((u, v))
    mask = np.fromiter((n in ordinary for n in node_ids), dtype=bool, count=len(node_ids))
    return np.flatnonzero(mask) if mask.any() else np.arange(len(node_ids))


def facts_of(data_dir: pathlib.Path) -> RegionFacts | None:
    """The regional facts of a data directory, or None when it holds none of the fact files.

    A folder holding only a built extract (any region) then loads with no places and no zone layout;
    a folder holding some of the fact files but not all is an error naming the missing one.
    """
    if not any((data_dir / name).is_file() for name in FACT_FILES):
        log.info("%s holds no regional facts: no places, no zones", data_dir)
        return None
    return load_facts(data_dir)


@cache
def _load_cached(data_dir: pathlib.Path) -> RoadNetwork:
    loaded = load_graph(data_dir)
    net = RoadNetwork(loaded.graph, loaded.source, loaded.source_path, facts_of(data_dir), box=loaded.box)
    log.info("loaded %r from %s", net, loaded.source_path)
    return net

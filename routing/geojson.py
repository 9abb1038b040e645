"""GeoJSON views of the road graph for maps: every road edge, or one path (coordinates [lon, lat])."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import networkx as nx


def _first(value: object) -> object:
    return value[0] if isinstance(value, list) and value else value


def edge_coords(G: nx.MultiDiGraph, u: int, v: int, data: dict) -> list[list[float]]:
    """Coordinates ``[lon, lat]`` of one edge, from its geometry when it has one."""
    geom = data.get("geometry")
    if geom is not None:
        return [[float(x), float(y)] for x, y in geom.coords]
    return [[G.nodes[u]["x"], G.nodes[u]["y"]], [G.nodes[v]["x"], G.nodes[v]["y"]]]


def fastest_edge(G: nx.MultiDiGraph, u: int, v: int) -> dict:
    """Attributes of the fastest parallel edge from ``u`` to ``v``."""
    return min(G[u][v].values(), key=lambda d: d["travel_time"])


def path_linestring(G: nx.MultiDiGraph, nodes: Sequence[int], precision: int = 6) -> dict:
    """GeoJSON LineString of a node path along the fastest edges (a single point is repeated).

    Parameters
    ----------
    G
        Road graph.
    nodes
        Node ids in travel order.
    precision
        Decimals kept in each coordinate (6 is about 0.1 m).
    """
    coords: list[list[float]] = []
    for u, v in pairwise(nodes):
        part = edge_coords(G, u, v, fastest_edge(G, u, v))
        coords.extend(part if not coords else part[1:])
    if not coords:
        x, y = G.nodes[nodes[0]]["x"], G.nodes[nodes[0]]["y"]
        coords = [[x, y], [x, y]]
    return {
        "type": "LineString",
        "coordinates": [[round(x, precision), round(y, precision)] for x, y in coords],
    }


def edges_geojson(G: nx.MultiDiGraph, simplify: bool = True, precision: int = 5) -> dict:
    """FeatureCollection of the road edges, one feature per road segment (two-way roads once).

    Parameters
    ----------
    G
        Road graph with ``length`` (m), ``speed_kph`` and ``travel_time`` (s) on edges.
    simplify
        Merge chains of degree-2 nodes into one LineString (fewer, longer features).
    precision
        Decimals kept in each coordinate (5 is about 1 m).

    Returns
    -------
    dict
        GeoJSON FeatureCollection; properties ``highway``, ``name``, ``oneway``, ``length_m``,
        ``speed_kph``, ``travel_time_s``.
    """
    import osmnx as ox

    H = G
    if simplify and not G.graph.get("simplified"):
        H = ox.simplify_graph(G.copy())
    features = []
    seen: set[tuple[int, int, int]] = set()
    for u, v, data in H.edges(data=True):
        length = float(_first(data.get("length", 0.0)))
        tag = (min(u, v), max(u, v), round(length))
        if tag in seen:
            continue
        seen.add(tag)
        coords = edge_coords(H, u, v, data)
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[round(x, precision), round(y, precision)] for x, y in coords],
                },
                "properties": {
                    "highway": _first(data.get("highway")),
                    "name": _first(data.get("name")),
                    "oneway": not H.has_edge(v, u),
                    "length_m": round(length, 1),
                    "speed_kph": _first(data.get("speed_kph")),
                    "travel_time_s": round(float(_first(data.get("travel_time", 0.0))), 1),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}

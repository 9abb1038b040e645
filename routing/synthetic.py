"""Synthetic grid road networks for tests and benchmarks.

A rows x cols grid of two-way streets laid inside the service box, so snapping works as on
the regional graph. Edge speeds vary deterministically (seeded) between 20 and 60 km/h so
that fastest and shortest paths differ, as on real roads.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from routing.facts import RegionFacts
from routing.geo import EARTH_RADIUS_M, SERVICE_BOX
from routing.network import RoadNetwork

GRID_SPACING_M = 150.0
"""Default distance between neighbouring grid nodes, metres (shrunk to fit the box)."""


def grid_graph(n_nodes: int, spacing_m: float = GRID_SPACING_M, seed: int = 0) -> nx.MultiDiGraph:
    """A strongly connected grid ``MultiDiGraph`` of about ``n_nodes`` nodes.

    Parameters
    ----------
    n_nodes
        Number of nodes (>= 4); the last row may be partial.
    spacing_m
        Grid spacing in metres, reduced if the grid would not fit the service box.
    seed
        Seed of the edge speeds.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes ``0..n_nodes-1`` with ``x``/``y`` in degrees; edges with ``length`` (m),
        ``speed_kph``, ``travel_time`` (s), ``highway`` and ``name``.
    """
    if n_nodes < 4:
        raise ValueError("a grid network needs at least 4 nodes")
    cols = math.ceil(math.sqrt(n_nodes))
    rows = math.ceil(n_nodes / cols)
    lat0 = (SERVICE_BOX.south + SERVICE_BOX.north) / 2
    deg_lat = 180 / (math.pi * EARTH_RADIUS_M)
    deg_lon = deg_lat / math.cos(math.radians(lat0))
    width = (SERVICE_BOX.east - SERVICE_BOX.west) / deg_lon
    height = (SERVICE_BOX.north - SERVICE_BOX.south) / deg_lat
    step = min(spacing_m, 0.98 * width / max(1, cols - 1), 0.98 * height / max(1, rows - 1))
    rng = np.random.default_rng(seed)
    G = nx.MultiDiGraph(crs="epsg:4326")
    for i in range(n_nodes):
        r, c = divmod(i, cols)
        G.add_node(i, y=SERVICE_BOX.south + 0.001 + r * step * deg_lat, x=SERVICE_BOX.west + 0.001 + c * step * deg_lon)
    for i in range(n_nodes):
        r, c = divmod(i, cols)
        for j in (i + 1 if c + 1 < cols else -1, i + cols):
            if 0 <= j < n_nodes:
                kph = float(rng.uniform(20.0, 60.0))
                attrs = {"length": step, "speed_kph": kph, "travel_time": step / (kph / 3.6)}
                attrs.update(highway="residential", name=f"grid {r}", junction_delay_s=0.0)
                G.add_edge(i, j, **attrs)
                G.add_edge(j, i, **attrs)
    return G


def grid_network(
    n_nodes: int, spacing_m: float = GRID_SPACING_M, seed: int = 0, facts: RegionFacts | None = None
) -> RoadNetwork:
    """A :class:`RoadNetwork` on a synthetic grid (source ``"synthetic"``).

    Parameters
    ----------
    n_nodes, spacing_m, seed
        See :func:`grid_graph`.
    facts
        Optional regional facts to get places and zones snapped onto the grid.
    """
    return RoadNetwork(grid_graph(n_nodes, spacing_m, seed), source="synthetic", facts=facts)

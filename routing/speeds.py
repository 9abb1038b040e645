"""Edge speeds and travel times.

Speed of an edge, km/h: the OSM ``maxspeed`` tag when it can be read, else the default of
its ``highway`` class in :data:`JP_DEFAULT_KPH`. Japan's legal limit on unsigned general
roads is 60 km/h (100 km/h on expressways), but rural and town roads are driven well below
it; the defaults below are typical free-flow speeds on the same scale as the corridor
speeds of the regional facts (primary 45, secondary 35-40, tertiary 25-35 km/h).
"""

from __future__ import annotations

import math
import re

import networkx as nx

from routing.speed_model import FITTED

JP_DEFAULT_KPH: dict[str, float] = {
    "motorway": 80.0,
    "motorway_link": 40.0,
    "trunk": 50.0,
    "trunk_link": 30.0,
    "primary": 45.0,
    "primary_link": 30.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 35.0,
    "tertiary_link": 25.0,
    "unclassified": 30.0,
    "road": 30.0,
    "residential": 25.0,
    "living_street": 15.0,
    "service": 15.0,
}
"""Default speed per ``highway`` class when ``maxspeed`` is missing or unreadable, km/h."""
FALLBACK_KPH = 30.0
"""Speed of an edge whose class is unknown, km/h."""
_MPH = 1.609344
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")


def _as_list(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [s for s in str(value).split(";") if s.strip()]


def parse_maxspeed(value: object) -> float | None:
    """Read an OSM ``maxspeed`` value in km/h.

    Parameters
    ----------
    value
        Tag value (``"40"``, ``"30 mph"``, ``"40;50"``) or a list of them (after graph
        simplification merges edges).

    Returns
    -------
    float or None
        Mean of the readable values in km/h, or None when none can be read (``"none"``,
        ``"signals"``, ``"JP:urban"``...).
    """
    speeds = []
    for item in _as_list(value):
        m = _NUMBER.match(item.lower())
        if m:
            kph = float(m.group(1)) * (_MPH if m.group(2) == "mph" else 1.0)
            if kph > 0:
                speeds.append(kph)
    return sum(speeds) / len(speeds) if speeds else None


def default_speed(highway: object) -> float:
    """Default speed in km/h of a ``highway`` value (the first known class if it is a list)."""
    for hw in _as_list(highway):
        if hw in JP_DEFAULT_KPH:
            return JP_DEFAULT_KPH[hw]
    return FALLBACK_KPH


def edge_speed_kph(data: dict) -> float:
    """Speed of one edge in km/h from its ``maxspeed`` and ``highway`` attributes."""
    parsed = parse_maxspeed(data.get("maxspeed"))
    return parsed if parsed is not None else default_speed(data.get("highway"))


def add_speeds_and_times(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Set ``speed_kph`` (km/h) and ``travel_time`` (s) on every edge, in place.

    Parameters
    ----------
    G
        Graph whose edges carry ``length`` in metres.

    Returns
    -------
    networkx.MultiDiGraph
        ``G`` itself.
    """
    for _, _, data in G.edges(data=True):
        kph = edge_speed_kph(data)
        data["speed_kph"] = kph
        data["travel_time"] = float(data["length"]) / (kph / 3.6)
    return G


CLASSIFIED = frozenset(
    hw for hw in JP_DEFAULT_KPH if hw.split("_")[0] in {"motorway", "trunk", "primary", "secondary", "tertiary"}
)
JUNCTION_DELAY_S = FITTED.junction_delay_s
"""Average control delay, seconds, for passing a junction of classified roads (signals,
stop lines, turning). Free-flow speeds alone miss it; the value (10 s, the low end of the
delay at a signalised junction that flows well) is the one the skeleton's speed model was
fitted with, and applies to real extracts too."""


def _is_classified(data: dict) -> bool:
    return any(hw in CLASSIFIED for hw in _as_list(data.get("highway")))


def major_junctions(G: nx.MultiDiGraph) -> set[int]:
    """Nodes where classified roads (tertiary and above) reach three or more distinct neighbours."""
    neighbours: dict[int, set[int]] = {}
    for u, v, data in G.edges(data=True):
        if u != v and _is_classified(data):
            neighbours.setdefault(u, set()).add(v)
            neighbours.setdefault(v, set()).add(u)
    return {n for n, nbrs in neighbours.items() if len(nbrs) >= 3}


def add_junction_delays(G: nx.MultiDiGraph, delay_s: float = JUNCTION_DELAY_S) -> nx.MultiDiGraph:
    """Add ``delay_s`` to the ``travel_time`` of every edge entering a major junction, in place.

    The delay is also stored as the edge attribute ``junction_delay_s`` (seconds, 0 when none),
    so ``travel_time = length / speed + junction_delay_s``.

    Parameters
    ----------
    G
        Graph with ``travel_time`` set by :func:`add_speeds_and_times`.
    delay_s
        Seconds per junction passed.

    Returns
    -------
    networkx.MultiDiGraph
        ``G`` itself.
    """
    junctions = major_junctions(G)
    for _, v, data in G.edges(data=True):
        extra = delay_s if v in junctions else 0.0
        data["junction_delay_s"] = extra
        data["travel_time"] += extra
    return G

"""Vehicles driving along road-graph paths: distance, time and where it was driven, per edge.

Drives between the same two nodes recur all day (depots, stations, the hospital), so paths and the
per-edge lengths and municipalities are cached for the run.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from routing.errors import RoutingError
from sim.records import RunRecords, VehicleRecord


class Mover:
    """Accounts a vehicle's drives on the network.

    Parameters
    ----------
    network
        A :class:`routing.RoadNetwork` (``path``, ``travel_time``, ``graph``, ``zone_of``).
    records
        The run's records (edge metres are added there).
    """

    def __init__(self, network, records: RunRecords) -> None:
        self.network = network
        self.records = records
        self._path = lru_cache(maxsize=20_000)(self._path_uncached)
        self._edge_m: dict[tuple[int, int], float] = {}
        self._jis: dict[int, str] = {}

    def _path_uncached(self, a: int, b: int) -> tuple[int, ...]:
        return tuple(self.network.path(a, b).nodes)

    def travel_time(self, a: int, b: int) -> float:
        return float(self.network.travel_time(a, b))

    def edge_metres(self, u: int, v: int) -> float:
        key = (u, v)
        metres = self._edge_m.get(key)
        if metres is None:
            data = self.network.graph.get_edge_data(u, v) or {}
            metres = min((float(d.get("length", 0.0)) for d in data.values()), default=0.0)
            self._edge_m[key] = metres
        return metres

    def jis_of(self, node: int) -> str:
        jis = self._jis.get(node)
        if jis is None:
            lat, lon = self.network.node_latlon(node)
            try:
                jis = self.network.zone_of(lat, lon).jis_code
            except (RoutingError, ValueError):
                jis = "outside"
            self._jis[node] = jis
        return jis

    def drive(self, vehicle: VehicleRecord, a: int, b: int, riders: int) -> tuple[float, float]:
        """Account a drive from node ``a`` to node ``b`` with ``riders`` on board.

        Returns
        -------
        tuple of float
            ``(seconds, metres)`` of the drive.
        """
        if a == b:
            return 0.0, 0.0
        seconds = self.travel_time(a, b)
        nodes = self._path(a, b)
        metres = 0.0
        by_jis: Counter[str] = Counter()
        edges = self.records.edge_metres
        for u, v in zip(nodes, nodes[1:], strict=False):
            m = self.edge_metres(u, v)
            edges[(u, v)] += m
            by_jis[self.jis_of(u)] += m
            metres += m
        vehicle.distance_m += metres
        vehicle.drive_s += seconds
        vehicle.metres_by_jis.update(by_jis)
        if riders == 0:
            vehicle.empty_m += metres
            vehicle.empty_drive_s += seconds
        else:
            vehicle.passenger_m += metres * riders
        return seconds, metres

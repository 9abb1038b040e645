"""Travel costs between road-graph nodes, and the growing cache the dispatcher reads them through.

Anything with ``matrices(origins, destinations) -> (seconds, metres)``, ``travel_time(a, b)`` and
``distance(a, b)`` serves (:class:`routing.RoadNetwork` does). :class:`MatrixCosts` is the plain-matrix
version for tests, benchmarks and instances whose nodes are already matrix indices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class TravelCosts(Protocol):
    """Seconds and metres between graph nodes (node ids are ints)."""

    def matrices(self, origins: Sequence[int], destinations: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """``(seconds, metres)`` arrays of shape ``(len(origins), len(destinations))``."""
        ...

    def travel_time(self, a: int, b: int) -> float:
        """Seconds from ``a`` to ``b``."""
        ...

    def distance(self, a: int, b: int) -> float:
        """Metres from ``a`` to ``b``."""
        ...


class MatrixCosts:
    """Travel costs held as two dense matrices; node ``i`` is row/column ``i``.

    Parameters
    ----------
    seconds, metres
        Square arrays of drive time (s) and distance (m), zero diagonal.
    """

    def __init__(self, seconds: np.ndarray, metres: np.ndarray) -> None:
        seconds = np.asarray(seconds, dtype=np.float64)
        metres = np.asarray(metres, dtype=np.float64)
        n = seconds.shape[0]
        if seconds.shape != (n, n) or metres.shape != (n, n):
            raise ValueError("seconds and metres must be square matrices of one size")
        if (seconds < 0).any() or (metres < 0).any():
            raise ValueError("travel times and distances must not be negative")
        self.seconds = seconds
        self.metres = metres

    @property
    def size(self) -> int:
        return int(self.seconds.shape[0])

    def matrices(self, origins: Sequence[int], destinations: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        o = np.asarray(origins, dtype=np.int64)
        d = np.asarray(destinations, dtype=np.int64)
        return self.seconds[np.ix_(o, d)], self.metres[np.ix_(o, d)]

    def travel_time(self, a: int, b: int) -> float:
        return float(self.seconds[a, b])

    def distance(self, a: int, b: int) -> float:
        return float(self.metres[a, b])

    @classmethod
    def from_points(
        cls, points: Sequence[tuple[float, float]], speed_kmh: float = 30.0, circuity: float = 1.3
    ) -> MatrixCosts:
        """Costs between planar points: straight-line metres x ``circuity`` driven at ``speed_kmh``.

        Parameters
        ----------
        points
            ``(x, y)`` coordinates in metres.
        speed_kmh
            Average road speed, km/h.
        circuity
            Road length over straight-line length (about 1.2-1.4 on rural roads).
        """
        if speed_kmh <= 0 or circuity < 1.0:
            raise ValueError("speed_kmh must be positive and circuity at least 1")
        xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        metres = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) * circuity
        return cls(np.round(metres / (speed_kmh / 3.6)), np.round(metres))


class TravelCache:
    """Dense seconds/metres over the nodes the dispatcher has met so far, grown on demand.

    Each new node costs two ``matrices`` calls (its row and its column against every known node), so
    a request only ever looks up numpy arrays. With :class:`MatrixCosts` the cache uses the matrices
    themselves (node = index) and never copies. Memory grows as 16 bytes x nodes^2 (4,000 nodes: 256 MB);
    a stop-based service meets a few hundred.
    """

    def __init__(self, costs: TravelCosts) -> None:
        self.costs = costs
        self._dense = isinstance(costs, MatrixCosts)
        self._index: dict[int, int] = {}
        self._nodes: list[int] = []
        self._s = np.zeros((0, 0))
        self._m = np.zeros((0, 0))

    def index(self, node: int) -> int:
        """Row/column of ``node`` in :attr:`seconds` (adds it when new)."""
        if self._dense:
            if not 0 <= node < self.costs.size:  # type: ignore[attr-defined]
                raise KeyError(f"node {node} is not in the travel-cost matrix (size {self.costs.size})")  # type: ignore[attr-defined]
            return node
        i = self._index.get(node)
        if i is None:
            self.add([node])
            i = self._index[node]
        return i

    def add(self, nodes: Sequence[int]) -> None:
        """Fetch rows and columns for every node of ``nodes`` not yet known."""
        if self._dense:
            for node in nodes:
                self.index(node)
            return
        new = list(dict.fromkeys(n for n in nodes if n not in self._index))
        if not new:
            return
        known = self._nodes
        both = known + new
        row_s, row_m = self.costs.matrices(new, both)
        n_old, n_new = len(known), len(both)
        if n_new > self._s.shape[0]:
            cap = max(n_new, 2 * self._s.shape[0], 64)
            s = np.zeros((cap, cap))
            m = np.zeros((cap, cap))
            s[:n_old, :n_old] = self._s[:n_old, :n_old]
            m[:n_old, :n_old] = self._m[:n_old, :n_old]
            self._s, self._m = s, m
        self._s[n_old:n_new, :n_new] = row_s
        self._m[n_old:n_new, :n_new] = row_m
        if known:
            col_s, col_m = self.costs.matrices(known, new)
            self._s[:n_old, n_old:n_new] = col_s
            self._m[:n_old, n_old:n_new] = col_m
        for node in new:
            self._index[node] = len(self._nodes)
            self._nodes.append(node)

    @property
    def seconds(self) -> np.ndarray:
        """Drive seconds between cache indices (a view; do not write)."""
        if self._dense:
            return self.costs.seconds  # type: ignore[attr-defined]
        n = len(self._nodes)
        return self._s[:n, :n]

    @property
    def metres(self) -> np.ndarray:
        """Metres between cache indices (a view; do not write)."""
        if self._dense:
            return self.costs.metres  # type: ignore[attr-defined]
        n = len(self._nodes)
        return self._m[:n, :n]

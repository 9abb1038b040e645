"""Shortest-path matrices on a road graph with ``scipy.sparse.csgraph.dijkstra``.

The graph is held as a CSR matrix of the fastest edge between each ordered node pair
(travel time in seconds) plus that edge's length in metres. One Dijkstra pass per source
gives times and the predecessor tree; the distance along that fastest path is summed up the
tree by pointer jumping (about log2(depth) vectorised steps), so seconds and metres always
describe the same path.

Small graphs (up to :data:`ALL_PAIRS_MAX_NODES` nodes) get a lazily computed all-pairs
table in float32 (8 bytes per pair for seconds and metres) and every query is a lookup.
Larger graphs cache single-source rows in an LRU dictionary and run Dijkstra from
whichever side of a request is smaller (on the reversed graph for destinations).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from routing.errors import RoutingError

ALL_PAIRS_MAX_NODES = 3000
"""Largest graph (nodes) that gets an all-pairs table: 3000**2 * 8 B = 72 MB."""
ROW_CACHE_BYTES = 256 * 2**20
"""Memory budget of the single-source row cache of larger graphs, bytes."""
_BATCH = 32


class _Direction:
    """CSR of one direction of the graph and the lengths of its edges, keyed by ``u * n + v``."""

    def __init__(self, n: int, u: np.ndarray, v: np.ndarray, t: np.ndarray, length: np.ndarray):
        self.n = n
        self.csr = sp.csr_matrix((t, (u, v)), shape=(n, n))
        self.keys = u.astype(np.int64) * n + v
        self.length = length

    def solve(self, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Seconds and metres from ``sources`` (indices) to every node, shape (k, n), float64."""
        times, pred = dijkstra(self.csr, directed=True, indices=sources, return_predecessors=True)
        times = np.atleast_2d(times)
        pred = np.atleast_2d(pred)
        k, n = pred.shape
        own = np.arange(n, dtype=np.int64)
        valid = pred >= 0
        up = np.where(valid, pred, own).astype(np.int64)
        slot = np.searchsorted(self.keys, (up * n + own).ravel()).clip(max=len(self.keys) - 1)
        acc = np.where(valid.ravel(), self.length[slot], 0.0)
        # Pointer jumping on flat indices: acc[v] is the length from v up to up[v].
        up = (up + (np.arange(k, dtype=np.int64) * n)[:, None]).ravel()
        while True:
            upup = up[up]
            if np.array_equal(upup, up):
                break
            acc += acc[up]
            up = upup
        acc = acc.reshape(k, n)
        acc[~np.isfinite(times)] = np.inf
        return times, acc


class MatrixEngine:
    """Travel-time and distance queries on a directed graph given as edge arrays.

    Parameters
    ----------
    node_ids
        Graph node ids (any order; stored sorted).
    u, v
        Edge end points as node ids.
    travel_time_s
        Edge travel times in seconds (> 0).
    length_m
        Edge lengths in metres.
    all_pairs_max_nodes
        Graphs up to this many nodes get an all-pairs table.
    """

    def __init__(
        self,
        node_ids: np.ndarray,
        u: np.ndarray,
        v: np.ndarray,
        travel_time_s: np.ndarray,
        length_m: np.ndarray,
        all_pairs_max_nodes: int = ALL_PAIRS_MAX_NODES,
    ):
        self.node_ids = np.sort(np.asarray(node_ids, dtype=np.int64))
        n = len(self.node_ids)
        ui, vi = self.index(u), self.index(v)
        t = np.asarray(travel_time_s, dtype=np.float64)
        length = np.asarray(length_m, dtype=np.float64)
        keep = ui != vi
        ui, vi, t, length = ui[keep], vi[keep], np.maximum(t[keep], 1e-6), length[keep]
        order = np.lexsort((t, vi, ui))  # fastest parallel edge first within each (u, v)
        ui, vi, t, length = ui[order], vi[order], t[order], length[order]
        first = np.ones(len(ui), dtype=bool)
        first[1:] = (ui[1:] != ui[:-1]) | (vi[1:] != vi[:-1])
        ui, vi, t, length = ui[first], vi[first], t[first], length[first]
        self.n_nodes = n
        self.forward = _Direction(n, ui, vi, t, length)
        back = np.lexsort((ui, vi))
        self.backward = _Direction(n, vi[back], ui[back], t[back], length[back])
        self.all_pairs = n <= all_pairs_max_nodes
        self._table: tuple[np.ndarray, np.ndarray] | None = None
        self._rows: dict[bool, OrderedDict[int, tuple[np.ndarray, np.ndarray]]] = {
            True: OrderedDict(),
            False: OrderedDict(),
        }
        self._max_rows = max(64, ROW_CACHE_BYTES // max(1, 8 * n))
        self._lock = threading.Lock()  # the API serves requests from a thread pool

    @property
    def csr(self) -> sp.csr_matrix:
        """Forward CSR matrix of edge travel times, seconds (rows/cols follow ``node_ids``)."""
        return self.forward.csr

    def index(self, nodes: Sequence[int] | np.ndarray) -> np.ndarray:
        """Positions of graph node ids in ``node_ids``.

        Raises
        ------
        RoutingError
            If a node is not in the graph.
        """
        arr = np.asarray(nodes, dtype=np.int64).ravel()
        pos = np.searchsorted(self.node_ids, arr)
        pos = np.minimum(pos, len(self.node_ids) - 1)
        bad = self.node_ids[pos] != arr
        if bad.any():
            raise RoutingError(f"node(s) {arr[bad][:5].tolist()} are not in the road graph")
        return pos

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """All-pairs (seconds, metres) as float32 (n, n) arrays, computed on first use."""
        if self._table is None:
            with self._lock:
                if self._table is None:
                    self._table = self._compute_table()
        return self._table

    def _compute_table(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.n_nodes
        times = np.empty((n, n), dtype=np.float32)
        dists = np.empty((n, n), dtype=np.float32)
        for start in range(0, n, 256):
            src = np.arange(start, min(n, start + 256))
            times[src], dists[src] = self.forward.solve(src)
        return times, dists

    def _cached_rows(self, src: np.ndarray, forward: bool) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            return self._rows_locked(src, forward)

    def _rows_locked(self, src: np.ndarray, forward: bool) -> tuple[np.ndarray, np.ndarray]:
        cache = self._rows[forward]
        direction = self.forward if forward else self.backward
        missing = np.array([s for s in dict.fromkeys(src.tolist()) if s not in cache], dtype=np.int64)
        for start in range(0, len(missing), _BATCH):
            chunk = missing[start : start + _BATCH]
            times, dists = direction.solve(chunk)
            for i, s in enumerate(chunk.tolist()):
                cache[s] = (times[i].astype(np.float32), dists[i].astype(np.float32))
        times = np.empty((len(src), self.n_nodes), dtype=np.float32)
        dists = np.empty_like(times)
        for i, s in enumerate(src.tolist()):
            times[i], dists[i] = cache[s]
            cache.move_to_end(s)
        while len(cache) > self._max_rows:
            cache.popitem(last=False)
        return times, dists

    def matrices(self, origins: Sequence[int], destinations: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Seconds and metres along the fastest path, shape (len(origins), len(destinations)).

        Parameters
        ----------
        origins, destinations
            Graph node ids (repeats allowed).

        Returns
        -------
        tuple of numpy.ndarray
            ``(seconds, metres)``, float64; ``inf`` where unreachable.
        """
        oi, di = self.index(origins), self.index(destinations)
        if len(oi) == 0 or len(di) == 0:
            return np.zeros((len(oi), len(di))), np.zeros((len(oi), len(di)))
        if self.all_pairs:
            times, dists = self.table()
            return times[np.ix_(oi, di)].astype(np.float64), dists[np.ix_(oi, di)].astype(np.float64)
        uo, uo_inv = np.unique(oi, return_inverse=True)
        ud, ud_inv = np.unique(di, return_inverse=True)
        if len(ud) < len(uo):
            times, dists = self._cached_rows(ud, forward=False)
            times, dists = times[:, uo].T, dists[:, uo].T
        else:
            times, dists = self._cached_rows(uo, forward=True)
            times, dists = times[:, ud], dists[:, ud]
        return (
            times[np.ix_(uo_inv, ud_inv)].astype(np.float64),
            dists[np.ix_(uo_inv, ud_inv)].astype(np.float64),
        )

    def pair(self, a: int, b: int) -> tuple[float, float]:
        """Seconds and metres of the fastest path from node ``a`` to node ``b``."""
        ia, ib = self.index([a, b])
        if self.all_pairs:
            times, dists = self.table()
            return float(times[ia, ib]), float(dists[ia, ib])
        times, dists = self._cached_rows(np.array([ia]), forward=True)
        return float(times[0, ib]), float(dists[0, ib])

    def path_indices(self, a: int, b: int) -> list[int]:
        """Node ids of the fastest path from ``a`` to ``b``.

        Raises
        ------
        RoutingError
            If ``b`` cannot be reached from ``a``.
        """
        ia, ib = (int(x) for x in self.index([a, b]))
        _, pred = dijkstra(self.forward.csr, directed=True, indices=ia, return_predecessors=True)
        if ia != ib and pred[ib] < 0:
            raise RoutingError(f"node {b} cannot be reached from node {a}")
        seq = [ib]
        while seq[-1] != ia:
            seq.append(int(pred[seq[-1]]))
        return [int(self.node_ids[i]) for i in reversed(seq)]

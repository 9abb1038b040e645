"""The search's working solution: visit codes per vehicle in fixed-width arrays, with their timing.

One row per vehicle (layout in :mod:`dispatch.solver.rr.kernels`); removing requests and inserting
one refresh only the rows touched, in compiled code, and an insertion query scores every gap pair of
every open vehicle in one compiled pass (the rules of :mod:`dispatch.solver.rr.reference`, equal
feasibility and cost). A copy is a handful of array copies.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from dispatch.solver.rr import kernels
from dispatch.solver.rr.flat import FlatProblem


def _arrays(flat: FlatProblem) -> tuple:
    """The kernels' constant arrays of ``flat``, built once per problem."""
    cached = getattr(flat, "_kernel_arrays", None)
    if cached is None:
        cached = kernels.problem_arrays(flat)
        flat._kernel_arrays = cached  # type: ignore[attr-defined]
    return cached


class Plan:
    """Routes of every vehicle (visit codes), their schedules, distances and the left-out requests.

    ``route_of[r]`` is the vehicle serving request ``r`` or -1; ``members[k]`` says whether an empty
    vehicle ``k`` may be opened (a used one always takes insertions).
    """

    def __init__(self, flat: FlatProblem, codes: list[list[int]], open_vehicles: set[int] | None = None) -> None:
        self.flat = flat
        self.pb = _arrays(flat)
        v, m = flat.n_vehicles, flat.n_requests
        dims = flat.v_capacity.shape[1] if flat.v_capacity.ndim == 2 else 1
        longest = max((len(seq) for seq in codes), default=0)
        self._allocate(v, max(8, longest + 8), dims)
        self.route_of = np.full(m, -1, dtype=np.int64)
        for k, seq in enumerate(codes):
            self.seq[k, : len(seq)] = seq
            self.size[k] = len(seq)
            for c in seq:
                self.route_of[c >> 1] = k
            kernels.refresh(k, *self._rows(), self.pb)
        self.members = np.ones(v, dtype=np.bool_)
        if open_vehicles is not None:
            self.members[:] = False
            self.members[list(open_vehicles)] = True
        # Optional requests already left out when a route was emptied (route minimisation waits
        # only for the others).
        self.optional_out: set[int] = set()

    def _rows(self) -> tuple[np.ndarray, ...]:
        """The per-vehicle arrays in the kernels' order (``seq`` to ``dist``)."""
        return self.seq, self.size, self.start, self.dep, self.wc, self.la, self.load, self.dist, self.warp

    def _allocate(self, v: int, width: int, dims: int) -> None:
        self.seq = np.zeros((v, width), dtype=np.int64)
        self.size = np.zeros(v, dtype=np.int64)
        self.start = np.zeros((v, width))
        self.dep = np.zeros((v, width))
        self.wc = np.zeros((v, width))
        self.la = np.zeros((v, width + 1))
        self.load = np.zeros((v, width + 1, dims), dtype=np.int64)
        self.dist = np.zeros(v)
        self.warp = np.zeros(v)

    def _widen(self, needed: int) -> None:
        """Room for routes of ``needed`` visits (rows keep their content)."""
        width = self.seq.shape[1]
        if needed <= width:
            return
        old = (self.seq, self.start, self.dep, self.wc, self.la, self.load)
        size, dist, warp = self.size, self.dist, self.warp
        self._allocate(self.seq.shape[0], max(needed, 2 * width), self.load.shape[2])
        for new, was in zip((self.seq, self.start, self.dep, self.wc, self.la, self.load), old, strict=True):
            new[:, : was.shape[1]] = was
        self.size, self.dist, self.warp = size, dist, warp

    def copy(self) -> Plan:
        other = Plan.__new__(Plan)
        other.flat, other.pb = self.flat, self.pb
        other.seq, other.size = self.seq.copy(), self.size.copy()
        other.start, other.dep, other.wc = self.start.copy(), self.dep.copy(), self.wc.copy()
        other.la, other.load, other.dist = self.la.copy(), self.load.copy(), self.dist.copy()
        other.warp = self.warp.copy()
        other.route_of = self.route_of.copy()
        other.members = self.members.copy()
        other.optional_out = self.optional_out
        return other

    @property
    def codes(self) -> list[list[int]]:
        """Visit codes per vehicle index."""
        return [self.seq[k, : self.size[k]].tolist() for k in range(self.size.shape[0])]

    def route(self, k: int) -> list[int]:
        return self.seq[k, : self.size[k]].tolist()

    @property
    def unassigned(self) -> set[int]:
        """Requests on no route."""
        return set(np.nonzero(self.route_of < 0)[0].tolist())

    def routed(self) -> np.ndarray:
        """Indices of the requests on a route."""
        return np.nonzero(self.route_of >= 0)[0]

    def cost(self) -> float:
        """Distance + fixed cost of used vehicles + penalty of left-out requests (problem units)."""
        flat = self.flat
        total = float(self.dist.sum())
        total += float(self.pb[15][self.size > 0].sum())
        total += float(flat.penalty[self.route_of < 0].sum())
        return total

    def vehicles_used(self) -> int:
        return int(np.count_nonzero(self.size))

    def missing_required(self) -> bool:
        return bool((self.flat.required & (self.route_of < 0)).any())

    def close(self, k: int) -> None:
        """Vehicle ``k`` takes no insertion once it is empty."""
        self.members[k] = False

    def remove(self, requests: Iterable[int]) -> None:
        """Take these requests out of their routes."""
        flags = np.zeros(self.route_of.shape[0], dtype=np.bool_)
        flags[list(requests)] = True
        kernels.remove(flags, *self._rows(), self.route_of, self.pb)

    def recreate(self, order: list[int], seed: int, blink_rate: float, exact_checks: int) -> int:
        """Insert ``order`` one by one, each at its cheapest feasible position left after blinks
        (probability ``blink_rate`` per candidate, drawn from a stream seeded by ``seed``); a request
        with no position stays out. Returns how many went in."""
        if not order:
            return 0
        self._widen(int(self.size.max()) + 2 * len(order))
        return int(
            kernels.recreate(
                np.asarray(order, dtype=np.int64),
                *self._rows(),
                self.route_of,
                self.members,
                self.pb,
                float(blink_rate),
                int(seed),
                int(exact_checks),
            )
        )

    def total_warp(self) -> float:
        """Time warp summed over the routes (0 unless route minimisation put requests in late)."""
        return float(self.warp.sum())

    def insert_warped(self, order: list[int], penalty: float) -> int:
        """Route minimisation: put every request of ``order`` still out where added distance plus
        ``penalty`` times added time warp is least (capacity and allowed vehicles stay hard; no
        vehicle opened that ``members`` closes). Returns how many went in."""
        if not order:
            return 0
        self._widen(int(self.size.max()) + 2 * len(order))
        return int(
            kernels.insert_warped(
                np.asarray(order, dtype=np.int64), *self._rows(), self.route_of, self.members, self.pb, float(penalty)
            )
        )

    def best_insertion(self, r: int, exact_checks: int) -> tuple[float, int, int, int]:
        """Cheapest feasible insertion of request ``r`` (not routed), no blinks: ``(added cost,
        vehicle, pickup gap, drop-off gap)``, cost ``inf`` when there is none."""
        found = np.zeros(3, dtype=np.int64)
        state = np.ones(1, dtype=np.uint64)
        cost = kernels.best_insertion(
            r, self.seq, self.size, self.start, self.dep, self.wc, self.la, self.load, self.members, self.pb, 0.0,
            state, int(exact_checks), found,
        )
        return float(cost), int(found[0]), int(found[1]), int(found[2])

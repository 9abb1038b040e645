"""The search's rules in plain Python and numpy: the reference the compiled kernels are tested against.

:class:`ReferencePlan` holds visit codes per vehicle with their gap arrays; its insertion query scores
every gap pair of every open vehicle with the offer engine's numpy estimate
(:func:`dispatch.online.insertion.candidates`), prices it in distance, and, where ride limits make the
estimate optimistic, confirms the cheapest candidates with the exact scheduler. The search itself
runs on :class:`dispatch.solver.rr.plan.Plan` (:mod:`dispatch.solver.rr.kernels`), which must agree
with it on feasibility and cost of every insertion (tests/dispatch/test_solver_rr_kernels.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dispatch.online.insertion import FleetView, InsertionParams, RouteArrays, candidates
from dispatch.solver.rr.flat import FlatProblem
from dispatch.solver.rr.route import earliest_starts, route_arrays, route_distance

_NO_DELAY_COST = InsertionParams(delay_weight=0.0)


@dataclass(frozen=True)
class Placement:
    """Where one request goes: vehicle index, pickup gap, drop-off gap, added cost."""

    vehicle: int
    pickup_gap: int
    dropoff_gap: int
    cost: float


class ReferencePlan:
    """Routes of every vehicle (visit codes), with cached arrays, distances and the left-out set."""

    def __init__(self, flat: FlatProblem, codes: list[list[int]], open_vehicles: set[int] | None = None) -> None:
        self.flat = flat
        self.codes = [list(seq) for seq in codes]
        self.arrays: list[RouteArrays] = [route_arrays(flat, k, seq) for k, seq in enumerate(self.codes)]
        self.dist = [route_distance(flat, k, seq) for k, seq in enumerate(self.codes)]
        self.blocks: list[tuple[np.ndarray, np.ndarray] | None] = [None] * flat.n_vehicles
        self.route_of: dict[int, int] = {c >> 1: k for k, seq in enumerate(self.codes) for c in seq}
        self.unassigned: set[int] = set(range(flat.n_requests)) - set(self.route_of)
        self.open_vehicles = set(range(flat.n_vehicles)) if open_vehicles is None else set(open_vehicles)
        # Optional requests already left out when a route was emptied (route minimisation waits
        # only for the others).
        self.optional_out: set[int] = set()
        self._view: tuple[FleetView | None, list[int]] | None = None

    def copy(self) -> ReferencePlan:
        other = ReferencePlan.__new__(ReferencePlan)
        other.flat = self.flat
        other.codes = [list(seq) for seq in self.codes]
        other.arrays = list(self.arrays)
        other.dist = list(self.dist)
        other.blocks = list(self.blocks)
        other.route_of = dict(self.route_of)
        other.unassigned = set(self.unassigned)
        other.open_vehicles = set(self.open_vehicles)
        other.optional_out = self.optional_out
        other._view = self._view
        return other

    def cost(self) -> float:
        """Distance + fixed cost of used vehicles + penalty of left-out requests (problem units)."""
        flat = self.flat
        total = sum(self.dist)
        total += sum(flat.v_fixed[k] for k, seq in enumerate(self.codes) if seq)
        total += float(sum(flat.penalty[r] for r in self.unassigned))
        return total

    def vehicles_used(self) -> int:
        return sum(1 for seq in self.codes if seq)

    def missing_required(self) -> bool:
        return any(self.flat.required[r] for r in self.unassigned)

    def _block(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        block = self.blocks[k]
        if block is None:
            block = self.blocks[k] = route_block(self.arrays[k], self.flat.v_capacity[k])
        return block

    def _refresh(self, k: int) -> None:
        self.blocks[k] = None
        self.arrays[k] = route_arrays(self.flat, k, self.codes[k])
        self.dist[k] = route_distance(self.flat, k, self.codes[k])
        self._view = None

    def remove(self, requests: set[int]) -> None:
        """Take these requests out of their routes (they join ``unassigned``)."""
        touched = {self.route_of.pop(r) for r in requests if r in self.route_of}
        for k in touched:
            self.codes[k] = [c for c in self.codes[k] if (c >> 1) not in requests]
            self._refresh(k)
        self.unassigned |= requests

    def insert(self, r: int, place: Placement) -> None:
        seq = self.codes[place.vehicle]
        i, j = place.pickup_gap, place.dropoff_gap
        self.codes[place.vehicle] = seq[:i] + [2 * r] + seq[i:j] + [2 * r + 1] + seq[j:]
        self.route_of[r] = place.vehicle
        self.unassigned.discard(r)
        self._refresh(place.vehicle)

    def view(self) -> tuple[FleetView | None, list[int]]:
        """The fleet view over open vehicles and used ones, and the vehicle index of each view slot
        (None and [] when no vehicle may take anything)."""
        if self._view is None:
            members = [k for k in range(self.flat.n_vehicles) if self.codes[k] or k in self.open_vehicles]
            if not members:
                return None, []
            self._view = (_assemble([self._block(k) for k in members]), members)
        return self._view

    def best_placement(
        self, r: int, rng: np.random.Generator, blink_rate: float, exact_checks: int
    ) -> Placement | None:
        """Cheapest feasible insertion of request ``r`` (not routed), skipping each candidate with
        probability ``blink_rate``; None if there is none."""
        flat = self.flat
        view, members = self.view()
        if view is None:
            return None
        request = flat.problem.requests[r]
        starts = np.array([flat.v_start_time[k] for k in members])
        _, slot, pick, drop = candidates(view, flat.time, request, starts, _NO_DELAY_COST)
        if not slot.size:
            return None
        vehicle = np.asarray(members, dtype=np.int64)[slot]
        keep = flat.allowed[r, vehicle]
        if blink_rate > 0:
            keep &= rng.random(slot.size) >= blink_rate
        if not keep.any():
            return None
        if flat.has_ride_limits:
            keep &= self._ride_lower_bound(view, r, slot, pick, drop) <= flat.max_ride[r] + 1e-9
            if not keep.any():
                return None
        slot, pick, drop, vehicle = slot[keep], pick[keep], drop[keep], vehicle[keep]
        cost = self._added_distance(view, r, slot, pick, drop)
        empty = view.k[view.offset[slot]] == 0
        if empty.any():
            cost = cost + np.where(empty, np.asarray(flat.v_fixed)[vehicle], 0.0)
        if not flat.has_ride_limits:
            n = int(np.argmin(cost))
            return Placement(int(vehicle[n]), int(pick[n]), int(drop[n]), float(cost[n]))
        for n in np.argsort(cost, kind="stable")[:exact_checks]:
            k, i, j = int(vehicle[n]), int(pick[n]), int(drop[n])
            seq = self.codes[k]
            if earliest_starts(flat, k, seq[:i] + [2 * r] + seq[i:j] + [2 * r + 1] + seq[j:]) is not None:
                return Placement(k, i, j, float(cost[n]))
        return None

    def _ride_lower_bound(
        self, view: FleetView, r: int, slot: np.ndarray, pick: np.ndarray, drop: np.ndarray
    ) -> np.ndarray:
        """Shortest ride request ``r`` can have in each candidate: the drive to the next stop, the
        stops in between with their waits squeezed out, the drive to the drop-off (the offer
        engine's estimate lets the pickup slide to its latest start instead, far too hopeful where
        pickup windows are wide)."""
        t = self.flat.time
        p, q = int(self.flat.loc[2 * r]), int(self.flat.loc[2 * r + 1])
        gi = view.offset[slot] + pick
        gj = view.offset[slot] + drop
        between = view.dep_prev[gj] - view.start_next[gi] - (view.waits_cum[gj - 1] - view.waits_cum[gi])
        apart = t[p, view.next[gi]] + between + t[view.prev[gj], q]
        return np.where(pick == drop, t[p, q], apart)

    def _added_distance(
        self, view: FleetView, r: int, slot: np.ndarray, pick: np.ndarray, drop: np.ndarray
    ) -> np.ndarray:
        d = self.flat.dist
        p, q = int(self.flat.loc[2 * r]), int(self.flat.loc[2 * r + 1])
        gi = view.offset[slot] + pick
        gj = view.offset[slot] + drop
        used = view.k[gi] > 0
        base_i = np.where(used, d[view.prev[gi], view.next[gi]], 0.0)
        base_j = np.where(used, d[view.prev[gj], view.next[gj]], 0.0)
        same = d[view.prev[gi], p] + d[p, q] + d[q, view.next[gi]] - base_i
        apart = (
            d[view.prev[gi], p] + d[p, view.next[gi]] - base_i + d[view.prev[gj], q] + d[q, view.next[gj]] - base_j
        )
        return np.where(pick == drop, same, apart)


_COLUMNS = ("prev", "next", "dep_prev", "start_next", "base", "latest_arrival")


def route_block(a: RouteArrays, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One route's gap arrays as a float block (columns: ``_COLUMNS``, cumulative waits, route
    size, locked count) and an integer block (load before each gap, then capacity), stacked once per
    route change so a fleet view is two concatenations."""
    waits = np.concatenate((a.waits_cum, a.waits_cum[-1:] if a.k else [0.0]))
    size = np.full(a.k + 1, float(a.k))
    locked = np.full(a.k + 1, float(a.locked))
    floats = np.column_stack([getattr(a, name) for name in _COLUMNS] + [waits, size, locked])
    ints = np.hstack((a.load_before, np.broadcast_to(capacity, a.load_before.shape)))
    return floats, ints


def _assemble(blocks: list[tuple[np.ndarray, np.ndarray]]) -> FleetView:
    """A :class:`FleetView` of these routes end to end (the layout the insertion estimate reads)."""
    sizes = np.array([f.shape[0] for f, _ in blocks], dtype=np.int64)
    offset = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    floats = np.concatenate([f for f, _ in blocks]).T.copy()
    ints = np.concatenate([i for _, i in blocks])
    dims = ints.shape[1] // 2
    return FleetView(
        key=(),
        offset=offset,
        vehicle=np.repeat(np.arange(len(blocks)), sizes),
        gap=np.arange(int(sizes.sum())) - np.repeat(offset, sizes),
        k=floats[7].astype(np.int64),
        locked=floats[8].astype(np.int64),
        prev=floats[0].astype(np.int64),
        next=floats[1].astype(np.int64),
        dep_prev=floats[2],
        start_next=floats[3],
        base=floats[4],
        latest_arrival=floats[5],
        waits_cum=floats[6],
        load_before=np.ascontiguousarray(ints[:, :dims]),
        capacity=np.ascontiguousarray(ints[:, dims:]),
    )

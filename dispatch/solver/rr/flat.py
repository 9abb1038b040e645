"""A :class:`RoutingProblem` as flat arrays: visits are integer codes, vehicles are indices.

Request ``r`` (its position in ``problem.requests``) has visit codes ``2r`` (pickup) and ``2r + 1``
(drop-off). Matrices get one extra location, ``anywhere``, at zero time and distance from every
place: the end of a vehicle whose route may finish anywhere (``VehicleSpec.end is None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dispatch.problem import RoutingProblem, VisitKind
from dispatch.solver.ortools_model import load_dimensions
from dispatch.solver.params import SolveParams

INF = float("inf")
VisitKey = tuple[str, VisitKind]


@dataclass
class FlatProblem:
    """Everything the search reads per visit, request and vehicle, as numpy arrays and lists.

    Times and distances in the problem's units. ``allowed[r, k]`` says whether vehicle ``k`` may
    serve request ``r`` (its ``vehicle_ids``; an on-board load only its vehicle). ``pinned``
    requests (on board, or with a locked visit) never leave the route they start on.
    """

    problem: RoutingProblem
    time: np.ndarray
    dist: np.ndarray
    loc: np.ndarray
    early: np.ndarray
    late: np.ndarray
    service: np.ndarray
    load: np.ndarray
    max_ride: np.ndarray
    picked_up_at: np.ndarray
    onboard: np.ndarray
    required: np.ndarray
    penalty: np.ndarray
    allowed: np.ndarray
    pinned: np.ndarray
    v_start: list[int]
    v_end: list[int]
    v_start_time: list[float]
    v_end_time: list[float]
    v_capacity: np.ndarray
    v_fixed: list[float]
    v_locked: list[list[int]]
    v_onboard: list[list[int]]
    has_ride_limits: bool

    @property
    def n_requests(self) -> int:
        return len(self.problem.requests)

    @property
    def n_vehicles(self) -> int:
        return len(self.problem.vehicles)

    def code(self, key: VisitKey) -> int:
        r = self.index[key[0]]
        return 2 * r + (0 if key[1] == VisitKind.PICKUP else 1)

    def key(self, code: int) -> VisitKey:
        return self.ids[code >> 1], VisitKind.PICKUP if code % 2 == 0 else VisitKind.DROPOFF

    def __post_init__(self) -> None:
        self.ids = [r.id for r in self.problem.requests]
        self.index = {rid: i for i, rid in enumerate(self.ids)}
        self.vehicle_index = {v.id: k for k, v in enumerate(self.problem.vehicles)}


def flatten(problem: RoutingProblem, params: SolveParams) -> FlatProblem:
    """Arrays of ``problem``; the fixed cost per used vehicle includes ``params.vehicle_fixed_cost``
    (given in scaled units, as OR-Tools sees it)."""
    dims = load_dimensions(problem)
    n = problem.travel_time.shape[0]
    time = np.zeros((n + 1, n + 1))
    time[:n, :n] = problem.travel_time
    dist = np.zeros((n + 1, n + 1))
    dist[:n, :n] = problem.distance
    reqs = problem.requests
    m = len(reqs)
    loc = np.empty(2 * m, dtype=np.int64)
    early, late, service = np.empty(2 * m), np.empty(2 * m), np.empty(2 * m)
    load = np.zeros((2 * m, dims), dtype=np.int64)
    for r, req in enumerate(reqs):
        loc[2 * r], loc[2 * r + 1] = req.pickup, req.dropoff
        early[2 * r], late[2 * r] = req.pickup_window
        early[2 * r + 1], late[2 * r + 1] = req.dropoff_window
        service[2 * r], service[2 * r + 1] = req.pickup_service, req.dropoff_service
        load[2 * r], load[2 * r + 1] = req.load, [-q for q in req.load]
    vid = {v.id: k for k, v in enumerate(problem.vehicles)}
    allowed = np.ones((m, len(problem.vehicles)), dtype=bool)
    onboard = np.full(m, -1, dtype=np.int64)
    for r, req in enumerate(reqs):
        if req.vehicle_ids:
            allowed[r] = False
            for v in req.vehicle_ids:
                if v in vid:
                    allowed[r, vid[v]] = True
        if req.onboard_vehicle is not None:
            onboard[r] = vid.get(req.onboard_vehicle, -1)
            allowed[r] = False
            if onboard[r] >= 0:
                allowed[r, onboard[r]] = True
    index = {req.id: r for r, req in enumerate(reqs)}
    pinned = onboard >= 0
    locked: list[list[int]] = []
    for v in problem.vehicles:
        codes = [2 * index[rid] + (0 if kind == VisitKind.PICKUP else 1) for rid, kind in v.locked]
        for c in codes:
            pinned[c >> 1] = True
        locked.append(codes)
    fixed_extra = params.vehicle_fixed_cost / params.time_scale
    return FlatProblem(
        problem=problem,
        time=time,
        dist=dist,
        loc=loc,
        early=early,
        late=late,
        service=service,
        load=load,
        max_ride=np.array([INF if r.max_ride is None else r.max_ride for r in reqs], dtype=float),
        picked_up_at=np.array([-INF if r.picked_up_at is None else r.picked_up_at for r in reqs], dtype=float),
        onboard=onboard,
        required=np.array([r.required or r.onboard_vehicle is not None for r in reqs], dtype=bool),
        penalty=np.array([r.penalty for r in reqs], dtype=float),
        allowed=allowed,
        pinned=pinned,
        v_start=[v.start for v in problem.vehicles],
        v_end=[n if v.end is None else v.end for v in problem.vehicles],
        v_start_time=[float(v.start_time) for v in problem.vehicles],
        v_end_time=[float(v.end_time) for v in problem.vehicles],
        v_capacity=np.array([v.capacity for v in problem.vehicles], dtype=np.int64).reshape(-1, dims),
        v_fixed=[v.fixed_cost + fixed_extra for v in problem.vehicles],
        v_locked=locked,
        v_onboard=[[r for r in range(m) if onboard[r] == k] for k in range(len(problem.vehicles))],
        has_ride_limits=bool(any(r.max_ride is not None for r in reqs)),
    )


def to_codes(flat: FlatProblem, routes: dict[str, Sequence[VisitKey]]) -> list[list[int]]:
    """Visit codes per vehicle index from visit orders keyed by vehicle id."""
    out: list[list[int]] = [[] for _ in range(flat.n_vehicles)]
    for vid, seq in routes.items():
        out[flat.vehicle_index[vid]] = [flat.code(key) for key in seq]
    return out


def to_keys(flat: FlatProblem, codes: list[list[int]]) -> dict[str, list[VisitKey]]:
    """Visit orders keyed by vehicle id from visit codes per vehicle index."""
    return {v.id: [flat.key(c) for c in codes[k]] for k, v in enumerate(flat.problem.vehicles)}

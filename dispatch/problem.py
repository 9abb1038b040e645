"""The routing problem the solvers work on: pickup and delivery with time windows and ride times.

This is the common ground of the live dispatcher and the public benchmark instances (Li & Lim PDPTW,
Cordeau DARP): locations are indices into square travel-time and distance matrices, so the same solver
and validator serve both. Units are the caller's: seconds and metres in dispatch, the instance's own
units in benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np


class VisitKind(StrEnum):
    PICKUP = "pickup"
    DROPOFF = "dropoff"
    BREAK = "break"


@dataclass(frozen=True)
class BreakSpec:
    """A break the vehicle's driver must take: ``duration`` starting within ``window``.

    ``location`` is a location index (a depot, an office) or None: anywhere, that is on the way between
    the visits before and after it. A break is one visit ``(id, VisitKind.BREAK)`` of its vehicle's route;
    the vehicle must be empty during it. An anywhere break costs no travel of its own: the drive from the
    visit before it to the visit after it must fit around it (see :func:`dispatch.validator.validate`).
    """

    id: str
    window: tuple[float, float]
    duration: float
    location: int | None = None


@dataclass(frozen=True)
class Request:
    """A load to carry from ``pickup`` to ``dropoff`` (location indices).

    Parameters
    ----------
    id
        Unique id (the booking id in dispatch).
    pickup, dropoff
        Location indices into the problem's matrices.
    pickup_window, dropoff_window
        (earliest, latest) start of service at each end.
    load
        Amount per capacity dimension, e.g. (seats, wheelchair places).
    pickup_service, dropoff_service
        Service (dwell) durations.
    max_ride
        Longest time between leaving the pickup and starting service at the drop-off; None = no limit.
    required
        A required request must be served (a confirmed booking); an optional one may be left out
        at ``penalty``.
    onboard_vehicle
        Set when the load is already in that vehicle: only the drop-off remains, on that vehicle.
    picked_up_at
        When an on-board load left its pickup (for the ride-time limit).
    vehicle_ids
        Vehicles allowed to serve it (empty = any).
    """

    id: str
    pickup: int
    dropoff: int
    pickup_window: tuple[float, float]
    dropoff_window: tuple[float, float]
    load: tuple[int, ...] = (1,)
    pickup_service: float = 0.0
    dropoff_service: float = 0.0
    max_ride: float | None = None
    required: bool = False
    penalty: float = 1_000_000.0
    onboard_vehicle: str | None = None
    picked_up_at: float | None = None
    vehicle_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class VehicleSpec:
    """A vehicle as the solver sees it.

    ``start`` is where it is free next (its depot at shift start, or the end of the stop it is
    committed to) at ``start_time``; ``end`` where it must finish by ``end_time`` (None = anywhere).
    ``locked`` lists visits that must come first, in this order (the stop it is driving to).
    ``breaks`` must all be taken on this vehicle's route, each exactly once.
    """

    id: str
    start: int
    start_time: float
    end: int | None
    end_time: float
    capacity: tuple[int, ...] = (1,)
    locked: tuple[tuple[str, VisitKind], ...] = ()
    fixed_cost: float = 0.0
    breaks: tuple[BreakSpec, ...] = ()

    def break_spec(self, break_id: str) -> BreakSpec:
        """The break with this id; raises KeyError if the vehicle has none."""
        for b in self.breaks:
            if b.id == break_id:
                return b
        raise KeyError(break_id)


@dataclass
class RoutingProblem:
    """Matrices, requests and vehicles: everything a solver needs, nothing it must look up."""

    travel_time: np.ndarray
    distance: np.ndarray
    requests: list[Request]
    vehicles: list[VehicleSpec]
    name: str = ""

    def __post_init__(self) -> None:
        n = self.travel_time.shape[0]
        if self.travel_time.shape != (n, n) or self.distance.shape != (n, n):
            raise ValueError("travel_time and distance must be square matrices of one size")
        ids = [r.id for r in self.requests]
        if len(set(ids)) != len(ids):
            raise ValueError("request ids must be unique")
        vids = [v.id for v in self.vehicles]
        if len(set(vids)) != len(vids):
            raise ValueError("vehicle ids must be unique")

    def request(self, request_id: str) -> Request:
        """The request with this id; raises KeyError if there is none.

        Positions are cached by id and checked on every look-up, so a request replaced or moved in
        ``requests`` is still found as it is now.
        """
        index = self.__dict__.get("_req_pos")
        pos = index.get(request_id) if index is not None else None
        if pos is None or pos >= len(self.requests) or self.requests[pos].id != request_id:
            index = {r.id: i for i, r in enumerate(self.requests)}
            self.__dict__["_req_pos"] = index
            pos = index[request_id]
        return self.requests[pos]


@dataclass(frozen=True)
class Visit:
    """One planned visit: service of ``kind`` for ``request_id`` starts at ``start``."""

    request_id: str
    kind: VisitKind
    arrival: float
    start: float
    departure: float


@dataclass
class Solution:
    """Routes per vehicle (ordered visits with times) and the requests left out, with reasons."""

    routes: dict[str, list[Visit]]
    unserved: dict[str, str] = field(default_factory=dict)
    objective: float = 0.0
    solver: str = ""
    stats: dict[str, float] = field(default_factory=dict)

    def distance(self, problem: RoutingProblem) -> float:
        """Total distance driven, from each vehicle's start over its visits to its end."""
        total = 0.0
        for vehicle in problem.vehicles:
            total += route_distance(problem, vehicle, self.routes.get(vehicle.id, []))
        return total

    def vehicles_used(self) -> int:
        """Vehicles that carry someone (a route of breaks only does not count)."""
        return sum(1 for visits in self.routes.values() if any(v.kind != VisitKind.BREAK for v in visits))


def has_breaks(problem: RoutingProblem) -> bool:
    """True when some vehicle of the problem has a break to take."""
    return any(v.breaks for v in problem.vehicles)


def visit_location(problem: RoutingProblem, visit: Visit, vehicle: VehicleSpec | None = None) -> int | None:
    """Location index of a visit; None for a break taken anywhere (``vehicle`` is needed for breaks)."""
    if visit.kind == VisitKind.BREAK:
        if vehicle is None:
            raise ValueError("the location of a break needs its vehicle")
        return vehicle.break_spec(visit.request_id).location
    req = problem.request(visit.request_id)
    return req.pickup if visit.kind == VisitKind.PICKUP else req.dropoff


def route_distance(problem: RoutingProblem, vehicle: VehicleSpec, visits: list[Visit]) -> float:
    """Distance of one route in the problem's distance unit (0 for an unused vehicle).

    A break taken anywhere adds no distance: the vehicle drives on from the visit before it.
    """
    if not visits:
        return 0.0
    here = vehicle.start
    total = 0.0
    for visit in visits:
        there = visit_location(problem, visit, vehicle)
        if there is None:
            continue
        total += float(problem.distance[here, there])
        here = there
    if vehicle.end is not None:
        total += float(problem.distance[here, vehicle.end])
    return total

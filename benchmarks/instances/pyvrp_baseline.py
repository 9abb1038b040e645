"""The same instance solved by PyVRP (0.14, ``Shipment`` API), as the peer baseline.

PyVRP works in integers: distances are scaled and rounded, durations scaled and rounded up (as in our
own model), and its routes are re-timed in floats and judged by our validator like ours. PyVRP 0.14 has
no maximum ride time: on dial-a-ride instances it solves the relaxation and the validator says so.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from dispatch.problem import RoutingProblem, Solution, VehicleSpec, Visit, VisitKind
from dispatch.validator import schedule_route, validate


@dataclass
class PyvrpRun:
    """PyVRP's best solution, timed in floats, and whether our validator accepts it."""

    solution: Solution
    feasible: bool
    seconds: float
    violations: int


def solve_with_pyvrp(
    problem: RoutingProblem, seconds: float, fixed_cost: float = 0.0, scale: float = 1000.0, seed: int = 0
) -> PyvrpRun:
    """Solve with PyVRP for ``seconds`` of wall clock (model building included).

    Parameters
    ----------
    problem
        A benchmark problem: vehicles differ at most in start/end place, shift and capacity.
    seconds
        Budget, seconds.
    fixed_cost
        Cost per used vehicle in problem units (large for "vehicles first").
    scale
        Factor turning distances and times into PyVRP's integers.
    """
    import pyvrp
    from pyvrp.stop import MaxRuntime

    began = time.monotonic()
    model = pyvrp.Model()
    n = problem.travel_time.shape[0]
    locations = [model.add_location(x=0, y=0) for _ in range(n)]
    for i in range(n):
        for j in range(n):
            model.add_edge(
                locations[i],
                locations[j],
                distance=round(float(problem.distance[i, j]) * scale),
                duration=math.ceil(float(problem.travel_time[i, j]) * scale - 1e-6),
            )
    depots: dict[int, object] = {}

    def depot(loc: int):
        if loc not in depots:
            depots[loc] = model.add_depot(locations[loc])
        return depots[loc]

    groups: dict[tuple, list[VehicleSpec]] = {}
    for v in problem.vehicles:
        if v.end is None or v.locked:
            raise ValueError("the PyVRP baseline handles closed routes without locked visits only")
        groups.setdefault((v.start, v.end, v.start_time, v.end_time, v.capacity), []).append(v)
    type_vehicles: list[list[VehicleSpec]] = []
    for (start, end, t0, t1, capacity), members in groups.items():
        model.add_vehicle_type(
            num_available=len(members),
            capacity=list(capacity),
            start_depot=depot(start),
            end_depot=depot(end),
            fixed_cost=round(fixed_cost * scale),
            tw_early=math.ceil(t0 * scale - 1e-6),
            tw_late=math.floor(t1 * scale + 1e-6),
        )
        type_vehicles.append(members)
    for r in problem.requests:
        if r.onboard_vehicle is not None:
            raise ValueError("the PyVRP baseline has no on-board loads")
        model.add_shipment(
            locations[r.pickup],
            locations[r.dropoff],
            pickup_tw_early=math.ceil(r.pickup_window[0] * scale - 1e-6),
            pickup_tw_late=math.floor(r.pickup_window[1] * scale + 1e-6),
            pickup_service_duration=math.ceil(r.pickup_service * scale - 1e-6),
            delivery_tw_early=math.ceil(r.dropoff_window[0] * scale - 1e-6),
            delivery_tw_late=math.floor(r.dropoff_window[1] * scale + 1e-6),
            delivery_service_duration=math.ceil(r.dropoff_service * scale - 1e-6),
            amount=list(r.load),
            required=r.required,
        )
    left = max(0.1, seconds - (time.monotonic() - began))
    result = model.solve(stop=MaxRuntime(left), seed=seed, display=False)
    routes: dict[str, list[Visit]] = {v.id: [] for v in problem.vehicles}
    served: set[str] = set()
    used_per_type = [0] * len(type_vehicles)
    for route in result.best.routes():
        t = route.vehicle_type()
        vehicle = type_vehicles[t][used_per_type[t]]
        used_per_type[t] += 1
        sequence = []
        for activity in route.schedule():
            if activity.is_pickup() or activity.is_delivery():
                req = problem.requests[activity.idx]
                sequence.append((req.id, VisitKind.PICKUP if activity.is_pickup() else VisitKind.DROPOFF))
                served.add(req.id)
        routes[vehicle.id] = schedule_route(problem, vehicle, sequence) or _earliest(problem, vehicle, sequence)
    unserved = {r.id: "left out by PyVRP" for r in problem.requests if r.id not in served}
    solution = Solution(routes=routes, unserved=unserved, solver="pyvrp")
    violations = validate(problem, solution)
    return PyvrpRun(solution, not violations, time.monotonic() - began, len(violations))


def _earliest(problem: RoutingProblem, vehicle: VehicleSpec, sequence: list[tuple[str, VisitKind]]) -> list[Visit]:
    """As-early-as-possible times whatever the windows say, so the validator can name what breaks."""
    visits: list[Visit] = []
    here, clock = vehicle.start, vehicle.start_time
    for rid, kind in sequence:
        r = problem.request(rid)
        there, window, service = (
            (r.pickup, r.pickup_window, r.pickup_service)
            if kind == VisitKind.PICKUP
            else (r.dropoff, r.dropoff_window, r.dropoff_service)
        )
        arrival = clock + float(np.asarray(problem.travel_time)[here, there])
        start = max(arrival, window[0])
        visits.append(Visit(rid, kind, arrival, start, start + service))
        here, clock = there, start + service
    return visits

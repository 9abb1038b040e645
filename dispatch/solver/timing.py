"""Concrete visit times for visit orders, checked by the project's own validator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dispatch.problem import RoutingProblem, Solution, VehicleSpec, Visit, VisitKind
from dispatch.validator import check_route, schedule_route

VisitKey = tuple[str, VisitKind]


def time_route(
    problem: RoutingProblem,
    vehicle: VehicleSpec,
    sequence: Sequence[VisitKey],
    solver_starts: Mapping[VisitKey, float] | None = None,
) -> list[Visit] | None:
    """Times for one vehicle's visit order, or None if neither schedule below is valid.

    First the shared scheduler (as early as possible, pickups delayed to cut ride times: the same
    times the insertion search promises); if its greedy delay step cannot satisfy the ride limits,
    the service starts OR-Tools found, with arrivals and departures rebuilt from the matrices.
    """
    if not sequence:
        return []
    visits = schedule_route(problem, vehicle, sequence)
    if visits is not None:
        return visits
    if solver_starts is None or any(key not in solver_starts for key in sequence):
        return None
    visits = _from_starts(problem, vehicle, sequence, solver_starts)
    return None if check_route(problem, vehicle, visits) else visits


def _from_starts(
    problem: RoutingProblem,
    vehicle: VehicleSpec,
    sequence: Sequence[VisitKey],
    starts: Mapping[VisitKey, float],
) -> list[Visit]:
    visits: list[Visit] = []
    here, clock = vehicle.start, vehicle.start_time
    drive_from, rested = clock, 0.0  # as the validator reads breaks taken anywhere
    for rid, kind in sequence:
        if kind == VisitKind.BREAK:
            brk = vehicle.break_spec(rid)
            there, service = brk.location, brk.duration
        else:
            req = problem.request(rid)
            if kind == VisitKind.PICKUP:
                there, service = req.pickup, req.pickup_service
            else:
                there, service = req.dropoff, req.dropoff_service
        if there is None:
            arrival = clock
        else:
            arrival = max(clock, drive_from + rested + float(problem.travel_time[here, there]))
        start = max(arrival, starts[(rid, kind)])
        visits.append(Visit(rid, kind, arrival, start, start + service))
        clock = start + service
        if there is None:
            rested += service
        else:
            here, drive_from, rested = there, clock, 0.0
    return visits


def time_solution(
    problem: RoutingProblem,
    routes: Mapping[str, Sequence[VisitKey]],
    unserved: Mapping[str, str],
    solver_starts: Mapping[VisitKey, float] | None = None,
) -> Solution | None:
    """A timed :class:`Solution` for per-vehicle visit orders; None if any route cannot be timed."""
    timed: dict[str, list[Visit]] = {}
    for vehicle in problem.vehicles:
        visits = time_route(problem, vehicle, routes.get(vehicle.id, ()), solver_starts)
        if visits is None:
            return None
        timed[vehicle.id] = visits
    return Solution(routes=timed, unserved=dict(unserved))


def visit_orders(solution: Solution) -> dict[str, list[VisitKey]]:
    """The visit order of every route of a solution."""
    return {vid: [(v.request_id, v.kind) for v in visits] for vid, visits in solution.routes.items()}

"""The objective every candidate solution is compared on, in the problem's own (float) units."""

from __future__ import annotations

from dispatch.problem import RoutingProblem, Solution, route_distance
from dispatch.solver.params import SolveParams


def vehicle_fixed_cost(problem_vehicle_fixed_cost: float, params: SolveParams) -> float:
    """Fixed cost of one used vehicle in problem units: its own plus the run's (given scaled)."""
    return problem_vehicle_fixed_cost + params.vehicle_fixed_cost / params.time_scale


def objective(problem: RoutingProblem, solution: Solution, params: SolveParams) -> float:
    """Distance driven + fixed cost of every used vehicle + penalty of every unserved request.

    This is what the OR-Tools model minimises (up to integer rounding), so warm-started runs can be
    compared with their initial solution on equal terms.
    """
    total = 0.0
    for vehicle in problem.vehicles:
        visits = solution.routes.get(vehicle.id, [])
        if visits:
            total += route_distance(problem, vehicle, visits) + vehicle_fixed_cost(vehicle.fixed_cost, params)
    for request_id in solution.unserved:
        total += problem.request(request_id).penalty
    return total

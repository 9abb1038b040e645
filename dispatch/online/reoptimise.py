"""Re-optimisation: re-solve every open plan with the OR-Tools solver and publish only what is safe.

Safe means: the solver's result passes :func:`dispatch.validator.validate` on a problem that holds every
promise (see :mod:`dispatch.online.translate`), keeps every booking a dispatcher pinned on its vehicle
(:func:`dispatch.validator.check_pins`, against the dispatcher's books), and it drives strictly less
than the current plans (distance, metres, including the return to the depot). Otherwise nothing changes
and the result says why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from dispatch.online.fleet import Fleet
from dispatch.online.translate import adopt, to_problem
from dispatch.problem import Solution, visit_location
from dispatch.solver.params import SolveParams
from dispatch.validator import check_pins, validate

IMPROVEMENT_M = 1.0  # a new plan must save at least a metre to be worth publishing


@dataclass(frozen=True)
class ReoptimisationResult:
    """What one re-optimisation run did.

    Parameters
    ----------
    improved
        True when a better plan was published.
    cost_before_m, cost_after_m
        Distance of the current plans and of the solver's plan (metres; equal when nothing was found).
    drive_before_s, drive_after_s
        Drive time of the same, seconds.
    seconds
        Wall-clock seconds of the run (building, solving, validating, publishing).
    reason
        Why nothing was published (empty when ``improved``).
    moved
        Bookings that changed vehicle.
    requests, vehicles
        Size of the problem solved.
    solver
        The solver's label for its result.
    """

    improved: bool
    cost_before_m: float
    cost_after_m: float
    drive_before_s: float
    drive_after_s: float
    seconds: float
    reason: str = ""
    moved: int = 0
    requests: int = 0
    vehicles: int = 0
    solver: str = ""

    @property
    def published(self) -> bool:
        return self.improved

    @property
    def saved_m(self) -> float:
        return self.cost_before_m - self.cost_after_m if self.improved else 0.0


def reoptimise(fleet: Fleet, params: SolveParams, now: int) -> ReoptimisationResult:
    """Solve the fleet's open plans within ``params.time_limit_s`` and publish a safe improvement."""
    from dispatch.solver import SolverFailed, solve

    began = time.perf_counter()
    tr = to_problem(fleet, now)
    problem = tr.problem
    before = tr.current.distance(problem)
    drive_before = _drive(problem, tr.current)
    size = {"requests": len(problem.requests), "vehicles": len(problem.vehicles)}

    def unchanged(
        reason: str, after: float = before, drive_after: float = drive_before, label: str = ""
    ) -> ReoptimisationResult:
        return ReoptimisationResult(False, before, after, drive_before, drive_after,
                                    time.perf_counter() - began, reason, solver=label, **size)

    broken = validate(problem, tr.current)
    if broken:
        return unchanged("current plans do not validate: " + "; ".join(str(v) for v in broken[:3]))
    if not problem.requests:
        return unchanged("nothing to re-plan")
    try:
        solution = solve(problem, params, tr.current)
    except SolverFailed as exc:
        return unchanged(f"solver failed: {exc}")
    violations = validate(problem, solution) + check_pins(solution, pins(fleet))
    if violations:
        return unchanged("solver result does not validate: " + "; ".join(str(v) for v in violations[:3]),
                         label=solution.solver)
    after = solution.distance(problem)
    drive_after = _drive(problem, solution)
    if solution.unserved:
        return unchanged(f"solver left {len(solution.unserved)} booking(s) unserved", after, drive_after,
                         solution.solver)
    if after > before - IMPROVEMENT_M:
        return unchanged("no shorter plan found", after, drive_after, solution.solver)
    moved = adopt(fleet, tr, solution)
    return ReoptimisationResult(True, before, after, drive_before, drive_after, time.perf_counter() - began,
                                moved=moved, solver=solution.solver, **size)


def pins(fleet: Fleet) -> dict[str, str]:
    """Booking id -> vehicle id of every open booking a dispatcher pinned."""
    return {
        rid: rec.pinned_to
        for rid, rec in fleet.records.items()
        if rec.pinned_to is not None and rec.booking.status.is_active
    }


def _drive(problem, solution: Solution) -> float:
    """Seconds driven, start -> visits -> end, over all vehicles."""
    total = 0.0
    for vehicle in problem.vehicles:
        visits = solution.routes.get(vehicle.id, [])
        if not visits:
            continue
        here = vehicle.start
        for visit in visits:
            there = visit_location(problem, visit, vehicle)
            if there is None:  # a break on the way: no drive of its own
                continue
            total += float(problem.travel_time[here, there])
            here = there
        if vehicle.end is not None:
            total += float(problem.travel_time[here, vehicle.end])
    return total

"""Re-optimisation: re-solve every open plan with the OR-Tools solver and publish only what is safe.

Safe means: the solver's result passes :func:`dispatch.validator.validate` on a problem that holds every
promise (see :mod:`dispatch.online.translate`), keeps every booking a dispatcher pinned on its vehicle
(:func:`dispatch.validator.check_pins`, against the dispatcher's books), starts every vehicle with the
stops a dispatcher locked on it, in their order (:func:`dispatch.validator.check_sequence_locks`), and
it drives strictly less than the current plans (distance, metres, including the return to the depot).
Otherwise nothing changes and the result says why.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dispatch.online.fleet import Fleet
from dispatch.online.translate import Translation, adopt, to_problem
from dispatch.problem import Solution, VisitKind, visit_location
from dispatch.solver.params import SolveParams
from dispatch.validator import check_pins, check_sequence_locks, schedule_route, validate

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
    return _publish(fleet, tr, solution, began)


def refit(fleet: Fleet, orders: Mapping[str, Sequence[tuple[str, str]]], now: int, label: str = "",
          seconds: float = 0.0) -> ReoptimisationResult:
    """Adopt visit orders a search found on an earlier copy of the plans, if they still fit the plans now.

    ``orders``: vehicle id -> ``(booking id, "pickup" | "dropoff")`` in order. Stops made or cancelled since
    are left out; the rest is timed from where each vehicle is now (:func:`dispatch.validator.schedule_route`)
    and published under the same rules as :func:`reoptimise` (validated, pins and locked orders kept, shorter).
    Nothing changes, with the reason, when a stop was planned since the search began or an order no longer
    schedules. ``seconds`` is the search's own wall-clock time, added to the result's.
    """
    began = time.perf_counter() - seconds
    tr = to_problem(fleet, now)
    problem = tr.problem
    pending = {(v.request_id, VisitKind(v.kind)) for visits in tr.current.routes.values() for v in visits}
    wanted = {vid: [(rid, VisitKind(kind)) for rid, kind in order if (rid, VisitKind(kind)) in pending]
              for vid, order in orders.items()}
    covered = {item for order in wanted.values() for item in order}
    if pending - covered:
        return _unchanged(tr, began, f"{len(pending - covered)} stop(s) were planned while the solver ran", label)
    routes = {}
    for spec in problem.vehicles:
        order = wanted.get(spec.id, [])
        visits = schedule_route(problem, spec, order) if order else []
        if visits is None:
            return _unchanged(tr, began, f"the plans moved on while the solver ran: vehicle {spec.id} can no longer"
                                         " make the order found", label)
        routes[spec.id] = visits
    return _publish(fleet, tr, Solution(routes=routes, solver=label), began)


def _unchanged(tr: Translation, began: float, reason: str, label: str = "", solution: Solution | None = None
               ) -> ReoptimisationResult:
    problem = tr.problem
    before, drive_before = tr.current.distance(problem), _drive(problem, tr.current)
    after, drive_after = (before, drive_before) if solution is None else (solution.distance(problem),
                                                                          _drive(problem, solution))
    return ReoptimisationResult(False, before, after, drive_before, drive_after, time.perf_counter() - began,
                                reason, solver=label, requests=len(problem.requests), vehicles=len(problem.vehicles))


def _publish(fleet: Fleet, tr: Translation, solution: Solution, began: float) -> ReoptimisationResult:
    """Adopt ``solution`` if it validates, keeps pins and locked orders, serves everyone and drives less."""
    problem = tr.problem
    label = solution.solver
    violations = validate(problem, solution) + check_pins(solution, pins(fleet))
    violations += check_sequence_locks(solution, sequence_locks(fleet))
    if violations:
        return _unchanged(tr, began, "solver result does not validate: " + "; ".join(str(v) for v in violations[:3]),
                          label)
    if solution.unserved:
        return _unchanged(tr, began, f"solver left {len(solution.unserved)} booking(s) unserved", label, solution)
    before = tr.current.distance(problem)
    after = solution.distance(problem)
    if after > before - IMPROVEMENT_M:
        return _unchanged(tr, began, "no shorter plan found", label, solution)
    drive_before, drive_after = _drive(problem, tr.current), _drive(problem, solution)
    moved = adopt(fleet, tr, solution)
    return ReoptimisationResult(True, before, after, drive_before, drive_after, time.perf_counter() - began,
                                moved=moved, solver=label, requests=len(problem.requests),
                                vehicles=len(problem.vehicles))


def pins(fleet: Fleet) -> dict[str, str]:
    """Booking id -> vehicle id of every open booking a dispatcher pinned."""
    return {
        rid: rec.pinned_to
        for rid, rec in fleet.records.items()
        if rec.pinned_to is not None and rec.booking.status.is_active
    }


def sequence_locks(fleet: Fleet) -> dict[str, list[tuple[str, str]]]:
    """Vehicle id -> the next stops a dispatcher locked on it, in order (vehicles with a lock only)."""
    return {vid: [(rid, str(kind)) for rid, kind in vs.held] for vid, vs in fleet.states.items() if vs.held}


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

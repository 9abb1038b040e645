"""``solve``: the one entry point of the solver layer (live re-optimisation and benchmarks alike).

Every result is timed by the shared scheduler and checked by :func:`dispatch.validator.validate`
before it is returned; a required request is never dropped: without a valid full solution the valid
``initial`` comes back unchanged, or :class:`SolverFailed` is raised.
"""

from __future__ import annotations

import time

from dispatch.problem import RoutingProblem, Solution
from dispatch.solver.errors import SolverFailed
from dispatch.solver.objective import objective
from dispatch.solver.ortools_model import PdpModel
from dispatch.solver.params import SolveParams
from dispatch.solver.screening import infeasible_alone
from dispatch.solver.search import MIN_SEARCH_S, run_search
from dispatch.solver.timing import time_solution, visit_orders
from dispatch.validator import validate

NOT_PLACED = "no feasible insertion within time limit"


def solve(problem: RoutingProblem, params: SolveParams, initial: Solution | None = None) -> Solution:
    """Best solution found within ``params.time_limit_s`` seconds of wall clock.

    Parameters
    ----------
    problem
        Requests and vehicles; times and distances in the problem's units.
    params
        Time budget (whole call, seconds), OR-Tools strategies, integer scale, vehicle fixed cost.
    initial
        A solution to start from (e.g. the dispatcher's current plans). If it is valid, the result is
        never worse than it on :func:`dispatch.solver.objective.objective`.

    Returns
    -------
    Solution
        Valid for ``problem``; unrouted optional requests are in ``unserved`` with a reason.

    Raises
    ------
    SolverFailed
        No valid solution serving every required request was found and ``initial`` is missing or
        not valid.
    """
    began = time.monotonic()
    deadline = began + params.time_limit_s
    initial_ok = initial is not None and not validate(problem, initial)

    screened = infeasible_alone(problem)
    blocked = {rid: why for rid, why in screened.items() if _must_serve(problem, rid)}
    if blocked:
        return _fall_back(problem, params, initial, initial_ok, "required request(s) cannot be served at all", blocked)
    if not problem.vehicles:
        return Solution(routes={}, unserved=dict(screened), solver="none: no vehicles")
    modelled = [r for r in problem.requests if r.id not in screened]
    try:
        model = PdpModel(problem, modelled, params)
    except ValueError as exc:
        return _fall_back(problem, params, initial, initial_ok, f"problem cannot be modelled: {exc}", {})

    left = deadline - time.monotonic() - _reserve(params.time_limit_s)
    result = None
    if left >= MIN_SEARCH_S:
        result = run_search(model, params, left, visit_orders(initial) if initial is not None else None)
    if result is None:
        return _fall_back(problem, params, initial, initial_ok, "OR-Tools found no solution within the time limit", {})

    routed = {rid for seq in result.routes.values() for rid, _ in seq}
    unserved = {r.id: screened.get(r.id, NOT_PLACED) for r in problem.requests if r.id not in routed}
    left_out = {rid: NOT_PLACED for rid in unserved if _must_serve(problem, rid)}
    if left_out:
        return _fall_back(problem, params, initial, initial_ok, "required request(s) could not be placed", left_out)
    solution = time_solution(problem, result.routes, unserved, result.start_times)
    if solution is None:
        return _fall_back(problem, params, initial, initial_ok, "OR-Tools routes could not be timed validly", {})
    violations = validate(problem, solution)
    if violations:
        detail = "; ".join(str(v) for v in violations[:3])
        return _fall_back(problem, params, initial, initial_ok, f"OR-Tools solution failed validation: {detail}", {})

    solution.objective = objective(problem, solution, params)
    solution.solver = "ortools"
    solution.stats = {
        "seconds": time.monotonic() - began,
        "search_seconds": result.seconds,
        "warm_start": float(result.warm),
        "ortools_objective": float(result.objective),
    }
    if initial_ok and initial is not None:
        kept = objective(problem, initial, params)
        if kept < solution.objective:
            return _kept(initial, kept, "initial (search found nothing better)", time.monotonic() - began)
    return solution


def _must_serve(problem: RoutingProblem, request_id: str) -> bool:
    request = problem.request(request_id)
    return request.required or request.onboard_vehicle is not None


def _reserve(budget_s: float) -> float:
    """Seconds kept back from the search for timing and validating its result."""
    return min(0.5, 0.02 + 0.02 * budget_s)


def _fall_back(
    problem: RoutingProblem,
    params: SolveParams,
    initial: Solution | None,
    initial_ok: bool,
    why: str,
    reasons: dict[str, str],
) -> Solution:
    if initial_ok and initial is not None:
        return _kept(initial, objective(problem, initial, params), f"initial ({why})", None)
    detail = "; ".join(f"{rid}: {reason}" for rid, reason in sorted(reasons.items())[:5])
    raise SolverFailed(f"{why}{' - ' + detail if detail else ''}", reasons)


def _kept(initial: Solution, value: float, label: str, seconds: float | None) -> Solution:
    return Solution(
        routes={vid: list(visits) for vid, visits in initial.routes.items()},
        unserved=dict(initial.unserved),
        objective=value,
        solver=label,
        stats={"fallback": 1.0} | ({"seconds": seconds} if seconds is not None else {}),
    )

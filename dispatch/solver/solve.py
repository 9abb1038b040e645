"""``solve``: the one entry point of the solver layer (live re-optimisation and benchmarks alike).

Every result is timed by the shared scheduler and checked by :func:`dispatch.validator.validate`
before it is returned; a required request is never dropped: without a valid full solution the valid
``initial`` comes back unchanged, or :class:`SolverFailed` is raised.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from dispatch.problem import Request, RoutingProblem, Solution, has_breaks
from dispatch.solver.errors import SolverFailed
from dispatch.solver.lns import LnsSettings, improve
from dispatch.solver.objective import objective
from dispatch.solver.ortools_model import VisitKey, load_dimensions
from dispatch.solver.params import SolveParams
from dispatch.solver.phases import complete, eliminate_routes, search_once, served, unused
from dispatch.solver.screening import infeasible_alone
from dispatch.solver.search import SearchResult, search_parameters
from dispatch.solver.timing import time_solution, visit_orders
from dispatch.validator import validate

NOT_PLACED = "no feasible insertion within time limit"
# Vehicles first: share of the budget for the first solution (with the vehicle fixed cost).
_FIRST_SHARE = 0.15
_FIRST_MIN_S = 1.0


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
    ValueError
        Malformed input: unknown OR-Tools strategy names, loads and capacities of different
        dimensions.
    """
    search_parameters(params, 1.0)  # unknown strategy names fail here, with the known ones listed
    load_dimensions(problem)
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
    start_from = visit_orders(initial) if initial is not None else None
    try:
        candidates = _search(
            problem, modelled, params, deadline - _reserve(params.time_limit_s), start_from, initial_ok
        )
    except ValueError as exc:
        return _fall_back(problem, params, initial, initial_ok, f"problem cannot be modelled: {exc}", {})

    best: Solution | None = None
    why_not, reasons = "OR-Tools found no solution within the time limit", {}
    for candidate in candidates:
        solution, why, missing = _checked(problem, params, screened, candidate)
        if solution is None:
            why_not, reasons = why, missing
        elif best is None or _rank(solution, params) < _rank(best, params):
            best = solution
    if best is None:
        return _fall_back(problem, params, initial, initial_ok, why_not, reasons)
    best.stats["seconds"] = time.monotonic() - began
    if initial_ok and initial is not None:
        kept = _kept(initial, objective(problem, initial, params), "initial (search found nothing better)", None)
        if _rank(kept, params) < _rank(best, params):
            kept.stats["seconds"] = time.monotonic() - began
            return kept
    return best


def _rank(solution: Solution, params: SolveParams) -> tuple[float, float]:
    """Comparison key: the objective, or (vehicles, objective) when the fleet comes first."""
    return (solution.vehicles_used() if params.minimise_fleet else 0, solution.objective)


@dataclass
class _Candidate:
    label: str
    routes: dict[str, list[VisitKey]]
    start_times: dict[VisitKey, float] | None
    result: SearchResult | None = None
    stats: dict[str, float] = field(default_factory=dict)


def _search(
    problem: RoutingProblem,
    modelled: list[Request],
    params: SolveParams,
    deadline: float,
    start_from: dict[str, list[VisitKey]] | None,
    start_valid: bool = False,
) -> list[_Candidate]:
    """Candidate solutions, best last: one OR-Tools search, or the vehicles-first phases."""
    left = deadline - time.monotonic()
    if params.ruin_recreate is not None and not has_breaks(problem):
        # The ruin-and-recreate search does not model driver breaks: with breaks the OR-Tools path runs.
        return _ruin_recreate(problem, modelled, params, deadline, start_from, start_valid)
    if not params.minimise_fleet:
        share = params.first_search_share if params.lns else 1.0
        result = search_once(problem, modelled, params, _first_slice(share, left), start_from)
        if result is None:
            return []
        if params.lns:
            result = complete(problem, modelled, params, result, time.monotonic() + 0.5 * (deadline - time.monotonic()))
        out = [_Candidate("ortools", result.routes, result.start_times, result)]
        if params.lns:
            out += _lns(problem, modelled, params, result, deadline, frozenset(), True)
        return out
    first = search_once(problem, modelled, params, _first_slice(_FIRST_SHARE, left), start_from)
    if first is None:
        return []
    first = complete(problem, modelled, params, first, time.monotonic() + 0.5 * (deadline - time.monotonic()))
    out = [_Candidate("ortools (fixed vehicle cost)", first.routes, first.start_times, first)]
    left = deadline - time.monotonic()
    routes, removed = eliminate_routes(
        problem, modelled, params, first.routes, time.monotonic() + params.elimination_share * left
    )
    if removed:
        out.append(_Candidate(f"route elimination (-{removed})", routes, None))
    distance_only = replace(params, vehicle_fixed_cost=0.0)
    if params.lns:
        start = SearchResult(routes, {}, 0, 0.0, True)
        return out + _lns(problem, modelled, distance_only, start, deadline, unused(problem, routes), False)
    final = search_once(
        problem,
        modelled,
        distance_only,
        deadline - time.monotonic(),
        routes,
        closed=unused(problem, routes),
        fixed_costs=False,
    )
    if final is not None:
        out.append(_Candidate("ortools (vehicles first, then distance)", final.routes, final.start_times, final))
    return out


def _ruin_recreate(
    problem: RoutingProblem,
    modelled: list[Request],
    params: SolveParams,
    deadline: float,
    start_from: dict[str, list[VisitKey]] | None,
    start_valid: bool,
) -> list[_Candidate]:
    """A start, then the numpy ruin-and-recreate search to the deadline; both are candidates.

    The start is the caller's valid plan when there is one (live re-optimisation), else OR-Tools'
    first solution (completed if it left required requests out), else a greedy insertion.
    """
    assert params.ruin_recreate is not None
    if start_from is not None and start_valid:
        # The caller's plans (live re-optimisation) are already a complete, valid start: the whole
        # budget goes to ruin and recreate, however short it is.
        # (``solve`` compares the result with the initial itself.)
        return _rr_candidate(problem, params, start_from, deadline, None, "initial + ")
    left = deadline - time.monotonic()
    first = search_once(problem, modelled, params, _first_slice(params.first_search_share, left), start_from)
    if first is not None:
        first = complete(problem, modelled, params, first, time.monotonic() + 0.5 * (deadline - time.monotonic()))
    must = [r.id for r in modelled if _must_serve(problem, r.id)]
    out: list[_Candidate] = []
    prefix = "ortools + "
    if first is not None:
        out.append(_Candidate("ortools", first.routes, first.start_times, first))
    if first is None or not set(must) <= served(first.routes):
        from dispatch.solver.rr.search import construct  # compiled kernels: loaded only when used

        built = construct(problem, params, params.ruin_recreate)
        if built is None:
            return out
        first, prefix = SearchResult(built, {}, 0, 0.0, False), "greedy insertion + "
        out.append(_Candidate("greedy insertion", built, None))
    return out + _rr_candidate(problem, params, first.routes, deadline, first.start_times, prefix)


def _rr_candidate(
    problem: RoutingProblem,
    params: SolveParams,
    start: dict[str, list[VisitKey]],
    deadline: float,
    start_times: dict[VisitKey, float] | None = None,
    prefix: str = "",
) -> list[_Candidate]:
    assert params.ruin_recreate is not None
    rr, fleet = params.ruin_recreate, params.minimise_fleet
    from dispatch.solver.rr.parallel import best_of_seeds  # compiled kernels: loaded only when used

    result = best_of_seeds(problem, params, rr, start, deadline, fleet, params.workers)
    stats = {f"rr_{k}": v for k, v in result.stats.items()}
    label = (
        f"{prefix}ruin-and-recreate ({result.stats['iterations']:.0f} iterations, "
        f"{result.stats.get('routes_removed', 0.0):.0f} route(s) removed)"
    )
    return [_Candidate(label, result.routes, (start_times or {}) | result.start_times, None, stats)]



def _first_slice(share: float, left: float) -> float:
    """Seconds for the first search: its share, but never less than a second when there is one
    (a first solution is worth more than any later phase)."""
    return min(left, max(share * left, _FIRST_MIN_S))


def _lns(
    problem: RoutingProblem,
    modelled: list[Request],
    params: SolveParams,
    start: SearchResult,
    deadline: float,
    closed: frozenset[str],
    fixed_costs: bool,
) -> list[_Candidate]:
    settings = LnsSettings(iteration_s=params.lns_iteration_s, metaheuristic=params.lns_metaheuristic)
    best, counters = improve(
        problem, modelled, params, start.routes, deadline, closed, fixed_costs, settings, start.start_times
    )
    if best is None:
        return []
    label = f"ortools + ruin-and-recreate ({counters['improved']:.0f} of {counters['iterations']:.0f} improved)"
    return [_Candidate(label, best.routes, best.start_times, best, {f"lns_{k}": v for k, v in counters.items()})]


def _checked(
    problem: RoutingProblem, params: SolveParams, screened: dict[str, str], candidate: _Candidate
) -> tuple[Solution | None, str, dict[str, str]]:
    """The candidate as a timed, validated solution, or why it is not one."""
    routed = {rid for seq in candidate.routes.values() for rid, _ in seq}
    unserved = {r.id: screened.get(r.id, NOT_PLACED) for r in problem.requests if r.id not in routed}
    left_out = {rid: NOT_PLACED for rid in unserved if _must_serve(problem, rid)}
    if left_out:
        return None, "required request(s) could not be placed", left_out
    solution = time_solution(problem, candidate.routes, unserved, candidate.start_times)
    if solution is None:
        return None, "OR-Tools routes could not be timed validly", {}
    violations = validate(problem, solution)
    if violations:
        return None, "OR-Tools solution failed validation: " + "; ".join(str(v) for v in violations[:3]), {}
    solution.objective = objective(problem, solution, params)
    solution.solver = candidate.label
    if candidate.result is not None:
        solution.stats = {
            "search_seconds": candidate.result.seconds,
            "warm_start": float(candidate.result.warm),
            "ortools_objective": float(candidate.result.objective),
        }
    solution.stats |= candidate.stats
    return solution, "", {}


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

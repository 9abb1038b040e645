"""One time-limited OR-Tools search over a :class:`PdpModel`, cold or warm-started."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatch.solver.ortools_model import PdpModel, VisitKey
from dispatch.solver.params import SolveParams

# Below this OR-Tools is not worth starting (seconds).
MIN_SEARCH_S = 0.05


@dataclass
class SearchResult:
    """What one search found: visit orders, OR-Tools' own times, its objective, how long it took."""

    routes: dict[str, list[VisitKey]]
    start_times: dict[VisitKey, float]
    objective: int
    seconds: float
    warm: bool


def search_parameters(params: SolveParams, seconds: float) -> pywrapcp.DefaultRoutingSearchParameters:
    """Routing search parameters with an explicit time limit of ``seconds`` (wall clock), and
    ``params.solution_limit`` as a deterministic stop when set."""
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = _enum(routing_enums_pb2.FirstSolutionStrategy, params.first_solution)
    sp.local_search_metaheuristic = _enum(routing_enums_pb2.LocalSearchMetaheuristic, params.metaheuristic)
    sp.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    # Sub-searches (LNS, insertion operators) get their own cap so a slow one cannot eat the budget.
    sp.lns_time_limit.FromMilliseconds(max(1, min(100, int(seconds * 100))))
    if params.solution_limit is not None:
        sp.solution_limit = params.solution_limit
        # A wall-clock cap on sub-searches would make the result depend on load; the whole-search
        # time limit still bounds them.
        sp.lns_time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    sp.log_search = params.log_search
    return sp


def run_search(
    model: PdpModel,
    params: SolveParams,
    seconds: float,
    initial_routes: dict[str, Sequence[VisitKey]] | None = None,
    stop_below: int | None = None,
) -> SearchResult | None:
    """Search for at most ``seconds``; None if OR-Tools finds no solution.

    A warm start that the model rejects (e.g. a locked visit it does not start with) falls back to
    a cold search within the same budget. With ``stop_below`` the search ends at the first solution
    whose (scaled) cost is below it.
    """
    if seconds < MIN_SEARCH_S:
        return None
    began = time.monotonic()
    sp = search_parameters(params, seconds)
    assignment = None
    warm = False
    closed = False
    routing = model.routing
    if stop_below is not None:
        cost, solver = routing.CostVar(), routing.solver()

        def finish_if_good() -> None:
            if cost.Value() < stop_below:
                solver.FinishCurrentSearch()

        routing.AddAtSolutionCallback(finish_if_good)
    if initial_routes is not None:
        routes = model.index_routes(initial_routes)
        routing.CloseModelWithParameters(sp)
        closed = True
        start = routing.ReadAssignmentFromRoutes(routes, True)
        if start is not None:
            warm = True
            left = seconds - (time.monotonic() - began)
            sp.time_limit.FromMilliseconds(max(1, int(left * 1000)))
            assignment = routing.SolveFromAssignmentWithParameters(start, sp)
    if assignment is None:
        if any(model.locks):
            if not closed:  # closing twice only makes OR-Tools warn "Model already closed"
                routing.CloseModelWithParameters(sp)
                closed = True
            routing.ApplyLocksToAllVehicles(model.locks, False)
        left = seconds - (time.monotonic() - began)
        if left < MIN_SEARCH_S:
            return None
        sp.time_limit.FromMilliseconds(max(1, int(left * 1000)))
        assignment = routing.SolveWithParameters(sp)
        warm = False
    if assignment is None:
        return None
    return SearchResult(
        routes=model.read_routes(assignment),
        start_times=model.read_start_times(assignment),
        objective=assignment.ObjectiveValue(),
        seconds=time.monotonic() - began,
        warm=warm,
    )


def _enum(enum_type, name: str) -> int:
    values = enum_type.Value  # the nested protobuf enum of the message type
    try:
        return values.Value(name)
    except ValueError:
        known = ", ".join(n for n in values.keys() if n != "UNSET")
        raise ValueError(f"unknown OR-Tools strategy {name!r}; known: {known}") from None

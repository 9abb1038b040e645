"""Search phases built from time-limited OR-Tools runs: route elimination, distance on a fixed fleet."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import replace

from dispatch.problem import Request, RoutingProblem, VisitKind
from dispatch.solver.ortools_model import PdpModel, VisitKey
from dispatch.solver.params import SolveParams
from dispatch.solver.ruin import Relatedness
from dispatch.solver.search import MIN_SEARCH_S, SearchResult, run_search

Routes = dict[str, list[VisitKey]]


def search_once(
    problem: RoutingProblem,
    requests: Sequence[Request],
    params: SolveParams,
    seconds: float,
    initial: Routes | None = None,
    closed: frozenset[str] = frozenset(),
    fixed_costs: bool = True,
    stop_when_complete: bool = False,
) -> SearchResult | None:
    """Build a fresh model (milliseconds) and search it for at most ``seconds``.

    Required requests are hard constraints unless the start routes lack some, or the insertion
    heuristic finds no complete first solution; then they become soft (see :class:`PdpModel`) and
    the result may leave some out. ``stop_when_complete`` ends a soft search at the first solution
    that leaves none out.
    """
    deadline = time.monotonic() + seconds
    must = {r.id for r in requests if r.required or r.onboard_vehicle is not None}
    hard_start = initial is None or must <= served(initial)
    if hard_start and not stop_when_complete:
        model = PdpModel(problem, requests, params, closed=closed, fixed_costs=fixed_costs)
        result = run_search(model, params, deadline - time.monotonic(), initial)
        if result is not None:
            return result
    left = deadline - time.monotonic()
    if left < MIN_SEARCH_S:
        return None
    model = PdpModel(problem, requests, params, closed=closed, fixed_costs=fixed_costs, soft_required=True)
    stop = model.required_penalty // 2 if stop_when_complete else None
    return run_search(model, params, left, initial, stop_below=stop)


def served(routes: Routes) -> set[str]:
    """Requests the routes serve (driver breaks are not requests)."""
    return {rid for seq in routes.values() for rid, kind in seq if kind != VisitKind.BREAK}


def unused(problem: RoutingProblem, routes: Routes) -> frozenset[str]:
    """Vehicles whose route serves nobody (a route of breaks only is unused)."""
    return frozenset(
        v.id for v in problem.vehicles if not any(kind != VisitKind.BREAK for _, kind in routes.get(v.id, ()))
    )


def eliminate_routes(
    problem: RoutingProblem,
    requests: Sequence[Request],
    params: SolveParams,
    routes: Routes,
    deadline: float,
) -> tuple[Routes, int]:
    """Empty whole routes, smallest first, while the deadline allows.

    Each attempt closes one more vehicle, starts from the other routes with that route's requests
    left out, and searches (distance only) until all of them are back in or its slice of time is up.
    A vehicle with locked visits or riders on board is never emptied. Returns the routes with the
    fewest vehicles found (every request served before is served) and the number of routes removed.
    """
    must_keep = {v.id for v in problem.vehicles if v.locked} | {
        r.onboard_vehicle for r in requests if r.onboard_vehicle is not None
    }
    pinned = {rid for v in problem.vehicles for rid, _ in v.locked} | {
        r.id for r in requests if r.onboard_vehicle is not None
    }
    keep_served = served(routes)
    best, removed = routes, 0
    failed: set[str] = set()
    distance_only = replace(params, vehicle_fixed_cost=0.0)
    repair = Repair(problem, requests, distance_only, keep_served, pinned)
    while True:
        left = deadline - time.monotonic()
        candidates = sorted(
            (len(seq), vid) for vid, seq in best.items() if seq and vid not in failed and vid not in must_keep
        )
        if not candidates or left < MIN_SEARCH_S:
            return best, removed
        target = candidates[0][1]
        attempt = min(left, max(0.5, 0.08 * left))
        start_from = {vid: seq for vid, seq in best.items() if vid != target}
        result = search_once(
            problem,
            requests,
            distance_only,
            attempt,
            start_from,
            closed=unused(problem, best) | {target},
            fixed_costs=False,
            stop_when_complete=True,
        )
        closed = unused(problem, best) | {target}
        if result is not None and not served(result.routes) >= keep_served:
            # Nearly there (typically one request left over): ruin around what is missing and retry.
            left = deadline - time.monotonic()
            result = repair.run(result.routes, closed, time.monotonic() + min(left, max(1.0, 0.15 * left)))
        if result is not None and served(result.routes) >= keep_served:
            best, removed = result.routes, removed + 1
            failed.clear()  # a shorter fleet changes which routes can be emptied next
        else:
            failed.add(target)


class Repair:
    """Put the last missing requests of a plan in: remove requests related to a missing one and let
    OR-Tools reinsert everything; keep any state that misses no more than before. Used after a
    route-elimination attempt and after a first search that left required requests out.
    """

    def __init__(
        self,
        problem: RoutingProblem,
        requests: Sequence[Request],
        params: SolveParams,
        keep: set[str],
        pinned: set[str],
    ) -> None:
        self.problem, self.requests, self.params = problem, requests, params
        self.keep, self.pinned = keep, pinned
        self.related = Relatedness(problem, requests)
        self.rng = random.Random(params.seed)

    def run(self, routes: Routes, closed: frozenset[str], deadline: float) -> SearchResult | None:
        current = routes
        while deadline - time.monotonic() >= MIN_SEARCH_S:
            missing = sorted(self.keep - served(current))
            if not missing:
                break
            removable = [rid for rid in served(current) if rid not in self.pinned]
            count = self.rng.randint(2, max(2, min(10, len(removable))))
            removed = self.related.pick(removable, count, self.rng, seed=self.rng.choice(missing))
            partial = {vid: [k for k in seq if k[0] not in removed] for vid, seq in current.items()}
            result = search_once(
                self.problem,
                self.requests,
                self.params,
                min(deadline - time.monotonic(), 1.0),
                partial,
                closed=closed,
                fixed_costs=False,
                stop_when_complete=True,
            )
            if result is None:
                continue
            now_missing = self.keep - served(result.routes)
            if not now_missing:
                return result
            if len(now_missing) <= len(missing):
                current = result.routes
        return None


def complete(
    problem: RoutingProblem,
    requests: Sequence[Request],
    params: SolveParams,
    first: SearchResult,
    deadline: float,
) -> SearchResult:
    """``first`` if it serves every required request, else a repaired plan that does (or ``first``
    unchanged when the deadline comes first)."""
    must = {r.id for r in requests if r.required or r.onboard_vehicle is not None}
    if must <= served(first.routes):
        return first
    pinned = {rid for v in problem.vehicles for rid, _ in v.locked} | {
        r.id for r in requests if r.onboard_vehicle is not None
    }
    repair = Repair(problem, requests, replace(params, vehicle_fixed_cost=0.0), must | served(first.routes), pinned)
    return repair.run(first.routes, frozenset(), deadline) or first

"""Large-neighbourhood search around OR-Tools: ruin part of the best plan in Python, let OR-Tools recreate.

Each iteration removes a handful of related requests (Shaw-style relatedness: close pickups and
drop-offs, similar times) or a string of consecutive visits, starts OR-Tools from what is left with
the removed requests out, and lets its local search put them back and polish (its own short time
limit). A complete result replaces the current plan when it is better, or slightly worse with a
probability that falls as time runs out (simulated-annealing acceptance), which lets the search leave
the plateaus where guided local search stalls.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from dispatch.problem import Request, RoutingProblem, VisitKind
from dispatch.solver.params import SolveParams
from dispatch.solver.phases import Routes, search_once, served
from dispatch.solver.ruin import Relatedness, string_removal
from dispatch.solver.search import MIN_SEARCH_S, SearchResult


@dataclass(frozen=True)
class LnsSettings:
    """Knobs of the ruin-and-recreate loop.

    Parameters
    ----------
    min_removed, max_share
        Requests removed per iteration: between ``min_removed`` and ``max_share`` of those routed.
    iteration_s
        OR-Tools time limit per recreate step, seconds.
    metaheuristic
        OR-Tools metaheuristic of the recreate step (greedy descent: stop at the local optimum).
    start_temperature
        Initial acceptance temperature as a share of the current cost (0.5 % of it by default).
    """

    min_removed: int = 4
    max_share: float = 0.15
    iteration_s: float = 1.0
    metaheuristic: str = "GREEDY_DESCENT"
    start_temperature: float = 0.005


def route_cost(problem: RoutingProblem, routes: Routes, fixed: dict[str, float]) -> float:
    """Distance of all routes plus the fixed cost of every used vehicle, in problem units."""
    total = 0.0
    for vehicle in problem.vehicles:
        seq = routes.get(vehicle.id)
        if not seq:
            continue
        here = vehicle.start
        for rid, kind in seq:
            r = problem.request(rid)
            there = r.pickup if kind == VisitKind.PICKUP else r.dropoff
            total += float(problem.distance[here, there])
            here = there
        if vehicle.end is not None:
            total += float(problem.distance[here, vehicle.end])
        total += fixed.get(vehicle.id, 0.0)
    return total


def improve(
    problem: RoutingProblem,
    requests: Sequence[Request],
    params: SolveParams,
    routes: Routes,
    deadline: float,
    closed: frozenset[str] = frozenset(),
    fixed_costs: bool = True,
    settings: LnsSettings = LnsSettings(),
) -> tuple[SearchResult | None, dict[str, float]]:
    """Ruin and recreate until ``deadline``; returns the best search result (None if none beat
    ``routes``) and counters.

    Every accepted plan serves at least what ``routes`` served; visits locked at a vehicle's head
    and loads already on board are never removed.
    """
    rng = random.Random(params.seed)
    began = time.monotonic()
    fixed = {}
    if fixed_costs:
        fixed = {v.id: v.fixed_cost + params.vehicle_fixed_cost / params.time_scale for v in problem.vehicles}
    keep = served(routes)
    pinned = {rid for v in problem.vehicles for rid, _ in v.locked} | {
        r.id for r in requests if r.onboard_vehicle is not None
    }
    recreate = replace(params, metaheuristic=settings.metaheuristic)
    current = routes
    best: SearchResult | None = None
    current_cost = best_cost = route_cost(problem, routes, fixed)
    related = Relatedness(problem, requests)
    stats = {"iterations": 0.0, "accepted": 0.0, "improved": 0.0}
    while True:
        left = deadline - time.monotonic()
        if left < MIN_SEARCH_S:
            break
        removable = [rid for rid in served(current) if rid not in pinned]
        if len(removable) < 2:
            break
        fewest = min(settings.min_removed, len(removable))
        count = rng.randint(fewest, max(fewest, int(settings.max_share * len(removable))))
        if rng.random() < 0.7:
            removed = related.pick(removable, count, rng)
        else:
            removed = string_removal(current, removable, count, rng)
        partial = {vid: [k for k in seq if k[0] not in removed] for vid, seq in current.items()}
        result = search_once(
            problem,
            requests,
            recreate,
            min(left, settings.iteration_s),
            partial,
            closed=closed,
            fixed_costs=fixed_costs,
        )
        stats["iterations"] += 1
        if result is None or not served(result.routes) >= keep:
            continue
        cost = route_cost(problem, result.routes, fixed)
        progress = (time.monotonic() - began) / max(1e-9, deadline - began)
        temperature = settings.start_temperature * current_cost * (1.0 - progress)
        if cost < current_cost - 1e-9 or (
            temperature > 0 and rng.random() < math.exp(-(cost - current_cost) / temperature)
        ):
            current, current_cost = result.routes, cost
            stats["accepted"] += 1
            if cost < best_cost - 1e-9:
                best, best_cost = result, cost
                stats["improved"] += 1
    return best, stats

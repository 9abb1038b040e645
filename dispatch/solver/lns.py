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
from dispatch.solver.ortools_model import VisitKey
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
        Requests removed per iteration: between ``min_removed`` and ``max_share`` of those on the
        routes being re-planned.
    iteration_s
        OR-Tools time limit of the first recreate step, seconds. It grows by half whenever a step
        runs out of time before every request is back (large or tight instances, a busy machine),
        up to ``max_iteration_share`` of the budget, and shrinks back when steps finish early.
    max_iteration_share
        Upper bound of a recreate step's limit, as a share of the loop's whole budget.
    metaheuristic
        OR-Tools metaheuristic of the recreate step (greedy descent: stop at the local optimum).
    start_temperature
        Initial acceptance temperature as a share of the current cost (0.5 % of it by default).
    min_routes, max_routes
        How many neighbouring routes a recreate step re-plans together.
    """

    min_removed: int = 4
    max_share: float = 0.4
    iteration_s: float = 1.0
    max_iteration_share: float = 0.1
    metaheuristic: str = "GREEDY_DESCENT"
    start_temperature: float = 0.005
    min_routes: int = 2
    max_routes: int = 3


def route_cost(problem: RoutingProblem, routes: Routes, fixed: dict[str, float]) -> float:
    """Distance of all routes plus the fixed cost of every used vehicle, in problem units."""
    total = 0.0
    for vehicle in problem.vehicles:
        seq = routes.get(vehicle.id)
        if not seq:
            continue
        here = vehicle.start
        for rid, kind in seq:
            if kind == VisitKind.BREAK:
                there = vehicle.break_spec(rid).location
                if there is None:  # taken on the way: no distance of its own
                    continue
            else:
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
    start_times: dict[VisitKey, float] | None = None,
) -> tuple[SearchResult | None, dict[str, float]]:
    """Ruin and recreate until ``deadline``; returns the best search result (None if none beat
    ``routes``) and counters.

    Each recreate step works on the routes the removed requests came from (at least
    ``settings.min_routes`` of them, plus one idle vehicle when the fleet is open): a small
    OR-Tools model that converges in a fraction of the time the whole plan would take. Every
    accepted plan serves at least what ``routes`` served; visits locked at a vehicle's head and
    loads already on board are never removed.
    """
    rng = random.Random(params.seed)
    began = time.monotonic()
    fixed = {}
    if fixed_costs:
        fixed = {v.id: v.fixed_cost + params.vehicle_fixed_cost / params.time_scale for v in problem.vehicles}
    pinned = {rid for v in problem.vehicles for rid, _ in v.locked} | {
        r.id for r in requests if r.onboard_vehicle is not None
    }
    recreate = replace(params, metaheuristic=settings.metaheuristic)
    current, current_times = dict(routes), dict(start_times or {})
    best: tuple[Routes, dict[VisitKey, float]] | None = None
    current_cost = best_cost = route_cost(problem, routes, fixed)
    related = Relatedness(problem, requests)
    stats = {"iterations": 0.0, "accepted": 0.0, "improved": 0.0}
    limit = settings.iteration_s
    longest = max(settings.iteration_s, settings.max_iteration_share * (deadline - began))
    while True:
        left = deadline - time.monotonic()
        if left < MIN_SEARCH_S:
            break
        removable = [rid for rid in served(current) if rid not in pinned]
        if len(removable) < 2:
            break
        seed = rng.choice(removable)
        area = _routes_near(current, seed, related, rng.randint(settings.min_routes, settings.max_routes))
        pool = [rid for rid in removable if rid in area.requests]
        fewest = min(settings.min_removed, len(pool))
        count = rng.randint(fewest, max(fewest, int(settings.max_share * len(pool))))
        if rng.random() < 0.7:
            removed = related.pick(pool, count, rng, seed=seed)
        else:
            removed = string_removal({vid: current[vid] for vid in area.vehicles}, pool, count, rng)
        sub = _neighbourhood(problem, current, area.vehicles, closed)
        partial = {vid: [k for k in current.get(vid, []) if k[0] not in removed] for vid in sub.vehicle_ids}
        result = search_once(
            sub.problem,
            sub.problem.requests,
            recreate,
            min(left, limit),
            partial,
            closed=closed & sub.vehicle_ids,
            fixed_costs=fixed_costs,
        )
        stats["iterations"] += 1
        if result is None or not served(result.routes) >= sub.served:
            limit = min(longest, 1.5 * limit)
            continue
        if result.seconds < 0.5 * limit:
            limit = max(settings.iteration_s, 0.8 * limit)
        candidate = current | result.routes
        cost = route_cost(problem, candidate, fixed)
        progress = (time.monotonic() - began) / max(1e-9, deadline - began)
        temperature = settings.start_temperature * current_cost * (1.0 - progress)
        if cost < current_cost - 1e-9 or (
            temperature > 0 and rng.random() < math.exp(-(cost - current_cost) / temperature)
        ):
            current, current_cost = candidate, cost
            current_times = current_times | result.start_times
            stats["accepted"] += 1
            if cost < best_cost - 1e-9:
                best, best_cost = (current, current_times), cost
                stats["improved"] += 1
    if best is None:
        return None, stats
    scaled = round(best_cost * params.time_scale)
    return SearchResult(best[0], best[1], scaled, time.monotonic() - began, True), stats


@dataclass
class _Area:
    vehicles: set[str]
    requests: set[str]


def _routes_near(routes: Routes, seed: str, related: Relatedness, count: int) -> _Area:
    """The seed's route and the routes of the requests most related to it, ``count`` routes in all."""
    route_of = {rid: vid for vid, seq in routes.items() for rid, _ in seq}
    chosen = [route_of[seed]]
    for rid in related.nearest(seed):
        vid = route_of.get(rid)
        if vid is not None and vid not in chosen:
            chosen.append(vid)
            if len(chosen) >= count:
                break
    return _Area(set(chosen), {rid for vid in chosen for rid, kind in routes[vid] if kind != VisitKind.BREAK})


@dataclass
class _Neighbourhood:
    problem: RoutingProblem
    vehicle_ids: frozenset[str]
    served: set[str]


def _neighbourhood(
    problem: RoutingProblem, routes: Routes, touched: set[str], closed: frozenset[str]
) -> _Neighbourhood:
    """The sub-problem of the ``touched`` routes plus one idle vehicle if the fleet may grow."""
    idle = [v.id for v in problem.vehicles
            if not any(k != VisitKind.BREAK for _, k in routes.get(v.id, ())) and v.id not in closed]
    ids = touched | set(idle[:1])
    vehicles = [v for v in problem.vehicles if v.id in ids]
    on_routes = {rid for vid in touched for rid, kind in routes.get(vid, []) if kind != VisitKind.BREAK}
    requests = [r for r in problem.requests if r.id in on_routes]
    sub = RoutingProblem(problem.travel_time, problem.distance, requests, vehicles, name=problem.name)
    return _Neighbourhood(sub, frozenset(ids), on_routes)

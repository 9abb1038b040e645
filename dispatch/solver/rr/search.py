"""The ruin-and-recreate search: route minimisation first when asked, then simulated annealing on
distance, from a plan that serves every required request; it never returns worse than its start.

Every iteration copies the current plan, ruins it (SISR strings or Shaw-related removal), recreates
it (greedy insertion with blinks) and accepts it when its cost is below the current one plus a
temperature term (``current - T ln U``, U uniform), the temperature falling geometrically from
``start_temperature`` to ``end_temperature`` (shares of the mean distance per request). Progress is
measured in iterations when ``max_iterations`` is set (deterministic), else in wall clock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from dispatch.problem import RoutingProblem
from dispatch.solver.params import SolveParams
from dispatch.solver.rr.flat import FlatProblem, VisitKey, flatten, to_codes, to_keys
from dispatch.solver.rr.fleet import minimise_fleet as remove_routes
from dispatch.solver.rr.fleet import minimise_fleet_warped
from dispatch.solver.rr.params import RrParams
from dispatch.solver.rr.plan import Plan
from dispatch.solver.rr.recreate import Orders, recreate
from dispatch.solver.rr.route import earliest_starts
from dispatch.solver.rr.ruin import Neighbours, related_removal, removal_size_ok, seed_near, string_removal


@dataclass
class RrResult:
    """Best visit orders found (by vehicle id), and counters of the run."""

    routes: dict[str, list[VisitKey]]
    start_times: dict[VisitKey, float]
    vehicles: int
    cost: float
    stats: dict[str, float] = field(default_factory=dict)


@dataclass
class Toolkit:
    """What every iteration needs, built once per run."""

    flat: FlatProblem
    neighbours: Neighbours
    orders: Orders
    rng: np.random.Generator
    rr: RrParams
    mean_removed: float

    def ruin(self, plan: Plan, near: list[int] | None = None) -> set[int]:
        """Remove requests from ``plan``; with ``near`` (waiting requests), seeded next to one of them
        in ``rr.targeted_share`` of the calls."""
        seed = None
        if near and self.rng.random() < self.rr.targeted_share:
            seed = seed_near(plan, self.neighbours, self.rng, near)
        if self.rng.random() < self.rr.related_share:
            return related_removal(plan, self.neighbours, self.rng, self.mean_removed, seed)
        return string_removal(plan, self.neighbours, self.rng, self.mean_removed, self.rr.max_string, seed)

    def rebuild(self, plan: Plan, removed: set[int]) -> None:
        wanted = removed | {r for r in plan.unassigned if not self.flat.pinned[r]}
        order = self.orders.sorted(wanted, self.rng)
        recreate(plan, order, self.rng, self.rr.blink_rate, self.rr.max_exact_checks)


def ruin_and_recreate(
    problem: RoutingProblem,
    params: SolveParams,
    rr: RrParams,
    start: Mapping[str, Sequence[VisitKey]],
    deadline: float,
    minimise_fleet: bool = False,
    closed: frozenset[str] = frozenset(),
    seed: int | None = None,
) -> RrResult:
    """Improve the visit orders ``start`` until ``deadline`` (monotonic seconds) or
    ``rr.max_iterations``, whichever comes first.

    Parameters
    ----------
    problem
        The routing problem; ``start`` must serve every required request of it.
    params
        Fixed cost per vehicle (``vehicle_fixed_cost``, scaled by ``time_scale``) and the seed.
    rr
        Knobs of the search.
    minimise_fleet
        Vehicles first: empty whole routes, then shorten the routes on the fleet so found (no
        vehicle unused at that point is opened again).
    closed
        Vehicles that stay unused.
    seed
        Seed of the random stream (default ``params.seed``).
    """
    began = time.monotonic()
    flat = flatten(problem, params)
    kit = Toolkit(
        flat,
        Neighbours(flat),
        Orders(flat),
        np.random.default_rng(params.seed if seed is None else seed),
        rr,
        removal_size_ok(rr.mean_removed, flat.n_requests),
    )
    openable = {k for k, v in enumerate(problem.vehicles) if v.id not in closed}
    plan = Plan(flat, to_codes(flat, start), set() if minimise_fleet else openable)
    start_rank = (plan.vehicles_used() if minimise_fleet else 0, plan.cost())
    stats = {"iterations": 0.0, "accepted": 0.0, "improved": 0.0, "routes_removed": 0.0}
    total = rr.max_iterations
    fleet_iterations = None if total is None else int(rr.fleet_share * total)
    if minimise_fleet and not plan.missing_required():
        fleet_deadline = began + rr.fleet_share * (deadline - began)
        before = plan.vehicles_used()
        method = remove_routes if rr.fleet_method == "absences" or flat.has_ride_limits else minimise_fleet_warped
        plan, done = method(plan, kit, min(deadline, fleet_deadline), fleet_iterations)
        stats["iterations"] += done
        stats["fleet_iterations"] = float(done)
        stats["routes_removed"] = float(before - plan.vehicles_used())
        stats["fleet_end_distance"] = float(plan.dist.sum())
    left = None if total is None else max(0, total - int(stats["iterations"]))
    best, counters = anneal(plan, kit, deadline, left)
    for key, value in counters.items():
        stats[key] = stats.get(key, 0.0) + value
    stats["seconds"] = time.monotonic() - began
    if (best.vehicles_used() if minimise_fleet else 0, best.cost()) > start_rank:
        best = Plan(flat, to_codes(flat, start))
    return RrResult(to_keys(flat, best.codes), _start_times(flat, best), best.vehicles_used(), best.cost(), stats)


def _start_times(flat: FlatProblem, plan: Plan) -> dict[VisitKey, float]:
    """Earliest valid service starts of every routed visit (for timing where the shared scheduler's
    greedy delays fall short of the ride limits)."""
    out: dict[VisitKey, float] = {}
    for k, seq in enumerate(plan.codes):
        starts = earliest_starts(flat, k, seq)
        if starts is not None:
            out.update(zip((flat.key(c) for c in seq), starts, strict=True))
    return out


def construct(problem: RoutingProblem, params: SolveParams, rr: RrParams) -> dict[str, list[VisitKey]] | None:
    """A first plan by greedy insertion, earliest pickup first (milliseconds), for when OR-Tools'
    first search finds none in its time; None if it leaves a required request out or the problem
    has riders on board or locked visits (those plans start from the dispatcher's own)."""
    flat = flatten(problem, params)
    if any(flat.v_locked) or any(flat.v_onboard):
        return None
    plan = Plan(flat, [[] for _ in range(flat.n_vehicles)])
    order = sorted(range(flat.n_requests), key=lambda r: (flat.early[2 * r], r))
    recreate(plan, order, np.random.default_rng(params.seed), 0.0, rr.max_exact_checks)
    return None if plan.missing_required() else to_keys(flat, plan.codes)


def anneal(plan: Plan, kit: Toolkit, deadline: float, iterations: int | None) -> tuple[Plan, dict[str, float]]:
    """Simulated annealing on cost; returns the best plan (serving every required request the start
    served) and counters.

    A chain whose own best has not improved for ``rr.restart_patience`` of the budget (time, or
    iterations when counted) starts again from ``plan`` with a fresh schedule over what is left,
    provided at least that much is left. The best plan of every chain is kept.
    """
    stats = {"iterations": 0.0, "accepted": 0.0, "improved": 0.0, "restarts": 0.0}
    if plan.missing_required() or not plan.routed().size:
        return plan, stats
    began = time.monotonic()
    rr = kit.rr
    scale = max(float(plan.dist.sum()), 1e-9) / max(1, int(plan.routed().size))
    t0 = rr.start_temperature * scale
    ratio = rr.end_temperature / rr.start_temperature
    start_cost = plan.cost()
    current, current_cost = plan, start_cost
    best, best_cost = plan, start_cost
    patience = rr.restart_patience
    # Progress is counted in iterations when they are limited, else in seconds.
    end = float(iterations) if iterations else deadline
    span = max(1e-9, end - (0.0 if iterations else began))
    chain_best, chain_began = start_cost, 0.0 if iterations else began
    chain_since = chain_began
    done = 0
    while iterations is None or done < iterations:
        now = time.monotonic()
        if now >= deadline:
            break
        at = float(done) if iterations else now
        if patience < 1.0 and at - chain_since >= patience * span and end - at >= patience * span:
            current, current_cost = plan, start_cost
            chain_best, chain_began, chain_since = start_cost, at, at
            stats["restarts"] += 1
        progress = (at - chain_began) / max(1e-9, end - chain_began)
        temperature = t0 * ratio**progress
        candidate = current.copy()
        removed = kit.ruin(candidate)
        kit.rebuild(candidate, removed)
        done += 1
        if candidate.missing_required():
            continue
        cost = candidate.cost()
        if cost < current_cost - temperature * math.log(max(kit.rng.random(), 1e-300)):
            current, current_cost = candidate, cost
            stats["accepted"] += 1
            if cost < chain_best - 1e-9:
                chain_best, chain_since = cost, float(done) if iterations else time.monotonic()
            if cost < best_cost - 1e-9:
                best, best_cost = candidate, cost
                stats["improved"] += 1
                stats["last_best_s"] = time.monotonic() - began
    stats["iterations"] = float(done)
    return best, stats

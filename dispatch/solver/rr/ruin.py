"""Ruin operators on a :class:`Plan`: SISR string removal and Shaw-related removal.

Both start from a random seed request and walk its neighbours, most related first (Shaw
relatedness of :class:`dispatch.solver.ruin.Relatedness`: pickups and drop-offs close in space and
time). Pinned requests (on board, locked visits) are never removed.
"""

from __future__ import annotations

import math

import numpy as np

from dispatch.solver.rr.flat import FlatProblem
from dispatch.solver.rr.plan import Plan
from dispatch.solver.ruin import Relatedness


class Neighbours:
    """For every request, all requests ordered by relatedness (itself first)."""

    def __init__(self, flat: FlatProblem) -> None:
        if flat.n_requests:
            score = Relatedness(flat.problem, flat.problem.requests).score
            self.order = np.argsort(score, axis=1, kind="stable")
        else:
            self.order = np.empty((0, 0), dtype=np.int64)


def seed_near(plan: Plan, neighbours: Neighbours, rng: np.random.Generator, near: list[int]) -> int | None:
    """A removable routed request among the closest to a random one of ``near`` (route minimisation:
    ruin where the waiting requests would have to go)."""
    if not near:
        return None
    target = near[int(rng.integers(len(near)))]
    route_of, pinned = plan.route_of, plan.flat.pinned
    close = [int(c) for c in neighbours.order[target][1:12] if route_of[c] >= 0 and not pinned[c]]
    return close[int(rng.integers(len(close)))] if close else None


def string_removal(
    plan: Plan,
    neighbours: Neighbours,
    rng: np.random.Generator,
    mean_removed: float,
    max_string: int,
    seed: int | None = None,
) -> set[int]:
    """SISR: strings of consecutive visits from routes near a seed request (Christiaens & Vanden
    Berghe 2020; a random one unless ``seed`` is given). Returns the requests removed from ``plan``
    (already taken out)."""
    flat = plan.flat
    routed = plan.route_of >= 0
    removable = np.nonzero(routed & ~flat.pinned)[0].tolist()
    if not removable:
        return set()
    sizes = plan.size[plan.size > 0]
    string_cap = min(float(max_string), float(sizes.sum()) / len(sizes))
    routes_max = max(1.0, 4.0 * mean_removed / (1.0 + string_cap) - 1.0)
    routes_to_ruin = int(rng.uniform(1.0, routes_max + 1.0))
    if seed is None:
        seed = removable[int(rng.integers(len(removable)))]
    removed: set[int] = set()
    ruined: set[int] = set()
    route_of = plan.route_of.tolist()
    pinned = flat.pinned
    for c in neighbours.order[seed].tolist():
        if len(ruined) >= routes_to_ruin:
            break
        k = route_of[c]
        if k < 0 or k in ruined or pinned[c]:
            continue
        seq = plan.route(k)
        length = int(rng.uniform(1.0, min(len(seq), string_cap) + 1.0))
        where = [i for i, code in enumerate(seq) if code >> 1 == c]
        anchor = where[int(rng.integers(len(where)))]
        first = int(rng.integers(max(0, anchor - length + 1), min(anchor, len(seq) - length) + 1))
        removed.update(code >> 1 for code in seq[first : first + length] if not pinned[code >> 1])
        ruined.add(k)
    plan.remove(removed)
    return removed


def related_removal(
    plan: Plan, neighbours: Neighbours, rng: np.random.Generator, mean_removed: float, seed: int | None = None
) -> set[int]:
    """Shaw removal: a seed (random unless given) and the requests most related to it, now and then
    one further down the list (randomised greedy, Ropke & Pisinger). Returns the requests removed
    (already taken out)."""
    flat = plan.flat
    removable = np.nonzero((plan.route_of >= 0) & ~flat.pinned)[0].tolist()
    if not removable:
        return set()
    count = min(len(removable), max(1, int(rng.uniform(1.0, 2.0 * mean_removed))))
    if seed is None:
        seed = removable[int(rng.integers(len(removable)))]
    allowed = set(removable)
    pool = [c for c in neighbours.order[seed].tolist() if c in allowed]
    removed: set[int] = set()
    while pool and len(removed) < count:
        removed.add(pool.pop(int(len(pool) * rng.random() ** 6)))
    plan.remove(removed)
    return removed


def removal_size_ok(mean_removed: float, n_requests: int) -> float:
    """``mean_removed`` capped for small problems: at most a third of the requests, at least one."""
    return max(1.0, min(mean_removed, math.ceil(n_requests / 3)))

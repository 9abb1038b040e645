"""Recreate: greedy insertion with blinks in one of several sorted orders (SISR)."""

from __future__ import annotations

import numpy as np

from dispatch.solver.rr.flat import FlatProblem
from dispatch.solver.rr.plan import Plan

# Orders and their weights: random, largest load first, farthest from the depot first, closest
# first, tightest pickup window first, earliest pickup first.
_ORDERS = ("random", "demand", "far", "close", "tight", "early")
_WEIGHTS = np.array([4.0, 4.0, 2.0, 1.0, 2.0, 2.0])


class Orders:
    """Sort keys per request, computed once per problem."""

    def __init__(self, flat: FlatProblem) -> None:
        m = flat.n_requests
        depot = flat.v_start[0] if flat.n_vehicles else 0
        pick, drop = flat.loc[0::2], flat.loc[1::2]
        self.keys = {
            "demand": -flat.load[0::2].sum(axis=1).astype(float) if m else np.empty(0),
            "far": -(flat.dist[depot, pick] + flat.dist[depot, drop]) if m else np.empty(0),
            "close": flat.dist[depot, pick] + flat.dist[depot, drop] if m else np.empty(0),
            "tight": (flat.late[0::2] - flat.early[0::2]) + (flat.late[1::2] - flat.early[1::2]),
            "early": flat.early[0::2].copy(),
        }
        self.cumulative = np.cumsum(_WEIGHTS / _WEIGHTS.sum())

    def sorted(self, requests: set[int], rng: np.random.Generator) -> list[int]:
        ids = np.fromiter(requests, dtype=np.int64, count=len(requests))
        ids.sort()
        kind = _ORDERS[min(int(np.searchsorted(self.cumulative, rng.random(), side="right")), len(_ORDERS) - 1)]
        if kind == "random":
            return ids[rng.permutation(len(ids))].tolist()
        # by key, then by request index (ids ascending, stable sort)
        return ids[np.argsort(self.keys[kind][ids], kind="stable")].tolist()


def recreate(
    plan: Plan, requests: list[int], rng: np.random.Generator, blink_rate: float, exact_checks: int
) -> None:
    """Insert ``requests`` in this order, each at its cheapest position left after blinks; a request
    with no feasible position stays in ``plan.unassigned``."""
    plan.recreate(requests, int(rng.integers(1 << 62)), blink_rate, exact_checks)

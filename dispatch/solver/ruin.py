"""Ruin operators: which requests to take out of a plan so a search can put them back better."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from dispatch.problem import Request, RoutingProblem, VisitKind

Routes = dict[str, list[tuple[str, VisitKind]]]


class Relatedness:
    """Shaw relatedness of requests: pickups and drop-offs close in space and in time."""

    def __init__(self, problem: RoutingProblem, requests: Sequence[Request]) -> None:
        self.ids = [r.id for r in requests]
        self.index = {rid: i for i, rid in enumerate(self.ids)}
        d = np.asarray(problem.distance, dtype=float)
        pick = np.array([r.pickup for r in requests])
        drop = np.array([r.dropoff for r in requests])
        t_pick = np.array([r.pickup_window[0] for r in requests], dtype=float)
        t_drop = np.array([r.dropoff_window[1] for r in requests], dtype=float)
        space = d[np.ix_(pick, pick)] + d[np.ix_(drop, drop)]
        time_ = np.abs(t_pick[:, None] - t_pick[None, :]) + np.abs(t_drop[:, None] - t_drop[None, :])
        self.score = space / max(space.max(), 1e-9) + time_ / max(time_.max(), 1e-9)

    def nearest(self, seed: str) -> list[str]:
        """All request ids, most related to ``seed`` first."""
        return [self.ids[i] for i in np.argsort(self.score[self.index[seed]])]

    def pick(self, removable: list[str], count: int, rng: random.Random, seed: str | None = None) -> set[str]:
        """``count`` requests of ``removable`` related to ``seed`` (random if None); the seed itself
        is included when removable."""
        if not removable:
            return set()
        seed = seed if seed is not None else rng.choice(removable)
        candidates = np.array([self.index[rid] for rid in removable], dtype=np.intp)
        order = candidates[np.argsort(self.score[self.index[seed], candidates])]
        chosen: list[str] = []
        # Randomised greedy (Ropke & Pisinger): mostly the most related, now and then further down.
        pool = [self.ids[i] for i in order]
        while pool and len(chosen) < count:
            k = int(len(pool) * rng.random() ** 6)
            chosen.append(pool.pop(k))
        return set(chosen)


def string_removal(routes: Routes, removable: list[str], count: int, rng: random.Random) -> set[str]:
    """Requests of a run of consecutive visits in one or two routes (SISR-like string removal)."""
    allowed = set(removable)
    out: set[str] = set()
    routed = [seq for seq in routes.values() if any(k[0] in allowed for k in seq)]
    rng.shuffle(routed)
    for seq in routed[:2]:
        ids = [rid for rid, _ in seq if rid in allowed]
        if not ids:
            continue
        length = min(len(ids), max(2, 2 * (count - len(out))))
        start = rng.randrange(0, len(ids) - length + 1)
        out.update(ids[start : start + length])
        if len(out) >= count:
            break
    return out or {rng.choice(removable)}

"""Independent ruin-and-recreate searches from different seeds in worker processes; best kept."""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor

from dispatch.problem import RoutingProblem
from dispatch.solver.params import SolveParams
from dispatch.solver.rr.flat import VisitKey
from dispatch.solver.rr.params import RrParams
from dispatch.solver.rr.search import RrResult, ruin_and_recreate


def best_of_seeds(
    problem: RoutingProblem,
    params: SolveParams,
    rr: RrParams,
    start: Mapping[str, Sequence[VisitKey]],
    deadline: float,
    minimise_fleet: bool,
    workers: int,
) -> RrResult:
    """Run ``workers`` searches (seeds ``params.seed``, ``+1``, ...) to the same deadline and return
    the best: fewest vehicles first when ``minimise_fleet``, then lowest cost. One worker runs in
    this process; more fork worker processes (one core each)."""
    if workers <= 1:
        return ruin_and_recreate(problem, params, rr, start, deadline, minimise_fleet)
    start = {vid: list(seq) for vid, seq in start.items()}
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers - 1, mp_context=context) as pool:
        futures = [
            pool.submit(ruin_and_recreate, problem, params, rr, start, deadline, minimise_fleet, frozenset(), seed)
            for seed in range(params.seed + 1, params.seed + workers)
        ]
        results = [ruin_and_recreate(problem, params, rr, start, deadline, minimise_fleet)]
        results += [f.result() for f in futures]
    best = min(results, key=lambda res: (res.vehicles if minimise_fleet else 0, res.cost))
    best.stats["workers"] = float(workers)
    return best

"""Replications of a scenario: seeds, one replication as a task, and the KPIs over all of them.

Replication 0 runs on the scenario's own seed (so it is exactly ``sim run`` without replications);
replication ``i > 0`` on a seed derived from the scenario's seed and ``i`` by a hash, so the same
scenario always gets the same seeds, on any machine. A replication's seed drives its demand, the
callers' choices, train delays and the solver: replications are independent days.

:func:`replicate` is the unit of work of ``sim run --replications``, ``sim compare --replications``
and ``sim sweep``: a module-level function of plain data, so it runs in a local process pool or on a
Dask worker alike. :func:`aggregate` turns the replications' ``kpis.json`` dicts into one in which
every numeric value is a :func:`sim.stats.summary` (``{"mean", "ci95", "n", "values"}``).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from sim.scenario import Scenario
from sim.stats import is_summary, summary

# Nested maps whose missing keys mean zero in a replication (a station nobody used that day).
COUNT_MAPS = frozenset({"rejections_by_reason", "riders_by_station"})
# Identity fields: the same in every replication, kept as they are.
IDENTITY = frozenset({"scenario", "operating_model", "days"})


def replication_seeds(seed: int, n: int) -> list[int]:
    """Seeds of ``n`` replications: the scenario's own, then ones derived from it by a hash."""
    if n < 1:
        raise ValueError("replications must be at least 1")
    derived = [int(hashlib.sha256(f"{seed}/replication/{i}".encode()).hexdigest()[:8], 16) % 2**31
               for i in range(1, n)]
    return [seed, *derived]


@dataclass
class Replication:
    """One finished replication: its seed, KPIs, and (when asked for) the whole run."""

    seed: int
    kpis: dict[str, Any]
    clock_bound_reoptimisations: int
    wall_s: float
    cpu_s: float = 0.0  # processor seconds of this process (load-independent, unlike wall_s)
    result: Any = None  # sim.run.SimResult when keep_result


def replicate(scenario: Scenario, seed: int, demand_of: Scenario | None = None,
              keep_result: bool = False, day_done: Callable[..., None] | None = None) -> Replication:
    """Run ``scenario`` on ``seed``; demand from ``demand_of`` on the same seed (common random numbers).

    Parameters
    ----------
    scenario
        The scenario (its own seed is replaced by ``seed``).
    seed
        The replication's seed.
    demand_of
        Scenario whose demand settings make the requests (``sim compare``: the first one), default
        ``scenario`` itself.
    keep_result
        Return the whole :class:`sim.run.SimResult` (records for the run folder), not only KPIs.
    day_done
        Passed to :func:`sim.run.simulate` (called after each service day; ``sim run --history-url``).
    """
    from sim.run import load_network, make_demand, simulate

    network = load_network()
    began = time.process_time()
    run = scenario.with_overrides(seed=seed)
    demand = make_demand((demand_of or scenario).with_overrides(seed=seed), network)
    result = simulate(replace(run, days=demand.days), network, demand, day_done=day_done)
    return Replication(seed, result.kpis, result.records.clock_bound_reoptimisations, result.records.wall_s,
                       time.process_time() - began, result if keep_result else None)


def run_replications(tasks: Sequence[tuple[Scenario, int, Scenario | None, bool]], workers: int | None = None,
                     on_done: Callable[[], None] | None = None) -> list[Replication]:
    """Run ``replicate(*task)`` for every task, in parallel processes when there are several.

    ``workers`` defaults to the machine's cores (at most one per task). Results come back in task order.
    """
    workers = max(1, min(workers or os.cpu_count() or 1, len(tasks)))
    if workers == 1:
        out = []
        for task in tasks:
            out.append(replicate(*task))
            if on_done is not None:
                on_done()
        return out
    # spawn: a fresh interpreter per worker (OR-Tools and forked threads do not mix)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(replicate, *task) for task in tasks]
        out = []
        for future in futures:
            out.append(future.result())
            if on_done is not None:
                on_done()
        return out


def aggregate(runs: Sequence[dict[str, Any]], seeds: Sequence[int]) -> dict[str, Any]:
    """One ``kpis.json`` over replications: numbers become summaries, identity fields stay.

    The result carries ``replications`` (how many), ``seed`` (the scenario's) and ``seeds``.
    """
    out = _merge(list(runs), "")
    out["replications"] = len(runs)
    out["seed"] = seeds[0]
    out["seeds"] = list(seeds)
    return out


def _merge(values: list[Any], key: str) -> Any:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, dict) for v in present):
        keys = list(dict.fromkeys(k for v in present for k in v))
        fill = 0 if key in COUNT_MAPS else None
        return {k: _merge([v.get(k, fill) if isinstance(v, dict) else None for v in values], k) for k in keys}
    if key in IDENTITY or key == "seed":
        return present[0] if present else None
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return summary(values)
    return present[0] if present else None


def means(kpis: dict[str, Any]) -> dict[str, Any]:
    """The same structure with every summary replaced by its mean (for tables that show one number)."""
    return {k: _mean_of(v) for k, v in kpis.items()}


def _mean_of(value: Any) -> Any:
    if is_summary(value):
        return value["mean"]
    if isinstance(value, dict):
        return {k: _mean_of(v) for k, v in value.items()}
    return value


def scalar_paths(kpis: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every numeric value (or summary) in a KPI dict, in the dict's order."""
    paths = []
    for k, v in kpis.items():
        path = f"{prefix}{k}"
        if is_summary(v) or (isinstance(v, int | float) and not isinstance(v, bool)):
            if k not in ("seed", "days", "replications"):
                paths.append(path)
        elif isinstance(v, dict):
            paths += scalar_paths(v, path + ".")
    return paths

"""Runs a sweep's replications on Dask: a ``LocalCluster`` on this machine's cores, or an existing cluster.

Every replication of every point is one Dask task (:func:`replicate_on_worker`), so the work spreads
over however many workers the cluster has; a planner who outgrows one machine starts ``dask worker``
processes elsewhere and passes ``--scheduler tcp://host:port``. A point whose replication raises is
reported as failed with the reason (its other replications are cancelled) and the sweep goes on.
Workers must be able to import this project (same checkout or installed package).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sim.replications import Replication, aggregate, replicate, replication_seeds
from sim.scenario import Scenario
from sim.sweep.grid import GridPoint

log = logging.getLogger(__name__)


@dataclass
class PointResult:
    """A grid point after the sweep: summaries over its replications, or why it failed."""

    point: GridPoint
    seeds: list[int]
    kpis: dict[str, Any] | None = None
    error: str | None = None
    workers: list[str] = field(default_factory=list)
    replications: list[dict[str, Any]] = field(default_factory=list)
    clock_bound_reoptimisations: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None and self.kpis is not None


def replicate_on_worker(scenario: Scenario, seed: int) -> tuple[Replication, str]:
    """One replication on a Dask worker; returns it with the worker's address."""
    from distributed import get_worker

    try:
        address = get_worker().address
    except ValueError:  # not on a worker (e.g. run inline)
        address = "local"
    return replicate(scenario, seed), address


def open_client(scheduler: str | None, workers: int | None = None):
    """A Dask client: on ``scheduler`` (``tcp://host:port``), else on a new ``LocalCluster`` of processes.

    The local cluster has one single-threaded worker process per core (``workers`` to override):
    the simulator is CPU-bound Python and OR-Tools, so threads would only contend.
    """
    from distributed import Client, LocalCluster

    for name in ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker"):
        logging.getLogger(name).setLevel(logging.ERROR)  # the sweep prints its own progress
    if scheduler:
        # how long to try to reach the given scheduler before the sweep exits 2 (seconds)
        return Client(scheduler, timeout=f"{float(os.environ.get('KANRA_DASK_CONNECT_TIMEOUT_S', '20')):g}s")
    # No dashboard: its fixed port would collide with other clusters on the machine.
    cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                           dashboard_address=None, scheduler_kwargs={"dashboard": False},
                           silence_logs=logging.ERROR)
    return Client(cluster)


def run_sweep(points: list[GridPoint], replications: int, client,
              on_point: Callable[[PointResult], None] | None = None) -> list[PointResult]:
    """Submit every replication of every point, collect them as they finish; results in grid order."""
    from distributed import as_completed

    results = [PointResult(p, replication_seeds(p.scenario.seed, replications)) for p in points]
    pending: dict[int, int] = {}
    futures = {}
    done: dict[int, list[tuple[int, Replication, str]]] = {p.index: [] for p in points}
    for result in results:
        pending[result.point.index] = len(result.seeds)
        for r, seed in enumerate(result.seeds):
            future = client.submit(replicate_on_worker, result.point.scenario, seed, pure=False,
                                   key=f"sweep-point{result.point.index}-rep{r}-{os.urandom(4).hex()}")
            futures[future] = (result.point.index, r)
    by_index = {r.point.index: r for r in results}
    for future in as_completed(list(futures)):
        index, r = futures[future]
        result = by_index[index]
        if result.error is not None:
            continue  # this point already failed; its other replications were cancelled
        if future.status == "error":
            exc = future.exception()
            result.error = f"{type(exc).__name__}: {exc}"
            log.warning("sweep point %s failed: %s", result.point.label, result.error)
            for other, (i, _) in futures.items():
                if i == index and not other.done():
                    other.cancel()
            if on_point is not None:
                on_point(result)
            continue
        if future.status == "cancelled":
            continue
        replication, worker = future.result()
        done[index].append((r, replication, worker))
        pending[index] -= 1
        if pending[index] == 0:
            _finish(result, done[index])
            if on_point is not None:
                on_point(result)
    return results


def _finish(result: PointResult, runs: list[tuple[int, Replication, str]]) -> None:
    runs.sort(key=lambda x: x[0])
    result.kpis = aggregate([rep.kpis for _, rep, _ in runs], result.seeds)
    result.workers = sorted({worker for _, _, worker in runs})
    result.replications = [{"seed": rep.seed, "worker": worker, "wall_s": round(rep.wall_s, 2),
                            "cpu_s": round(rep.cpu_s, 2)}
                           for _, rep, worker in runs]
    result.clock_bound_reoptimisations = sum(rep.clock_bound_reoptimisations for _, rep, _ in runs)

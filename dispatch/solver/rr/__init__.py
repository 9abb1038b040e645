"""Ruin and recreate (the SISR family of Christiaens & Vanden Berghe), its inner loop compiled.

Routes are rows of fixed-width arrays over the flat problem (:mod:`.flat`, :mod:`.plan`); route
timing, the insertion query and recreate run in numba (:mod:`.kernels`), under the rules stated in
plain Python in :mod:`.reference` and :mod:`.route`. :mod:`.search` runs simulated annealing on
distance, :mod:`.fleet` empties whole routes (vehicles first, by time warp or an absence-counter
pool), :mod:`.parallel` runs independent seeds in processes. :func:`warm_up` loads the compiled
kernels ahead of a first, time-limited search.
"""

from dispatch.solver.rr.params import RrParams


def warm_up() -> float:
    """Load (or, on a fresh machine, compile) the search's kernels by solving a two-request toy
    problem, so the first real search spends its budget searching. Returns the seconds it took."""
    import time

    import numpy as np

    from dispatch.problem import Request, RoutingProblem, VehicleSpec, VisitKind
    from dispatch.solver.params import SolveParams
    from dispatch.solver.rr.search import ruin_and_recreate

    began = time.monotonic()
    m = np.abs(np.arange(5.0)[:, None] - np.arange(5.0)[None, :])
    for ride in (None, 10.0):  # both paths: without and with ride limits
        requests = [Request(f"r{i}", 1 + 2 * i, 2 + 2 * i, (0.0, 50.0), (0.0, 60.0), max_ride=ride) for i in range(2)]
        vehicles = [VehicleSpec(f"v{k}", 0, 0.0, 0, 100.0, capacity=(2,)) for k in range(2)]
        problem = RoutingProblem(m, m.copy(), requests, vehicles)
        start = {f"v{i}": [(f"r{i}", VisitKind.PICKUP), (f"r{i}", VisitKind.DROPOFF)] for i in range(2)}
        ruin_and_recreate(
            problem, SolveParams(vehicle_fixed_cost=100.0), RrParams(max_iterations=8), start,
            time.monotonic() + 30.0, minimise_fleet=True,
        )
    return time.monotonic() - began


__all__ = ["RrParams", "warm_up"]

"""Parameters of one solver run; the search takes them, it reads no globals."""

from __future__ import annotations

from dataclasses import dataclass, replace

from dispatch.solver.rr.params import RrParams


@dataclass(frozen=True)
class SolveParams:
    """How long and how hard to search.

    Parameters
    ----------
    time_limit_s
        Wall-clock budget for the whole solve, seconds. Every OR-Tools search gets an explicit limit
        derived from it.
    first_solution
        OR-Tools first-solution strategy name (``PARALLEL_CHEAPEST_INSERTION`` suits pickup and delivery).
    metaheuristic
        OR-Tools local-search metaheuristic name (``GUIDED_LOCAL_SEARCH``).
    time_scale
        Factor applied to times and distances before they are rounded to OR-Tools' integers
        (1 for seconds and metres; 1,000 for the Euclidean benchmark instances).
    vehicle_fixed_cost
        Cost of using a vehicle at all, in scaled distance units (large for "fewest vehicles first").
    seed
        Seed for any randomised part of the search.
    log_search
        Let OR-Tools print its search log.
    minimise_fleet
        Vehicles first: after a first solution, try to empty whole routes (route elimination), then
        spend the rest of the budget on distance with the fleet so found (the Li & Lim convention).
    elimination_share
        Share of the budget route elimination may use when ``minimise_fleet`` is on.
    lns
        After the first search, spend the rest of the budget in ruin-and-recreate around OR-Tools
        (:mod:`dispatch.solver.lns`) instead of one long local search.
    first_search_share
        Share of the budget the first search gets when ``lns`` is on.
    lns_iteration_s
        OR-Tools time limit of each recreate step, seconds.
    lns_metaheuristic
        OR-Tools metaheuristic of each recreate step.
    solution_limit
        Deterministic work limit: each OR-Tools search stops after this many solutions (OR-Tools'
        ``solution_limit``), whichever of it and the time limit comes first. None: time limit only.
        Same problem, params and limit give the same routes as long as the limit binds before the
        clock does. This holds for the plain path (``lns`` and ``minimise_fleet`` off); route
        elimination and ruin-and-recreate share their budget by wall clock and stay time-dependent.
    ruin_recreate
        After the first OR-Tools solution, spend the rest of the budget in the numpy
        ruin-and-recreate search (:mod:`dispatch.solver.rr`, SISR family) with these knobs; route
        minimisation first when ``minimise_fleet``. None: the OR-Tools phases above.
        ``RrParams.max_iterations`` makes this phase deterministic.
    workers
        Independent ruin-and-recreate searches run in parallel processes (seeds ``seed``,
        ``seed + 1``, ...), the best kept. 1: in this process only.
    """

    time_limit_s: float = 5.0
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    time_scale: float = 1.0
    vehicle_fixed_cost: float = 0.0
    seed: int = 0
    log_search: bool = False
    minimise_fleet: bool = False
    elimination_share: float = 0.6
    lns: bool = False
    first_search_share: float = 0.2
    lns_iteration_s: float = 1.0
    lns_metaheuristic: str = "GREEDY_DESCENT"
    solution_limit: int | None = None
    ruin_recreate: RrParams | None = None
    workers: int = 1

    def __post_init__(self) -> None:
        problems = []
        if not self.time_limit_s >= 0:
            problems.append(f"time_limit_s must be >= 0 seconds, got {self.time_limit_s}")
        if not self.time_scale > 0:
            problems.append(f"time_scale must be > 0, got {self.time_scale}")
        if not self.vehicle_fixed_cost >= 0:
            problems.append(f"vehicle_fixed_cost must be >= 0, got {self.vehicle_fixed_cost}")
        for name in ("elimination_share", "first_search_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                problems.append(f"{name} must be within [0, 1], got {getattr(self, name)}")
        if not self.lns_iteration_s > 0:
            problems.append(f"lns_iteration_s must be > 0 seconds, got {self.lns_iteration_s}")
        if self.solution_limit is not None and not self.solution_limit >= 1:
            problems.append(f"solution_limit must be >= 1 (or None), got {self.solution_limit}")
        if not self.workers >= 1:
            problems.append(f"workers must be >= 1, got {self.workers}")
        if problems:
            raise ValueError("invalid SolveParams: " + "; ".join(problems))


#: Re-optimisers a caller may name: the OR-Tools model, or ruin and recreate from the current plans.
REOPT_METHODS = ("ortools", "rr")


def for_method(params: SolveParams, method: str, rr_iterations: int | None = None) -> SolveParams:
    """``params`` for the re-optimiser ``method`` (one of :data:`REOPT_METHODS`): ``ortools`` as
    they are, ``rr`` with the ruin-and-recreate search, stopped after ``rr_iterations`` when given."""
    if method not in REOPT_METHODS:
        raise ValueError(f"unknown re-optimiser {method!r}: use one of {', '.join(REOPT_METHODS)}")
    if method == "rr":
        return replace(params, ruin_recreate=RrParams(max_iterations=rr_iterations))
    return params

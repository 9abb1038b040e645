"""Knobs of the ruin-and-recreate search; plain values with defaults, checked on creation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RrParams:
    """How the ruin-and-recreate search removes, re-inserts and accepts.

    Parameters
    ----------
    mean_removed
        Average number of requests removed per iteration (SISR's c-bar).
    max_string
        Longest string of consecutive visits removed from one route (SISR's L_max).
    related_share
        Share of iterations that use Shaw-related removal instead of string removal.
    targeted_share
        Route minimisation: share of its ruins seeded next to a waiting request (the rest random).
    blink_rate
        Probability that recreate skips an insertion position it would otherwise take (SISR's beta).
    start_temperature, end_temperature
        Simulated-annealing temperature at the start and end of the search, as a share of the mean
        distance per request of the starting plan; it falls geometrically in between.
    fleet_share
        Vehicles first: share of the budget (or of the iterations) spent emptying routes before
        the distance search, at most.
    fleet_patience
        Route minimisation gives up on the route it is emptying (and hands the rest of its share
        to the distance search) when the pool of waiting requests has not shrunk for this share
        of its budget (or of its iterations). 1 (the default) never gives up early: 0.3 cost 8
        more surplus vehicles over the 56 Li & Lim instances at 10 s (docs/benchmarks.md).
    fleet_method
        Route minimisation: ``"warp"`` (default) puts the emptied route's requests back at once,
        late if need be, and ruins and recreates until no route is late (a penalised pool, as in
        HGS); ``"absences"`` keeps them in a pool and weighs how often each was left out
        (Christiaens & Vanden Berghe). Ride-limited problems always use ``"absences"``.
    warp_penalty
        ``"warp"``: distance units one time unit of lateness costs when a request is put back.
    restart_patience
        Distance search: a chain whose best has not improved for this share of the budget (or of
        the iterations) starts again from the search's start plan, with a fresh temperature
        schedule over what is left, when at least that share is left; the best of all chains is
        kept. 1 never restarts.
    max_iterations
        Deterministic work limit: iterations of the whole search (fleet phase included). None: the
        deadline alone stops it. With a limit that binds before the deadline, the same problem,
        start, seed and parameters give the same routes.
    max_exact_checks
        Candidates scheduled exactly per request before it is left out of this iteration (only
        when ride limits make the quick estimate optimistic).
    """

    mean_removed: float = 10.0
    max_string: int = 10
    related_share: float = 0.3
    targeted_share: float = 0.5
    blink_rate: float = 0.01
    start_temperature: float = 0.3
    end_temperature: float = 0.003
    fleet_share: float = 0.5
    fleet_patience: float = 1.0
    fleet_method: str = "warp"
    warp_penalty: float = 10.0
    restart_patience: float = 0.25
    max_iterations: int | None = None
    max_exact_checks: int = 1000

    def __post_init__(self) -> None:
        problems = []
        if not self.mean_removed >= 1:
            problems.append(f"mean_removed must be >= 1, got {self.mean_removed}")
        if not self.max_string >= 1:
            problems.append(f"max_string must be >= 1, got {self.max_string}")
        for name in ("related_share", "targeted_share", "blink_rate", "fleet_share", "fleet_patience"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                problems.append(f"{name} must be within [0, 1], got {getattr(self, name)}")
        if not 0.0 < self.restart_patience <= 1.0:
            problems.append(f"restart_patience must be within (0, 1], got {self.restart_patience}")
        if not self.start_temperature >= self.end_temperature > 0:
            problems.append("temperatures must satisfy start >= end > 0")
        if self.fleet_method not in ("warp", "absences"):
            problems.append(f"fleet_method must be 'warp' or 'absences', got {self.fleet_method!r}")
        if not self.warp_penalty > 0:
            problems.append(f"warp_penalty must be > 0, got {self.warp_penalty}")
        if self.max_iterations is not None and not self.max_iterations >= 0:
            problems.append(f"max_iterations must be >= 0 (or None), got {self.max_iterations}")
        if not self.max_exact_checks >= 1:
            problems.append(f"max_exact_checks must be >= 1, got {self.max_exact_checks}")
        if problems:
            raise ValueError("invalid RrParams: " + "; ".join(problems))

"""A scenario: fleets, service rules, operating model, demand, re-optimisation, costs and a seed.

Scenarios are YAML files under ``sim/scenarios/``. :func:`load_scenario` reads one and checks every key
(unknown keys and wrong types are errors naming the key), so a planner can read a scenario file and know
the rules it runs under. Times are ``"HH:MM"`` clock strings or seconds; durations ``"15min"`` or seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from dispatch.rules import ServiceRules
from dispatch.solver.params import REOPT_METHODS, SolveParams, for_method
from sim.demand_spec import DemandSpec
from sim.schema import Clock, Duration, ScenarioError, build, parse_clock, parse_duration

METAHEURISTICS = ("GREEDY_DESCENT", "GUIDED_LOCAL_SEARCH", "SIMULATED_ANNEALING", "TABU_SEARCH",
                  "GENERIC_TABU_SEARCH", "AUTOMATIC")
OperatingModel = Literal["municipal", "wide_area_direct", "wide_area_rail"]

# Rule fields a planner writes as clock times or durations rather than raw seconds.
_RULE_CLOCKS = ("service_start", "service_end")
_RULE_DURATIONS = (
    "min_notice_s", "horizon_s", "max_wait_s", "beta_s", "max_detour_s", "dwell_stop_s",
    "dwell_per_passenger_s", "dwell_wheelchair_s", "arrive_by_slack_s",
)


@dataclass(frozen=True)
class BreakSpec:
    """A driver's break (休憩) in every shift of a fleet's vehicles that it fits in.

    Parameters
    ----------
    earliest, latest
        Window of the break's start (``latest`` left out: a fixed time).
    duration
        Length of the break.
    place
        ``depot``, ``anywhere`` (where the vehicle is) or a place key.
    """

    earliest: Clock
    duration: Duration
    latest: Clock | None = None
    place: str = "depot"

    def __post_init__(self) -> None:
        if self.duration <= 0:
            raise ValueError("a break's duration must be positive")
        if self.latest is not None and self.latest < self.earliest:
            raise ValueError(f"break {self.earliest}: latest start before the earliest")


@dataclass(frozen=True)
class FleetSpec:
    """One municipality's fleet.

    Parameters
    ----------
    municipality
        English name, Japanese name or JIS code of the owning municipality.
    vehicles
        Number of vehicles.
    seats
        Ordinary seats per vehicle.
    wheelchair_vehicles
        How many of the vehicles carry wheelchairs (the first ones).
    wheelchair_places
        Wheelchair places in each wheelchair-capable vehicle.
    depot
        Place key of the depot (``tomioka_city_hall``, ``st:Shimonita``).
    shifts
        Shifts per vehicle as ``[start, end]`` clock pairs; every vehicle works all of them.
    breaks
        Driver breaks; each goes into the shift it fits in (a break that fits none is an error).
    """

    municipality: str
    vehicles: int
    depot: str
    seats: int = 7
    wheelchair_vehicles: int = 0
    wheelchair_places: int = 1
    shifts: tuple[tuple[Clock, Clock], ...] = ((Clock(8 * 3600), Clock(17 * 3600)),)
    breaks: tuple[BreakSpec, ...] = ()

    def __post_init__(self) -> None:
        if self.vehicles < 0 or self.seats < 1 or self.wheelchair_places < 0:
            raise ValueError("vehicles must be >= 0, seats >= 1 and wheelchair_places >= 0")
        if not 0 <= self.wheelchair_vehicles <= self.vehicles:
            raise ValueError("wheelchair_vehicles must be between 0 and vehicles")
        for start, end in self.shifts:
            if end <= start:
                raise ValueError(f"shift {start}-{end}: end must be after start")
        for b in self.breaks:
            latest = b.earliest if b.latest is None else b.latest
            if not any(start <= b.earliest and latest + b.duration <= end for start, end in self.shifts):
                raise ValueError(f"break from {b.earliest} for {b.duration} s fits in none of the shifts")


@dataclass(frozen=True)
class WideAreaSpec:
    """Where vehicles may cross municipal lines (``wide_area_direct``).

    Parameters
    ----------
    pairs
        Municipality pairs whose fleets may carry riders between them, both ways.
    destinations
        Place keys any fleet may drive riders to (and fetch them back from), e.g. the general hospital.
    """

    pairs: tuple[tuple[str, str], ...] = ()
    destinations: tuple[str, ...] = ()


@dataclass(frozen=True)
class RailSpec:
    """Rail feeding (``wide_area_rail``): trains are realised at timetable times plus a delay.

    Parameters
    ----------
    hubs
        Station keys used as transfer hubs (``st:Joshu-Tomioka``, ``st:Shimonita``).
    delay_mean
        Mean of the exponentially distributed train delay (0 = always on time).
    """

    hubs: tuple[str, ...] = ()
    delay_mean: Duration = Duration(0)


@dataclass(frozen=True)
class ReoptimisationSpec:
    """Periodic re-optimisation: every ``every`` seconds within service hours.

    ``metaheuristic`` is the OR-Tools local-search metaheuristic (``SolveParams.metaheuristic``).
    ``solution_limit`` (solutions per OR-Tools search, ``SolveParams.solution_limit``) is where every
    search stops: a count of work, not of seconds, so a run gives the same plans on an idle machine and
    on a loaded one. ``time_limit`` (seconds) is only the safety cap around it; a search that reaches the
    cap stops on the clock and its run may not repeat exactly (the run says so, see
    :attr:`sim.records.RunRecords.clock_bound_reoptimisations`). ``solution_limit: null`` leaves the
    clock as the only stop (the live service's behaviour).

    ``method`` ``ortools`` (default) runs the OR-Tools model above; ``rr`` runs the ruin-and-recreate
    search (``SolveParams.ruin_recreate``) from the current plans, stopped after ``rr_iterations``
    iterations (again a count of work; ``null``: the clock only). Vehicles with driver breaks keep
    the OR-Tools path either way.
    """

    every: Duration = Duration(15 * 60)
    time_limit: float = 120.0
    enabled: bool = True
    metaheuristic: str = "GREEDY_DESCENT"
    solution_limit: int | None = 50
    method: str = "ortools"
    rr_iterations: int | None = 2000

    def __post_init__(self) -> None:
        if self.every <= 0 or self.time_limit <= 0:
            raise ValueError("reoptimisation.every and time_limit must be positive")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError(f"reoptimisation.solution_limit must be at least 1, got {self.solution_limit}")
        if self.metaheuristic not in METAHEURISTICS:
            raise ValueError(f"metaheuristic {self.metaheuristic!r} is not one of {', '.join(METAHEURISTICS)}")
        if self.method not in REOPT_METHODS:
            raise ValueError(f"reoptimisation.method {self.method!r} is not one of {', '.join(REOPT_METHODS)}")
        if self.rr_iterations is not None and self.rr_iterations < 1:
            raise ValueError(f"reoptimisation.rr_iterations must be at least 1, got {self.rr_iterations}")

    def solve_params(self, seed: int) -> SolveParams:
        """The dispatcher's solver settings for this re-optimisation."""
        params = SolveParams(time_limit_s=self.time_limit, metaheuristic=self.metaheuristic,
                             solution_limit=self.solution_limit, seed=seed)
        return for_method(params, self.method, self.rr_iterations)


@dataclass(frozen=True)
class ExecutionSpec:
    """How the simulated day is carried out.

    Parameters
    ----------
    no_show_wait
        How long a driver waits at a pickup before recording a no-show. Unset: the dwell the plan gave
        the stop, so a no-show delays nobody; longer waits push later stops past their promises.
    offer_acceptance
        Share of offers the caller accepts; the others are declined (released).
    alternative_acceptance
        Share of refused callers who take the nearest other time the dispatcher proposes. At 0 no
        alternatives are searched for (the simulated caller would not use them), which keeps busy days fast.
    """

    no_show_wait: Duration | None = None
    offer_acceptance: float = 1.0
    alternative_acceptance: float = 0.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.offer_acceptance <= 1.0 and 0.0 <= self.alternative_acceptance <= 1.0):
            raise ValueError("offer_acceptance and alternative_acceptance must be within 0..1")


CostRule = Literal["vehicle_km", "riders_resident", "fixed"]


@dataclass(frozen=True)
class CostSharingSpec:
    """How the operating cost is split between the municipalities (``sim.costs``).

    Parameters
    ----------
    rule
        ``vehicle_km``: by vehicle-km driven inside each municipality; ``riders_resident``: by riders
        served who live there; ``fixed``: by the agreed ``shares``.
    shares
        For ``fixed``: share per municipality (name, 日本語 or JIS code), non-negative, adding up to 1.
    """

    rule: CostRule = "vehicle_km"
    shares: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.rule != "fixed":
            if self.shares:
                raise ValueError(f"sharing.shares: only used with rule 'fixed' (rule is {self.rule!r})")
            return
        if not self.shares:
            raise ValueError("sharing.shares: rule 'fixed' needs a share per municipality")
        if min(self.shares.values()) < 0:
            raise ValueError("sharing.shares: shares must be non-negative")
        total = sum(self.shares.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"sharing.shares: shares must add up to 1, got {total:g}")


BEYOND_WALK = ("refuse", "door")


@dataclass(frozen=True)
class StopServiceSpec:
    """Stop-based service (``dispatch.stop_service.StopService``): doors served at the nearest stop.

    Parameters
    ----------
    feeds
        Stop sets by feed id of ``data/osm_gunma/stops.csv`` (``tomioka``: the 124 poles of the
        富岡市乗合タクシー, the stand-in for 愛タク's stop set).
    max_walk_m
        Walking limit between a rider's door and the stop, metres; farther doors are refused
        (``no_stop_within_walk``).
    municipalities
        Municipalities (name, 日本語 or JIS code) whose doors are served at stops; empty: all of them.
    beyond_walk
        What happens to a door with no stop of the set within ``max_walk_m``: ``refuse`` (the request is
        refused, ``no_stop_within_walk``) or ``door`` (it is served at the door, standing in for a stop that
        the real service has there but the stop set lacks; no walk is counted for it).
    """

    feeds: tuple[str, ...] = ("tomioka",)
    max_walk_m: float = 800.0
    municipalities: tuple[str, ...] = ()
    beyond_walk: str = "refuse"

    def __post_init__(self) -> None:
        if not self.feeds or not self.max_walk_m > 0:
            raise ValueError("stop_service needs at least one feed and a positive max_walk_m")
        if self.beyond_walk not in BEYOND_WALK:
            raise ValueError(f"stop_service.beyond_walk must be one of {', '.join(BEYOND_WALK)}, "
                             f"got {self.beyond_walk!r}")


@dataclass(frozen=True)
class CostSpec:
    """Unit costs (yen) for the cost-per-rider KPI, and how the cost is shared between municipalities."""

    vehicle_hour_yen: float = 3_500.0
    vehicle_km_yen: float = 25.0
    fixed_per_vehicle_day_yen: float = 0.0
    sharing: CostSharingSpec = field(default_factory=CostSharingSpec)


@dataclass(frozen=True)
class Scenario:
    """Everything one simulation run needs; see ``docs/sim.md`` for the file format."""

    name: str
    fleets: tuple[FleetSpec, ...]
    operating_model: OperatingModel = "municipal"
    description: str = ""
    seed: int = 0
    days: int = 1
    start_date: str = "2026-12-01"
    rules: dict[str, Any] = field(default_factory=dict)
    wide_area: WideAreaSpec = field(default_factory=WideAreaSpec)
    rail: RailSpec = field(default_factory=RailSpec)
    demand: DemandSpec = field(default_factory=DemandSpec)
    reoptimisation: ReoptimisationSpec = field(default_factory=ReoptimisationSpec)
    execution: ExecutionSpec = field(default_factory=ExecutionSpec)
    costs: CostSpec = field(default_factory=CostSpec)
    fares: dict[str, Any] = field(default_factory=dict)
    stop_service: StopServiceSpec | None = None
    source: str = field(default="", metadata={"internal": True})  # the file it was read from

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if not self.fleets:
            raise ValueError("at least one fleet is needed")

    @property
    def service_rules(self) -> ServiceRules:
        return service_rules(self.rules, "rules")

    def with_overrides(self, days: int | None = None, seed: int | None = None) -> Scenario:
        """A copy with the run-time overrides of ``sim run --days/--seed`` applied."""
        return replace(self, days=self.days if days is None else days, seed=self.seed if seed is None else seed)


def service_rules(data: dict[str, Any], path: str) -> ServiceRules:
    """Build :class:`ServiceRules` from YAML, allowing ``"08:00"`` and ``"15min"`` where seconds are meant."""
    converted = dict(data)
    for key in _RULE_CLOCKS:
        if key in converted:
            converted[key] = int(parse_clock(converted[key], f"{path}.{key}"))
    for key in _RULE_DURATIONS:
        if key in converted:
            converted[key] = int(parse_duration(converted[key], f"{path}.{key}"))
    try:
        return ServiceRules.from_dict(converted)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None


def parse_scenario(data: Any, source: str = "") -> Scenario:
    """Validate a parsed YAML document and return the :class:`Scenario`."""
    scenario = build(Scenario, data, "")
    scenario.service_rules  # noqa: B018 - validates the rules block now, not mid-run
    if scenario.demand.source == "replay" and not scenario.demand.replay_csv:
        raise ScenarioError("demand.replay_csv: required when demand.source is 'replay'")
    if scenario.operating_model == "wide_area_rail" and not scenario.rail.hubs:
        raise ScenarioError("rail.hubs: wide_area_rail needs at least one station hub")
    return replace(scenario, source=source)


def read_scenario_data(path: str | Path) -> Any:
    """The parsed YAML document of a scenario file, not yet validated (``sim sweep`` edits it)."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"scenario file {path} does not exist")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{path}: invalid YAML{where}: {problem}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a UTF-8 text file") from None


def scenario_from_data(data: Any, path: str | Path) -> Scenario:
    """Validate the document of the scenario file ``path`` (relative replay paths resolve beside it)."""
    path = Path(path)
    try:
        scenario = parse_scenario(data, source=str(path))
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    if scenario.demand.replay_csv and not Path(scenario.demand.replay_csv).is_absolute():
        resolved = (path.parent / scenario.demand.replay_csv).resolve()
        scenario = replace(scenario, demand=replace(scenario.demand, replay_csv=str(resolved)))
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Raises
    ------
    ScenarioError
        If the file is missing, is not valid YAML, or breaks the schema (the message names the key).
    """
    return scenario_from_data(read_scenario_data(path), path)

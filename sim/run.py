"""Runs a scenario: demand, one dispatcher and event loop per service day, KPIs and the run folder."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dispatch.model import Vehicle
from dispatch.stop_service import StopMapper, StopService
from sim.bookings import BookingFactory
from sim.costs import fixed_shares
from sim.demand import DemandGenerator
from sim.engine import DaySimulation, StopLogEntry
from sim.fleet import build_vehicles, crossing_rules, fare_table
from sim.kpis import compute_kpis
from sim.movement import Mover
from sim.records import RunRecords
from sim.region import resolve_municipality
from sim.replay import read_bookings_csv
from sim.requests import TripRequest
from sim.scenario import Scenario
from sim.schema import ScenarioError
from sim.trip_driver import PlannerDriver, TripDriver


@dataclass
class Demand:
    """The requests of a run and the calendar they fall on."""

    start_date: date
    days: int
    requests: list[TripRequest]


@dataclass
class SimResult:
    """A finished run: records, KPIs, executed stops, and per-day dispatcher statistics."""

    scenario: Scenario
    records: RunRecords
    kpis: dict[str, Any]
    stop_log: list[StopLogEntry] = field(default_factory=list)
    vehicles: dict[int, list[Vehicle]] = field(default_factory=dict)
    retargets: int = 0

    @property
    def solver_share(self) -> float:
        return self.records.solver_s / self.records.wall_s if self.records.wall_s > 0 else 0.0


def load_network():
    """The regional road network (cached per process)."""
    from routing.network import RoadNetwork

    return RoadNetwork.load()


def make_demand(scenario: Scenario, network) -> Demand:
    """Synthetic requests for ``scenario.days`` days, or the bookings CSV (which sets its own dates)."""
    facts = network.facts
    if scenario.demand.source == "replay":
        replay = read_bookings_csv(scenario.demand.replay_csv or "", facts)
        return Demand(replay.start_date, replay.days, replay.requests)
    try:
        start = date.fromisoformat(scenario.start_date)
    except ValueError:
        raise ScenarioError(f"start_date: {scenario.start_date!r} is not a date like 2026-12-01") from None
    generator = DemandGenerator(scenario.demand, facts, scenario.service_rules, scenario.seed)
    return Demand(start, scenario.days, generator.days(scenario.days))


def _planner_model(scenario: Scenario, network) -> Any | None:
    """The trip planner's operating model for the wide-area scenarios (None for ``municipal``)."""
    if scenario.operating_model == "municipal":
        return None
    from dispatch.trips import OperatingModel

    facts = network.facts
    crossing = crossing_rules(scenario, facts)
    fleets = {m.jis_code: m.name_en for m in facts.municipalities}
    hubs: dict[str, list[str]] = {}
    for key in scenario.rail.hubs:
        place = network.place(key)
        hubs.setdefault(place.jis_code, []).append(place.key)
    for pair in crossing.pairs:  # a municipality without a station is fed to its partner's hub
        for jis in pair:
            if jis not in hubs:
                partner = next(iter(pair - {jis}), jis)
                if partner in hubs:
                    hubs[jis] = list(hubs[partner])
    return OperatingModel.from_dict({
        "fleets": fleets,
        "direct_pairs": [sorted(p) for p in crossing.pairs],
        "direct_destinations": sorted(crossing.destinations),
        "rail_feeding": scenario.operating_model == "wide_area_rail",
        "hubs": hubs,
    })


def simulate(scenario: Scenario, network=None, demand: Demand | None = None, progress: bool = False,
             day_done: Callable[[str, Any, Any, list, list], None] | None = None) -> SimResult:
    """Run every service day of the scenario and compute its KPIs.

    Parameters
    ----------
    scenario
        The scenario.
    network
        Road network (default: the regional network).
    demand
        Requests to replay (default: generated or read as the scenario says). ``sim compare`` passes the
        same demand to both scenarios.
    progress
        Show a progress bar over the requests.
    day_done
        Called after each service day as ``day_done(service_day, dispatcher, trip planner or None, leg records
        of the day, vehicle records of the day)`` (``sim run --history-url`` writes the day into the history).
    """
    from dispatch.online.dispatcher import Dispatcher

    began = time.perf_counter()
    network = network if network is not None else load_network()
    demand = demand if demand is not None else make_demand(scenario, network)
    rules = scenario.service_rules
    places = {p.key: p for p in network.places}
    records = RunRecords(days=demand.days)
    mover = Mover(network, records)
    factory = BookingFactory(network, stop_mapper(scenario, network))
    model = _planner_model(scenario, network)
    fares = fare_table(scenario, network.facts)
    cost_shares = fixed_shares(scenario.costs.sharing, network.facts)  # checks the names before the run
    result = SimResult(scenario, records, {})
    bar = tqdm(total=len(demand.requests), unit="req", disable=not progress, desc=scenario.name)
    by_day: dict[int, list[TripRequest]] = {}
    for request in demand.requests:
        by_day.setdefault(request.day, []).append(request)
    try:
        for day in range(demand.days):
            service_day = (demand.start_date + timedelta(days=day)).isoformat()
            vehicles = build_vehicles(scenario, places, network.facts)
            if model is not None:
                vehicles = [_with_area(v, model.service_area(v.municipality)) for v in vehicles]
            alternatives = 1 if scenario.execution.alternative_acceptance > 0 else 0
            d = Dispatcher(network, vehicles, rules, service_day=service_day,
                           solve_params=scenario.reoptimisation.solve_params(scenario.seed),
                           max_alternatives=alternatives)
            rng = random.Random(f"{scenario.seed}/{day}")
            trips = _driver(scenario, d, network, model, service_day, rng)
            sim = DaySimulation(
                day, d, trips, mover, factory, records, rules,
                reopt_every=scenario.reoptimisation.every if scenario.reoptimisation.enabled else 0,
                reopt_limit=scenario.reoptimisation.time_limit, no_show_wait=scenario.execution.no_show_wait,
                acceptance=scenario.execution.offer_acceptance, rng=rng, on_booking=lambda: bar.update(1),
                fares=fares, alternative_acceptance=scenario.execution.alternative_acceptance,
            )
            for request in by_day.get(day, []):
                sim.add_request(request)
            sim.run()
            if day_done is not None:
                day_done(service_day, d, getattr(trips, "planner", None), [x for x in records.legs if x.day == day],
                         [x for x in records.vehicles if x.day == day])
            records.solver_s += d.stats.solver_seconds
            result.stop_log.extend(sim.stop_log)
            result.vehicles[day] = vehicles
            result.retargets += sim.retargets
            _merge_stats(records.dispatcher_stats, d.stats.to_dict())
    finally:
        bar.close()
    records.wall_s = time.perf_counter() - began
    names = {m.jis_code: m.name_en for m in network.facts.municipalities}
    result.kpis = compute_kpis(records, scenario, names, cost_shares)
    return result


def stop_mapper(scenario: Scenario, network) -> StopMapper | None:
    """The scenario's stop-based service on ``network``, or None for door-to-door everywhere."""
    spec = scenario.stop_service
    if spec is None:
        return None
    codes = tuple(resolve_municipality(network.facts, m, f"stop_service.municipalities[{i}]").jis_code
                  for i, m in enumerate(spec.municipalities))
    try:
        return StopMapper(network, StopService(feeds=spec.feeds, max_walk_m=spec.max_walk_m, municipalities=codes,
                                                beyond_walk=spec.beyond_walk))
    except ValueError as exc:
        raise ScenarioError(f"stop_service: {exc}") from None


def _with_area(vehicle: Vehicle, area) -> Vehicle:
    from dataclasses import replace

    return replace(vehicle, service_area=frozenset(area) if area is not None else None)


def _driver(scenario: Scenario, d, network, model, service_day: str, rng: random.Random) -> TripDriver:
    if model is None:
        return TripDriver(d)
    from dispatch.rail import read_gtfs
    from dispatch.trips import TripPlanner

    alternatives = 1 if scenario.execution.alternative_acceptance > 0 else 0
    planner = TripPlanner(d, network, read_gtfs(service_day=service_day), model, max_alternatives=alternatives)
    return PlannerDriver(d, planner, float(scenario.rail.delay_mean), rng)


def _merge_stats(total: dict[str, Any], day: dict[str, Any]) -> None:
    for key, value in day.items():
        if isinstance(value, dict):
            inner = total.setdefault(key, {})
            for k, v in value.items():
                inner[k] = inner.get(k, 0) + v
        elif isinstance(value, int | float):
            total[key] = total.get(key, 0) + value


def write_outputs(result: SimResult, network, out: Path, kpis: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write ``kpis.json``, ``kpis.xlsx``, ``legs.csv``, ``vehicles.csv`` and ``report.html`` into ``out``.

    ``kpis`` (default: the run's own) may be the summary over replications (:func:`sim.replications.aggregate`);
    the CSVs and figures are then those of ``result``, the first replication.
    """
    from sim.output import write_run
    from sim.report.compose import render_run

    kpis = result.kpis if kpis is None else kpis
    html = render_run(result.scenario, kpis, result.records, network)
    return write_run(out, kpis, result.records, html)

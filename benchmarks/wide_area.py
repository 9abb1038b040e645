"""Wide-area benchmark: chains vs direct rides across municipal lines on one booked day.

Usage::

    python benchmarks/wide_area.py [--scenario sim/scenarios/wide_area_rail_feeder.yaml] [--scale 1.0]
                                   [--seed N] [--data data/osm_gunma] [--gtfs data/osm_gunma/joshin_gtfs]
                                   [--json PATH]

The day's demand and fleets come from a simulator scenario (the calibrated synthetic demand: about 190
trips, a fifth of them across municipal lines). Every booking is made through the trip planner at its
booking time and accepted (cancellations are applied when they fall due), under three operating models
on the same demand and the same fleets:

* ``direct_only``: any border may be crossed directly, no rail feeding (the baseline);
* ``rail_by_cost``: the same, plus feeder -> Joshin train -> feeder chains, chosen by generalised cost;
* ``rail_feeder``: the scenario's own crossing rules (few direct pairs) plus chains.

Vehicle-km and vehicle-hours are those of the final plans (depot -> stops -> depot), i.e. what the fleets
drive if the day runs to plan; execution noise is the simulator's job (``sim compare``). The km of the
cross-municipal trips are split out by the accounting rule (each segment shared by the riders it carries
or fetches; :func:`dispatch.accounting.allocate`). Reported: share of cross-municipal trips served by
chains vs direct, vehicle-km saved against ``direct_only`` (in total and per served cross trip), riders
delivered to the railway, riders per feeder run (pooling), and booking latency. The inputs are the
regional data in the repository; when the road data or the GTFS feed is absent the run is skipped (exit 0).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from itertools import combinations  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dispatch.accounting import MunicipalAccounts, allocate, day_segments  # noqa: E402
from dispatch.errors import DispatchError  # noqa: E402
from dispatch.model import Offer  # noqa: E402
from dispatch.online.dispatcher import Dispatcher  # noqa: E402
from dispatch.rail import read_gtfs  # noqa: E402
from dispatch.rail.gtfs import DEFAULT_GTFS_DIR  # noqa: E402
from dispatch.trips import OperatingModel, TripPlanner  # noqa: E402
from dispatch.trips.itinerary import CHAIN, DIRECT, DRT, RAIL  # noqa: E402

DEFAULT_SCENARIO = ROOT / "sim" / "scenarios" / "wide_area_rail_feeder.yaml"
DEFAULT_DATA = ROOT / "data" / "osm_gunma"
MODELS = ("direct_only", "rail_by_cost", "rail_feeder")


@dataclass
class Day:
    """A booked day's inputs: scenario, network, bookings with their booking and cancel times."""

    scenario: Any
    network: Any
    service_day: str
    events: list[tuple[int, int, str, Any]]  # (time, order, kind, payload)


def load_day(scenario_path: Path, data_dir: Path, scale: float | None, seed: int | None) -> Day:
    from routing.network import RoadNetwork
    from sim.bookings import BookingFactory
    from sim.run import make_demand
    from sim.scenario import load_scenario

    scenario = load_scenario(scenario_path)
    if scale is not None:
        scenario = replace(scenario, demand=replace(scenario.demand, scale=scale))
    if seed is not None:
        scenario = replace(scenario, seed=seed)
    network = RoadNetwork.load(data_dir)
    demand = make_demand(scenario, network)
    service_day = demand.start_date.isoformat()
    factory = BookingFactory(network)
    events: list[tuple[int, int, str, Any]] = []
    for request in demand.requests:
        if request.day != 0:
            continue
        try:
            booking = factory.booking(request, service_day)
        except ValueError:
            continue  # an endpoint outside the road network: the simulator skips it too
        events.append((request.booked_at, 1, "book", booking))
        if request.cancel_at is not None:
            events.append((request.cancel_at, 0, "cancel", booking.id))
    events.sort(key=lambda e: (e[0], e[1], e[2], str(e[3] if e[2] == "cancel" else e[3].id)))
    return Day(scenario, network, service_day, events)


def operating_model(name: str, day: Day) -> OperatingModel:
    """The three compared models over the scenario's municipalities."""
    from sim.fleet import crossing_rules

    facts = day.network.facts
    fleets = {m.jis_code: m.name_en for m in facts.municipalities}
    all_pairs = [sorted(p) for p in combinations(sorted(fleets), 2)]
    if name == "direct_only":
        return OperatingModel.from_dict({"fleets": fleets, "direct_pairs": all_pairs, "rail_feeding": False})
    if name == "rail_by_cost":
        return OperatingModel.from_dict({"fleets": fleets, "direct_pairs": all_pairs, "rail_feeding": True})
    crossing = crossing_rules(day.scenario, facts)
    return OperatingModel.from_dict({"fleets": fleets, "direct_pairs": [sorted(p) for p in crossing.pairs],
                                     "direct_destinations": sorted(crossing.destinations), "rail_feeding": True})


def run_model(name: str, day: Day, gtfs_dir: Path) -> tuple[dict[str, Any], MunicipalAccounts]:
    """Book the day under one operating model; figures and accounts."""
    from sim.fleet import build_vehicles

    model = operating_model(name, day)
    places = {p.key: p for p in day.network.places}
    area = {p.key: p.jis_code for p in day.network.places}
    vehicles = [replace(v, service_area=model.service_area(v.municipality, area))
                for v in build_vehicles(day.scenario, places, day.network.facts)]
    dispatcher = Dispatcher(day.network, vehicles, day.scenario.service_rules, service_day=day.service_day)
    planner = TripPlanner(dispatcher, day.network, read_gtfs(gtfs_dir, day.service_day), model)
    latencies: list[float] = []
    requested: dict[str, Any] = {}
    began = time.perf_counter()
    for at, _, kind, payload in day.events:
        if kind == "book":
            requested[payload.id] = payload
            t0 = time.perf_counter()
            answer = planner.request(payload, at)
            if isinstance(answer, Offer):
                planner.confirm(payload.id, at)
            latencies.append(time.perf_counter() - t0)
        else:
            try:
                planner.cancel(payload, at)
            except (DispatchError, KeyError):
                pass  # the booking was rejected, so there is nothing to cancel
    wall = time.perf_counter() - began
    accounts = MunicipalAccounts.from_planner(planner)
    row = summarise(name, planner, requested, accounts, latencies, wall)
    cross = cross_ids(planner, requested)
    trip_of = {b.id: b.trip_id or b.id for b in dispatcher.bookings()}
    split = allocate(day_segments(dispatcher, day.network),
                     lambda bid: "cross" if trip_of.get(bid, bid) in cross else "local")
    row["cross_km"] = round(split.get("cross", (0.0, 0.0))[0], 1)
    row["km_per_cross_trip"] = round(row["cross_km"] / row["cross_served"], 2) if row["cross_served"] else 0.0
    return row, accounts


def cross_ids(planner: TripPlanner, requested: dict[str, Any]) -> set[str]:
    """Ids of the bookings whose two ends lie in different municipalities."""
    muni = planner.builder.municipality
    return {bid for bid, b in requested.items() if muni(b.pickup) != muni(b.dropoff)}


def summarise(name: str, planner: TripPlanner, requested: dict[str, Any], accounts: MunicipalAccounts,
              latencies: list[float], wall: float) -> dict[str, Any]:
    served = {it.id: it for it in planner.itineraries() if it.status.value in ("confirmed", "completed")}
    cross = cross_ids(planner, requested)
    cross_served = [served[b] for b in cross if b in served]
    chains = [it for it in cross_served if it.kind == CHAIN]
    direct = [it for it in cross_served if it.kind == DIRECT]
    rail_riders = sum(it.booking.party_size for it in served.values() if it.rail_leg() is not None)
    runs: dict[tuple[str, str, str], int] = defaultdict(int)  # (vehicle, train, station) -> riders
    for it in served.values():
        for before, after in zip(it.legs, it.legs[1:], strict=False):
            if before.mode == DRT and after.mode == RAIL and before.vehicle_id:
                runs[(before.vehicle_id, after.train_id or "", after.origin.stop_id or "")] += it.booking.party_size
            if before.mode == RAIL and after.mode == DRT and after.vehicle_id:
                runs[(after.vehicle_id, before.train_id or "", before.destination.stop_id or "")] += (
                    it.booking.party_size)
    lat = sorted(latencies) or [0.0]
    return {
        "model": name,
        "requests": len(requested),
        "served": len(served),
        "cross_requests": len(cross),
        "cross_served": len(cross_served),
        "cross_chain": len(chains),
        "cross_direct": len(direct),
        "chain_share": round(len(chains) / len(cross_served), 3) if cross_served else 0.0,
        "rail_riders": rail_riders,
        "feeder_legs": sum(1 for it in served.values() for leg in it.legs if leg.mode == DRT and it.kind == CHAIN),
        "riders_per_feeder_run": round(sum(runs.values()) / len(runs), 2) if runs else 0.0,
        "vehicle_km": round(accounts.total_km, 1),
        "vehicle_h": round(accounts.total_hours, 2),
        "km_per_served_trip": round(accounts.total_km / len(served), 2) if served else 0.0,
        "latency_ms_p50": round(1000 * lat[len(lat) // 2], 1),
        "latency_ms_p95": round(1000 * lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1),
        "wall_s": round(wall, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO, help="simulator scenario (fleets, demand)")
    parser.add_argument("--scale", type=float, default=None, help="demand scale (default: the scenario's)")
    parser.add_argument("--seed", type=int, default=None, help="demand seed (default: the scenario's)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="regional data directory")
    parser.add_argument("--gtfs", type=Path, default=DEFAULT_GTFS_DIR, help="Joshin GTFS feed directory")
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated subset of {', '.join(MODELS)}")
    parser.add_argument("--json", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODELS]
    if unknown or "direct_only" not in models:
        print(f"error: --models must include direct_only and only name {', '.join(MODELS)}", file=sys.stderr)
        return 2
    for path, what in ((args.data / "stations.csv", "regional data"), (args.gtfs / "stop_times.txt", "GTFS feed"),
                       (args.scenario, "scenario")):
        if not path.exists():
            print(f"skipped: {what} not found at {path}")
            return 0
    day = load_day(args.scenario, args.data, args.scale, args.seed)
    rows, accounts = [], {}
    for name in models:
        row, acc = run_model(name, day, args.gtfs)
        rows.append(row)
        accounts[name] = acc
    add_savings(rows)
    print_table(rows)
    names = {m.jis_code: m.name_en for m in day.network.facts.municipalities}
    for name in models[1:]:
        print(f"\nper-municipality accounts, {name}:")
        print(accounts[name].table(names))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        out = {"scenario": str(args.scenario), "service_day": day.service_day, "results": rows,
               "accounts": {k: v.to_dict() for k, v in accounts.items()}}
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


def add_savings(rows: list[dict[str, Any]]) -> None:
    """Vehicle-km saved against the first row (direct_only): in total and per served cross-municipal trip."""
    base = rows[0]
    for row in rows:
        row["vehicle_km_saved"] = round(base["vehicle_km"] - row["vehicle_km"], 1)
        row["vehicle_km_saved_pct"] = round(100 * row["vehicle_km_saved"] / base["vehicle_km"], 1)
        if base["km_per_cross_trip"]:
            saved = base["km_per_cross_trip"] - row["km_per_cross_trip"]
            row["km_per_cross_trip_saved_pct"] = round(100 * saved / base["km_per_cross_trip"], 1)


def print_table(rows: list[dict[str, Any]]) -> None:
    cols = [("model", "{:<13}"), ("served", "{:>7}"), ("cross_served", "{:>7}"), ("cross_chain", "{:>6}"),
            ("cross_direct", "{:>7}"), ("chain_share", "{:>6.0%}"), ("rail_riders", "{:>5}"),
            ("riders_per_feeder_run", "{:>6}"), ("vehicle_km", "{:>8}"), ("vehicle_km_saved_pct", "{:>7}"),
            ("cross_km", "{:>8}"), ("km_per_cross_trip", "{:>8}"), ("km_per_cross_trip_saved_pct", "{:>7}"),
            ("vehicle_h", "{:>7}"), ("latency_ms_p95", "{:>7}")]
    heads = ["model", "served", "cross", "chain", "direct", "chain%", "rail", "pool", "veh-km", "saved%",
             "cross km", "km/cross", "saved%", "veh-h", "p95 ms"]
    widths = [len(f.format(rows[0][k])) for k, f in cols]
    print("  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(heads, widths, strict=True))))
    for row in rows:
        print("  ".join(f.format(row[k]) for k, f in cols))


if __name__ == "__main__":
    sys.exit(main())

"""Simulator speed: one service day of about 1,500 requests and 20 vehicles, target <= 30 s on 2 cores.

Usage::

    python benchmarks/sim_speed.py [--json PATH] [--scenario sim/scenarios/wide_area.yaml]
                                   [--requests 1500] [--vehicles 20] [--reopt-every 15min]
                                   [--reopt-limit 0.4] [--metaheuristic GUIDED_LOCAL_SEARCH]
                                   [--bench-data ../shared/bench_data]

The scenario's demand is scaled until the day has about ``--requests`` requests and its fleets are
resized to ``--vehicles`` in proportion to their size. Prints the wall time, the time per simulated
service hour, the share spent in the re-optimiser (``Dispatcher.stats.solver_seconds``) and the share
spent answering bookings (trip planner and dispatcher insertion). If ``<bench-data>/sim/bookings.csv``
exists it is replayed as a second case; when absent that case is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dispatch.solver.params import REOPT_METHODS  # noqa: E402
from sim.demand import DemandGenerator  # noqa: E402
from sim.run import Demand, load_network, make_demand, simulate  # noqa: E402
from sim.scenario import Scenario, load_scenario  # noqa: E402
from sim.schema import parse_duration  # noqa: E402

TARGET_S = 30.0


def resize_fleets(scenario: Scenario, vehicles: int) -> Scenario:
    """Scale every fleet in proportion so the total is ``vehicles`` (at least one each)."""
    total = sum(f.vehicles for f in scenario.fleets)
    sizes = [max(1, round(f.vehicles * vehicles / total)) for f in scenario.fleets]
    sizes[0] += vehicles - sum(sizes)
    fleets = tuple(replace(f, vehicles=n, wheelchair_vehicles=min(f.wheelchair_vehicles * n // max(f.vehicles, 1) or
                                                                   min(1, f.wheelchair_vehicles), n))
                   for f, n in zip(scenario.fleets, sizes, strict=True))
    return replace(scenario, fleets=fleets)


def scale_for(scenario: Scenario, network, requests: int) -> float:
    """Demand scale that gives about ``requests`` requests a day (expected value, before Poisson noise)."""
    gen = DemandGenerator(scenario.demand, network.facts, scenario.service_rules, scenario.seed)
    tours = sum(gen.expected_tours(m.jis_code) for m in network.facts.municipalities)
    per_tour = 1 + scenario.demand.return_share * 0.95  # some returns fall after service end
    return scenario.demand.scale * requests / (tours * per_tour)


def run_case(name: str, scenario: Scenario, network, demand: Demand | None = None) -> dict:
    result = simulate(scenario, network, demand)
    stats = result.records.dispatcher_stats
    wall = result.records.wall_s
    rules = scenario.service_rules
    hours = (rules.service_end - rules.service_start) / 3600 * result.records.days
    solver = float(stats.get("solver_seconds", 0.0))
    insertion = float(stats.get("insertion_seconds", 0.0))
    return {
        "case": name,
        "requests": result.kpis["requests"],
        "vehicles": sum(f.vehicles for f in scenario.fleets),
        "served": result.kpis["served"],
        "vehicle_km": result.kpis["vehicle_km"],
        "method": scenario.reoptimisation.method,
        "reopt_limit_s": scenario.reoptimisation.time_limit,
        "wall_s": round(wall, 2),
        "s_per_sim_hour": round(wall / hours, 3),
        "solver_s": round(solver, 2),
        "insertion_s": round(insertion, 2),
        "solver_share": round(solver / wall, 3) if wall else None,
        "dispatcher_share": round((solver + insertion) / wall, 3) if wall else None,
        "booking_share": round(result.records.booking_s / wall, 3) if wall else None,
        "reoptimisations": stats.get("reoptimisation_runs", 0),
        "target_s": TARGET_S,
        "within_target": wall <= TARGET_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--scenario", type=Path, default=ROOT / "sim" / "scenarios" / "wide_area.yaml")
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--vehicles", type=int, default=20)
    parser.add_argument("--reopt-every", default="15min", help="re-optimisation period ('15min', seconds)")
    parser.add_argument("--reopt-limit", type=float, default=0.4, help="seconds per re-optimisation")
    parser.add_argument("--metaheuristic", default="GUIDED_LOCAL_SEARCH",
                        help="OR-Tools metaheuristic of the re-optimiser (a fixed budget per run)")
    parser.add_argument("--method", choices=REOPT_METHODS, default="ortools",
                        help="re-optimiser: the OR-Tools model or ruin and recreate")
    parser.add_argument("--rr-iterations", type=int, default=None,
                        help="rr: iterations per re-optimisation (default: the clock only, like OR-Tools here)")
    parser.add_argument("--bench-data", type=Path, default=ROOT.parent / "shared" / "bench_data")
    args = parser.parse_args(argv)

    network = load_network()
    base = load_scenario(args.scenario).with_overrides(days=1)
    base = resize_fleets(base, args.vehicles)
    base = replace(base, reoptimisation=replace(base.reoptimisation, every=parse_duration(args.reopt_every, "every"),
                                                time_limit=args.reopt_limit, metaheuristic=args.metaheuristic,
                                                solution_limit=None, method=args.method,
                                                rr_iterations=args.rr_iterations))
    scenario = replace(base, demand=replace(base.demand, scale=scale_for(base, network, args.requests)))
    if args.method == "rr":
        from dispatch.solver.rr import warm_up

        warm_up()  # the compiled kernels load before the first time-limited re-optimisation
    rows = [run_case("synthetic day", scenario, network, make_demand(scenario, network))]
    replay = args.bench_data / "sim" / "bookings.csv"
    notes = []
    if replay.is_file():
        replayed = replace(base, demand=replace(base.demand, source="replay", replay_csv=str(replay)))
        rows.append(run_case(f"replay {replay.name}", replayed, network))
    else:
        notes.append(f"replay case skipped: {replay} not found")

    head = ("case", "method", "reopt_limit_s", "requests", "served", "vehicle_km", "vehicles",
            "wall_s", "s_per_sim_hour", "solver_share", "booking_share",
            "within_target")
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in head]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    for row in rows:
        print("  ".join(str(row[h]).ljust(w) for h, w in zip(head, widths, strict=True)))
    for note in notes:
        print(note)
    print(f"target: one service day <= {TARGET_S:.0f} s on 2 cores; network {network.source}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"results": rows, "notes": notes, "machine": platform.platform(), "python": platform.python_version()}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

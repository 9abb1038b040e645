"""``sim run SCENARIO.yaml`` and ``sim compare A.yaml B.yaml``.

Bad input (a missing or invalid scenario, unknown keys, a malformed CSV row) exits with code 2 and a
one-line message, never a stack trace.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

from sim.kpis import format_table
from sim.scenario import Scenario, load_scenario
from sim.schema import ScenarioError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sim", description="Simulate the Kanra-Tomioka shared taxi (乗合タクシー).")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one scenario and write kpis.json, legs.csv, vehicles.csv, report.html")
    run.add_argument("scenario", type=Path)
    run.add_argument("--days", type=int, help="service days to simulate (default: the scenario's)")
    run.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    run.add_argument("--out", type=Path, help="output folder (default: out/<scenario name>)")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    cmp = sub.add_parser("compare", help="run two scenarios on the same demand and compare their KPIs")
    cmp.add_argument("a", type=Path)
    cmp.add_argument("b", type=Path)
    cmp.add_argument("--days", type=int)
    cmp.add_argument("--seed", type=int)
    cmp.add_argument("--out", type=Path, help="output folder (default: out/compare_<a>_<b>)")
    cmp.add_argument("--no-progress", action="store_true")
    return parser


def _load(path: Path, days: int | None, seed: int | None) -> Scenario:
    if days is not None and days < 1:
        raise ScenarioError("--days must be at least 1")
    return load_scenario(path).with_overrides(days=days, seed=seed)


def _run(args: argparse.Namespace) -> int:
    from sim.run import load_network, simulate, write_outputs

    scenario = _load(args.scenario, args.days, args.seed)
    network = load_network()
    result = simulate(scenario, network, progress=not args.no_progress)
    out = args.out or Path("out") / scenario.name
    paths = write_outputs(result, network, out)
    print(format_table({scenario.name: result.kpis}))
    fleets = result.kpis.get("per_fleet", {})
    print("rides / vehicle-hour by fleet: " + ", ".join(
        f"{name} {row['rides_per_vehicle_hour']}" for name, row in fleets.items()))
    print(f"\n{result.kpis['requests']} requests over {result.kpis['days']} day(s) in {result.records.wall_s:.1f} s "
          f"({100 * result.solver_share:.0f}% in the re-optimiser)")
    print(f"report: {paths['report'].resolve()}")
    print(f"data:   {paths['kpis']}, {paths['xlsx']}, {paths['legs']}, {paths['vehicles']}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from sim.report.html import compare_report
    from sim.run import load_network, make_demand, simulate, write_outputs

    a = _load(args.a, args.days, args.seed)
    b = _load(args.b, args.days, args.seed)
    names = [a.name, b.name] if a.name != b.name else [f"{a.name} (A)", f"{b.name} (B)"]
    network = load_network()
    demand = make_demand(a, network)  # both scenarios see exactly these requests
    out = args.out or Path("out") / f"compare_{a.name}_{b.name}"
    columns = {}
    for name, scenario in zip(names, (a, b), strict=True):
        result = simulate(replace(scenario, days=demand.days), network, demand, progress=not args.no_progress)
        write_outputs(result, network, out / name.replace(" ", "_"))
        columns[name] = result.kpis
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.json").write_text(json.dumps(columns, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                                      encoding="utf-8")
    (out / "compare.html").write_text(compare_report(columns), encoding="utf-8")
    print(format_table(columns))
    print(f"\nreport: {(out / 'compare.html').resolve()} (runs in {out}/<scenario>/)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sim`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _run(args) if args.command == "run" else _compare(args)
    except ScenarioError as exc:
        print(f"sim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sim: interrupted", file=sys.stderr)
        return 130

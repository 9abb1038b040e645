"""Solver quality on public instances: our OR-Tools solver (and PyVRP) against the best-known solutions.

    python benchmarks/solver_quality.py --set li_lim_100 --seconds 60 [--only lr101,lrc101] [--json out.json]
    python benchmarks/solver_quality.py --set cordeau_a --seconds 60 --limit 6

Prints one row per instance: vehicles (ours / best-known), distance, gap to the best-known distance,
wall time, and whether our validator accepts the solution; PyVRP's gap beside it (``--pyvrp``, on by
default for Li & Lim). The data folder is ``--data-dir``, else ``$KANRA_BENCH_DATA``, else
``../shared/bench_data`` next to the repository; without it the run is skipped with a message.
Li & Lim is hierarchical (vehicles, then distance), Cordeau minimises distance with K vehicles.
``--jobs 2`` runs instances in parallel processes (one core each); the default is one at a time.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.instances import BenchInstance, default_data_dir, read_bks, read_cordeau, read_li_lim  # noqa: E402
from dispatch.solver import SolveParams, SolverFailed, solve  # noqa: E402
from dispatch.validator import validate  # noqa: E402

SETS = {
    "li_lim_100": ("li_lim_pdptw/pdp_100", "li_lim_pdptw/BKS.csv", read_li_lim),
    "cordeau_a": ("cordeau_darp/instances", "cordeau_darp/BKS.csv", read_cordeau),
}
# Vehicles first on Li & Lim: one vehicle must outweigh any distance saving (problem units).
LI_LIM_VEHICLE_COST = 100_000.0
SCALE = 1000.0


def params_for(set_name: str, seconds: float) -> SolveParams:
    """Li & Lim: vehicles first (route elimination), then distance; Cordeau: distance. Both finish
    with ruin-and-recreate around OR-Tools, which beat one long guided local search on these sets."""
    if set_name == "li_lim_100":
        return SolveParams(
            time_limit_s=seconds,
            time_scale=SCALE,
            vehicle_fixed_cost=LI_LIM_VEHICLE_COST * SCALE,
            minimise_fleet=True,
            lns=True,
        )
    return SolveParams(time_limit_s=seconds, time_scale=SCALE, lns=True)


def run_instance(set_name: str, path: Path, seconds: float, with_pyvrp: bool) -> dict:
    """Solve one instance (ours, then optionally PyVRP) and return the figures as a JSON-safe dict."""
    reader = SETS[set_name][2]
    inst: BenchInstance = reader(path)
    row: dict = {"instance": inst.name, "requests": len(inst.problem.requests), "budget_s": seconds}
    began = time.monotonic()
    try:
        solution = solve(inst.problem, params_for(set_name, seconds))
        row |= {
            "vehicles": solution.vehicles_used(),
            "distance": solution.distance(inst.problem),
            "feasible": not validate(inst.problem, solution),
            "unserved": len(solution.unserved),
            "phase": solution.solver,
        }
    except SolverFailed as exc:
        row |= {"vehicles": None, "distance": None, "feasible": False, "error": str(exc)}
    row["seconds"] = time.monotonic() - began
    if with_pyvrp:
        from benchmarks.instances.pyvrp_baseline import solve_with_pyvrp

        fixed = LI_LIM_VEHICLE_COST if set_name == "li_lim_100" else 0.0
        run = solve_with_pyvrp(inst.problem, seconds, fixed_cost=fixed, scale=SCALE)
        row["pyvrp"] = {
            "vehicles": run.solution.vehicles_used(),
            "distance": run.solution.distance(inst.problem),
            "feasible": run.feasible,
            "violations": run.violations,
            "seconds": run.seconds,
        }
    return row


def add_gaps(row: dict, bks: dict) -> None:
    best = bks.get(row["instance"])
    row["bks_vehicles"] = best.vehicles if best else None
    row["bks_distance"] = best.cost if best else None
    for target in (row, row.get("pyvrp")):
        if target is None:
            continue
        ok = best is not None and target.get("distance") is not None
        target["gap_pct"] = 100.0 * (target["distance"] / best.cost - 1.0) if ok else None


def print_table(rows: list[dict], with_pyvrp: bool) -> None:
    head = f"{'instance':10} {'veh':>7} {'distance':>10} {'BKS':>10} {'gap %':>7} {'time s':>7} {'valid':>5}"
    if with_pyvrp:
        head += f" | {'pyvrp veh':>9} {'pyvrp gap %':>11} {'valid':>5}"
    print(head)
    print("-" * len(head))
    for r in rows:
        veh = f"{r['vehicles']}/{r['bks_vehicles']}" if r.get("vehicles") is not None else "-"
        line = (
            f"{r['instance']:10} {veh:>7} {_num(r.get('distance'), 10, 2)} {_num(r.get('bks_distance'), 10, 2)} "
            f"{_num(r.get('gap_pct'), 7, 2)} {r['seconds']:7.1f} {'yes' if r['feasible'] else 'NO':>5}"
        )
        if with_pyvrp and "pyvrp" in r:
            p = r["pyvrp"]
            line += f" | {p['vehicles']:>9} {_num(p.get('gap_pct'), 11, 2)} {'yes' if p['feasible'] else 'NO':>5}"
        print(line)
    summary = summarise(rows)
    print("-" * len(head))
    print(
        f"{'mean':10} {'':>7} {'':>10} {'':>10} {_num(summary['mean_gap_pct'], 7, 2)} "
        f"{summary['mean_seconds']:7.1f} {summary['feasible']:>2}/{len(rows)}"
        + (
            f" | {'':>9} {_num(summary.get('pyvrp_mean_gap_pct'), 11, 2)} "
            f"{summary.get('pyvrp_feasible', 0):>2}/{len(rows)}"
            if with_pyvrp
            else ""
        )
    )
    print(
        f"vehicles above best-known: ours {summary['extra_vehicles']}"
        + (f", pyvrp {summary.get('pyvrp_extra_vehicles')}" if with_pyvrp else "")
        + f"; largest wall time over budget (ours): {summary['max_overrun_s']:+.2f} s"
    )


def summarise(rows: list[dict]) -> dict:
    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    out = {
        "mean_gap_pct": mean([r["gap_pct"] for r in rows if r.get("gap_pct") is not None]),
        "mean_seconds": mean([r["seconds"] for r in rows]) or 0.0,
        "feasible": sum(1 for r in rows if r["feasible"]),
        "extra_vehicles": sum(max(0, (r.get("vehicles") or 0) - (r.get("bks_vehicles") or 0)) for r in rows),
        "max_overrun_s": max((r["seconds"] - r["budget_s"] for r in rows), default=0.0),
    }
    pyvrp = [r["pyvrp"] for r in rows if "pyvrp" in r]
    if pyvrp:
        out["pyvrp_mean_gap_pct"] = mean([p["gap_pct"] for p in pyvrp if p.get("gap_pct") is not None])
        out["pyvrp_feasible"] = sum(1 for p in pyvrp if p["feasible"])
        out["pyvrp_extra_vehicles"] = sum(
            max(0, r["pyvrp"]["vehicles"] - (r.get("bks_vehicles") or 0)) for r in rows if "pyvrp" in r
        )
    return out


def _num(value: float | None, width: int, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{'-':>{width}}"
    return f"{value:{width}.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", required=True, choices=sorted(SETS))
    parser.add_argument("--seconds", type=float, default=60.0, help="budget per instance (default 60)")
    parser.add_argument("--data-dir", type=Path, default=None, help="bench_data folder")
    parser.add_argument("--instances", type=Path, default=None, help="folder of instance files (overrides the set's)")
    parser.add_argument("--bks", type=Path, default=None, help="BKS.csv (overrides the set's)")
    parser.add_argument("--limit", type=int, default=None, help="first N instances only")
    parser.add_argument("--only", default=None, help="comma-separated instance names")
    parser.add_argument("--json", type=Path, default=None, help="write per-instance results here")
    parser.add_argument("--pyvrp", action=argparse.BooleanOptionalAction, default=None, help="also run PyVRP")
    parser.add_argument("--jobs", type=int, default=1, help="instances solved in parallel (processes)")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.jobs < 1 or (args.limit is not None and args.limit < 1):
        print("error: --seconds, --jobs and --limit must be positive", file=sys.stderr)
        return 2

    data = args.data_dir or default_data_dir()
    folder, bks_file, _ = SETS[args.set]
    instances_dir = args.instances or data / folder
    bks_path = args.bks or data / bks_file
    if not instances_dir.is_dir():
        print(f"skipped: no instance folder at {instances_dir} (set --data-dir or KANRA_BENCH_DATA)")
        return 0
    paths = sorted(p for p in instances_dir.glob("*.txt") if args.set != "cordeau_a" or p.name.startswith("a"))
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        by_name = {p.stem: p for p in paths}
        missing = [w for w in wanted if w not in by_name]
        if missing:
            print(f"error: unknown instance(s) {', '.join(missing)} in {instances_dir}", file=sys.stderr)
            return 2
        paths = [by_name[w] for w in wanted]
    if args.limit:
        paths = paths[: args.limit]
    with_pyvrp = args.pyvrp if args.pyvrp is not None else args.set == "li_lim_100"
    bks = read_bks(bks_path) if bks_path.is_file() else {}

    print(
        f"{args.set}: {len(paths)} instance(s), {args.seconds:g} s each, jobs={args.jobs}"
        + (", PyVRP after ours on the same budget" if with_pyvrp else "")
    )
    rows: list[dict] = []
    if args.jobs == 1:
        for p in paths:
            rows.append(run_instance(args.set, p, args.seconds, with_pyvrp))
            print(f"  {p.stem}: done in {rows[-1]['seconds']:.1f} s", flush=True)
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(run_instance, args.set, p, args.seconds, with_pyvrp) for p in paths]
            rows = [f.result() for f in futures]
    for row in rows:
        add_gaps(row, bks)
    print_table(rows, with_pyvrp)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"set": args.set, "seconds": args.seconds, "jobs": args.jobs, "instances": rows}
        payload["summary"] = summarise(rows)
        args.json.write_text(json.dumps(payload, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

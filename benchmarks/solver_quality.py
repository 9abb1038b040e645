"""Solver quality on public instances: our solver (and PyVRP) against the best-known solutions.

    python benchmarks/solver_quality.py --set li_lim --seconds 10 [--only lr101,lrc101] [--json out.json]
    python benchmarks/solver_quality.py --set cordeau --seconds 20 --instances DIR --bks FILE

``--set`` names the file format and objective (``li_lim``: Li & Lim PDPTW, vehicles first, then
distance; ``cordeau``: Cordeau DARP, distance with K vehicles); ``li_lim_100`` and ``cordeau_a`` are
the old names of the same two sets. ``--instances`` reads every ``*.txt`` of any folder in that
format, whatever the file names; ``--bks`` is a CSV with ``instance,vehicles,best_known_cost``.
``--method rr`` (default) runs the numpy ruin-and-recreate search after OR-Tools' first solution,
``--method ortools`` the earlier OR-Tools phases; ``--workers N`` runs N seeds per instance.

Prints one row per instance: vehicles (ours / best-known), distance, gap to the best-known distance,
wall time, and whether our validator accepts the solution; PyVRP's gap beside it (``--pyvrp``, on by
default for Li & Lim where PyVRP is installed; skipped with a note where it is not). The summary
counts vehicles above the best-known fleet, and averages the distance gap only over the instances
that use the best-known fleet (an extra vehicle usually shortens the distance: a negative gap that
is no gain). The data folder is ``--data-dir``, else ``$KANRA_BENCH_DATA``, else
``../shared/bench_data`` next to the repository; without it the run is skipped with a message.
Li & Lim is hierarchical (vehicles, then distance), Cordeau minimises distance with K vehicles.
``--jobs 2`` runs instances in parallel processes (one core each); the default is one at a time.
The JSON records the method, workers and the load average at the start (results depend on it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.instances import BenchInstance, default_data_dir, read_bks, read_cordeau, read_li_lim  # noqa: E402
from dispatch.solver import SolveParams, SolverFailed, solve  # noqa: E402
from dispatch.solver.rr import RrParams  # noqa: E402
from dispatch.validator import validate  # noqa: E402

SETS = {
    "li_lim": ("li_lim_pdptw/pdp_100", "li_lim_pdptw/BKS.csv", read_li_lim),
    "cordeau": ("cordeau_darp/instances", "cordeau_darp/BKS.csv", read_cordeau),
}
ALIASES = {"li_lim_100": "li_lim", "cordeau_a": "cordeau"}
# Vehicles first on Li & Lim: one vehicle must outweigh any distance saving (problem units).
LI_LIM_VEHICLE_COST = 100_000.0
SCALE = 1000.0


def params_for(set_name: str, seconds: float, method: str = "rr", workers: int = 1) -> SolveParams:
    """Li & Lim: vehicles first, then distance; Cordeau: distance.

    ``method`` ``rr``: OR-Tools' first solution, then the compiled ruin-and-recreate search (route
    minimisation first on Li & Lim, by time warp; ``rr-absences``: by the absence-counter pool);
    ``ortools``: route elimination and ruin-and-recreate with
    OR-Tools recreating (the earlier method, kept for comparison).
    """
    set_name = ALIASES.get(set_name, set_name)
    fleet = set_name == "li_lim"
    base = SolveParams(
        time_limit_s=seconds,
        time_scale=SCALE,
        vehicle_fixed_cost=LI_LIM_VEHICLE_COST * SCALE if fleet else 0.0,
        minimise_fleet=fleet,
        workers=workers,
    )
    if method in ("rr", "rr-absences"):
        fleet_method = "absences" if method == "rr-absences" else "warp"
        return replace(base, ruin_recreate=RrParams(fleet_method=fleet_method), first_search_share=0.1)
    return replace(base, lns=True)


def run_instance(
    set_name: str,
    path: Path,
    seconds: float,
    with_pyvrp: bool,
    method: str = "rr",
    workers: int = 1,
    ours: bool = True,
) -> dict:
    """Solve one instance (ours unless ``ours`` is false, then optionally PyVRP) and return the
    figures as a JSON-safe dict."""
    set_name = ALIASES.get(set_name, set_name)
    reader = SETS[set_name][2]
    inst: BenchInstance = reader(path)
    row: dict = {"instance": inst.name, "requests": len(inst.problem.requests), "budget_s": seconds}
    began = time.monotonic()
    if not ours:
        row |= {"vehicles": None, "distance": None, "feasible": False, "skipped": True}
    else:
        try:
            solution = solve(inst.problem, params_for(set_name, seconds, method, workers))
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

        fixed = LI_LIM_VEHICLE_COST if set_name == "li_lim" else 0.0
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


def print_table(rows: list[dict], with_pyvrp: bool, hierarchical: bool) -> None:
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
    summary = summarise(rows, hierarchical)
    print("-" * len(head))
    if hierarchical:
        for entry in by_class(rows):
            line = f"  {entry['class']:8} {entry['instances']:3d}"
            for who in ("ours", "pyvrp"):
                if who in entry:
                    e = entry[who]
                    line += (
                        f" | {who}: BKS fleet {e['bks_fleet']}, surplus {e['surplus']}, at BKS {e['at_bks']}, "
                        f"gap {_num(e['mean_gap_pct'], 0, 2)} %"
                    )
            print(line)
        print("-" * len(head))
    scope = "same-fleet" if hierarchical else "all"
    print(
        f"平均ギャップ / mean gap ({scope}): ours {_num(summary['mean_gap_pct'], 0, 2)} % "
        f"over {summary['gap_instances']} instance(s)"
        + (
            f"; pyvrp {_num(summary.get('pyvrp_mean_gap_pct'), 0, 2)} % over {summary.get('pyvrp_gap_instances')}"
            if "pyvrp_feasible" in summary
            else ""
        )
    )
    if "paired_instances" in summary:
        print(
            f"同じ車両数の組 / instances where ours, PyVRP and the best-known use the same fleet: "
            f"{summary['paired_instances']}, mean gap ours {_num(summary['paired_mean_gap_pct'], 0, 2)} % "
            f"vs pyvrp {_num(summary['paired_pyvrp_mean_gap_pct'], 0, 2)} %"
        )
    print(
        f"超過車両 / vehicles above best-known: ours {summary['extra_vehicles']}"
        + (f", pyvrp {summary.get('pyvrp_extra_vehicles')}" if "pyvrp_feasible" in summary else "")
        + f"; valid ours {summary['feasible']}/{len(rows)}"
        + (f", pyvrp {summary['pyvrp_feasible']}/{len(rows)}" if "pyvrp_feasible" in summary else "")
        + f"; mean wall time {summary['mean_seconds']:.1f} s, "
        + f"largest over budget (ours) {summary['max_overrun_s']:+.2f} s"
    )


def _same_fleet(target: dict, row: dict, hierarchical: bool = True) -> bool:
    """Whether ``target`` (ours or PyVRP's part of ``row``) has a gap that counts: any gap, or on a
    hierarchical set only one at the best-known fleet."""
    return target.get("gap_pct") is not None and (
        not hierarchical or target.get("vehicles") == row.get("bks_vehicles")
    )


def _excess(target: dict, row: dict) -> int:
    """Vehicles of ``target`` above the best-known fleet of ``row``."""
    return max(0, (target.get("vehicles") or 0) - (row.get("bks_vehicles") or 0))


def summarise(rows: list[dict], hierarchical: bool = True) -> dict:
    """Totals of one run. ``hierarchical`` (vehicles first): the mean gap counts only instances whose
    fleet equals the best-known one; otherwise every instance with a gap counts."""

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    def same_fleet(target: dict, row: dict) -> bool:
        return _same_fleet(target, row, hierarchical)

    ours = [r["gap_pct"] for r in rows if same_fleet(r, r)]
    out = {
        "mean_gap_pct": mean(ours),
        "gap_instances": len(ours),
        "mean_seconds": mean([r["seconds"] for r in rows]) or 0.0,
        "feasible": sum(1 for r in rows if r["feasible"]),
        "extra_vehicles": sum(_excess(r, r) for r in rows),
        "max_overrun_s": max((r["seconds"] - r["budget_s"] for r in rows), default=0.0),
    }
    with_pyvrp = [r for r in rows if "pyvrp" in r]
    if with_pyvrp:
        theirs = [r["pyvrp"]["gap_pct"] for r in with_pyvrp if same_fleet(r["pyvrp"], r)]
        paired = [r for r in with_pyvrp if same_fleet(r, r) and same_fleet(r["pyvrp"], r)]
        out |= {
            "pyvrp_mean_gap_pct": mean(theirs),
            "pyvrp_gap_instances": len(theirs),
            "pyvrp_feasible": sum(1 for r in with_pyvrp if r["pyvrp"]["feasible"]),
            "pyvrp_extra_vehicles": sum(_excess(r["pyvrp"], r) for r in with_pyvrp),
            "paired_instances": len(paired),
            "paired_mean_gap_pct": mean([r["gap_pct"] for r in paired]),
            "paired_pyvrp_mean_gap_pct": mean([r["pyvrp"]["gap_pct"] for r in paired]),
        }
    return out


def load_rows(paths: Path | list[Path], seconds: float, names: list[str], part: str | None) -> dict[str, dict]:
    """Rows by instance from earlier ``--json`` runs (one, or several that split the instances) at
    ``seconds`` per instance, together covering every one of ``names`` (figures at another budget
    are no comparison): PyVRP's part (``part="pyvrp"``) or our own (``None``; a run that skipped
    ours does not count)."""
    rows: dict[str, dict] = {}
    for path in [paths] if isinstance(paths, Path) else paths:
        try:
            payload = json.loads(path.read_text())
            found = {r["instance"]: r for r in payload["instances"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a results file of this benchmark ({exc})") from exc
        if payload.get("seconds") != seconds:
            raise ValueError(f"{path} ran at {payload.get('seconds')} s per instance, this run at {seconds:g} s")
        wanted = (lambda r: not r.get("skipped")) if part is None else (lambda r: part in r)
        rows |= {n: r for n, r in found.items() if wanted(r)}
    if part is None:
        missing = [n for n in names if n not in rows or rows[n].get("skipped")]
        label = "our"
    else:
        missing = [n for n in names if part not in rows.get(n, {})]
        label = "PyVRP"
    if missing:
        raise ValueError(f"no {label} figures for {', '.join(missing[:5])}" + (" ..." if len(missing) > 5 else ""))
    drop = ("gap_pct", "bks_vehicles", "bks_distance")
    return {n: {k: v for k, v in (rows[n] if part is None else rows[n][part]).items() if k not in drop} for n in names}


def load_pyvrp_rows(paths: Path | list[Path], seconds: float, names: list[str]) -> dict[str, dict]:
    """PyVRP's figures by instance from earlier ``--json`` runs (see :func:`load_rows`)."""
    return load_rows(paths, seconds, names, "pyvrp")


_CLASS = re.compile(r"^([a-z]+\d)(?:\d\d|_(\d+)_\d+)$")


def instance_class(name: str) -> str:
    """Li & Lim class of an instance name: ``lc101`` -> ``lc1``, ``lrc2_4_1`` -> ``lrc2_4``; any
    other name is its own class."""
    m = _CLASS.match(name)
    if m is None:
        return name
    return m.group(1) + (f"_{m.group(2)}" if m.group(2) else "")


def by_class(rows: list[dict]) -> list[dict]:
    """Per class (vehicles first): instances, ours and PyVRP at the best-known fleet, their surplus
    vehicles, how many at the best-known solution (its fleet, distance within 0.01%) and the mean gap
    over the instances at the best-known fleet."""

    def part(targets: list[tuple[dict, dict]]) -> dict:
        fleet = [t for t, r in targets if _same_fleet(t, r)]
        return {
            "bks_fleet": len(fleet),
            "surplus": sum(_excess(t, r) for t, r in targets),
            "at_bks": sum(1 for t in fleet if t["gap_pct"] <= 0.01),
            "mean_gap_pct": sum(t["gap_pct"] for t in fleet) / len(fleet) if fleet else None,
        }

    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(instance_class(row["instance"]), []).append(row)
    out = []
    for name, members in groups.items():
        entry = {"class": name, "instances": len(members)}
        if not any(r.get("skipped") for r in members):
            entry["ours"] = part([(r, r) for r in members])
        if all("pyvrp" in r for r in members):
            entry["pyvrp"] = part([(r["pyvrp"], r) for r in members])
        out.append(entry)
    return out


def pyvrp_available() -> bool:
    """Whether the PyVRP baseline can run here (the package is optional)."""
    return importlib.util.find_spec("pyvrp") is not None


def _num(value: float | None, width: int, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{'-':>{width}}" if width else "-"
    return f"{value:{width}.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--set", required=True, choices=sorted(SETS) + sorted(ALIASES), help="file format and objective"
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="budget per instance (default 60)")
    parser.add_argument("--data-dir", type=Path, default=None, help="bench_data folder")
    parser.add_argument("--instances", type=Path, default=None, help="folder of instance files (overrides the set's)")
    parser.add_argument("--bks", type=Path, default=None, help="BKS.csv (overrides the set's)")
    parser.add_argument("--limit", type=int, default=None, help="first N instances only")
    parser.add_argument("--only", default=None, help="comma-separated instance names")
    parser.add_argument("--json", type=Path, default=None, help="write per-instance results here")
    parser.add_argument("--pyvrp", action=argparse.BooleanOptionalAction, default=None, help="also run PyVRP")
    parser.add_argument(
        "--pyvrp-from",
        type=Path,
        action="append",
        default=None,
        help="take PyVRP's figures from this earlier --json run at the same budget instead of running it "
        "(repeat for runs that split the instances)",
    )
    parser.add_argument(
        "--ours-from",
        type=Path,
        action="append",
        default=None,
        help="take our figures from this earlier --json run at the same budget instead of solving "
        "(with --pyvrp-from: a combined report of two separate runs)",
    )
    parser.add_argument(
        "--ours", action=argparse.BooleanOptionalAction, default=True, help="run our solver (--no-ours: PyVRP only)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="instances solved in parallel (processes)")
    parser.add_argument(
        "--method",
        choices=("rr", "rr-absences", "ortools"),
        default="rr",
        help="rr: compiled ruin-and-recreate (route minimisation by time warp); rr-absences: the same with the "
        "absence-counter pool; ortools: earlier"
    )
    parser.add_argument("--workers", type=int, default=1, help="parallel seeds per instance (processes)")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.jobs < 1 or args.workers < 1 or (args.limit is not None and args.limit < 1):
        print("error: --seconds, --jobs, --workers and --limit must be positive", file=sys.stderr)
        return 2

    set_name = ALIASES.get(args.set, args.set)
    data = args.data_dir or default_data_dir()
    folder, bks_file, _ = SETS[set_name]
    instances_dir = args.instances or data / folder
    # Another folder's instances are not the set's: its best-known table would give false gaps.
    bks_path = args.bks or (data / bks_file if args.instances is None else None)
    if args.instances is not None and not instances_dir.is_dir():
        print(f"error: --instances {instances_dir} is not a folder", file=sys.stderr)
        return 2
    if not instances_dir.is_dir():
        print(f"skipped: no instance folder at {instances_dir} (set --data-dir or KANRA_BENCH_DATA)")
        return 0
    paths = sorted(instances_dir.glob("*.txt"))
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
    if not paths:
        print(f"error: no *.txt instance files in {instances_dir}", file=sys.stderr)
        return 2
    reader = SETS[set_name][2]
    for p in paths:
        try:
            reader(p)
        except (ValueError, IndexError) as exc:
            print(f"error: {p.name} is not a {set_name} instance: {exc}", file=sys.stderr)
            return 2
    with_pyvrp = args.pyvrp if args.pyvrp is not None else set_name == "li_lim"
    earlier: dict[str, dict] = {}
    if args.pyvrp_from is not None:
        try:
            earlier = load_pyvrp_rows(args.pyvrp_from, args.seconds, [p.stem for p in paths])
        except ValueError as exc:
            print(f"error: --pyvrp-from: {exc}", file=sys.stderr)
            return 2
        with_pyvrp = False
    ours_earlier: dict[str, dict] = {}
    if args.ours_from is not None:
        try:
            ours_earlier = load_rows(args.ours_from, args.seconds, [p.stem for p in paths], None)
        except ValueError as exc:
            print(f"error: --ours-from: {exc}", file=sys.stderr)
            return 2
        if not args.ours:
            print("error: --ours-from and --no-ours contradict each other", file=sys.stderr)
            return 2
    if not args.ours and not with_pyvrp:
        print("error: --no-ours needs PyVRP to run (installed, and no --no-pyvrp or --pyvrp-from)", file=sys.stderr)
        return 2
    if with_pyvrp and not pyvrp_available():
        print("注意: PyVRP がないため比較を省略 / note: PyVRP is not installed; its baseline is skipped")
        with_pyvrp = False
    if args.bks is not None and not bks_path.is_file():
        print(f"error: --bks {bks_path} is not a file", file=sys.stderr)
        return 2
    bks = read_bks(bks_path) if bks_path is not None and bks_path.is_file() else {}

    print(
        f"{set_name}: {len(paths)} instance(s), {args.seconds:g} s each, jobs={args.jobs}, method={args.method}, "
        f"workers={args.workers}; load average {os.getloadavg()[0]:.2f}"
        + (", PyVRP after ours on the same budget" if with_pyvrp else "")
        + (f", PyVRP's figures from {', '.join(map(str, args.pyvrp_from))}" if earlier else "")
    )
    load_before = os.getloadavg()[0]
    rows: list[dict] = []
    if ours_earlier and not with_pyvrp:
        rows = [{k: v for k, v in ours_earlier[p.stem].items() if k != "pyvrp"} for p in paths]
    elif args.jobs == 1:
        for p in paths:
            ours = args.ours and not ours_earlier
            rows.append(run_instance(set_name, p, args.seconds, with_pyvrp, args.method, args.workers, ours))
            print(f"  {p.stem}: done in {rows[-1]['seconds']:.1f} s", flush=True)
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = [
                pool.submit(
                    run_instance,
                    set_name, p, args.seconds, with_pyvrp, args.method, args.workers, args.ours and not ours_earlier,
                )
                for p in paths
            ]
            rows = [f.result() for f in futures]
    if ours_earlier:
        for row in rows:  # PyVRP run here, ours from the file
            row.pop("skipped", None)
            row |= {k: v for k, v in ours_earlier[row["instance"]].items() if k not in ("pyvrp", "seconds")}
            row["seconds"] = ours_earlier[row["instance"]]["seconds"]
    for row in rows:
        if row["instance"] in earlier:
            row["pyvrp"] = earlier[row["instance"]]
        add_gaps(row, bks)
    print_table(rows, with_pyvrp or bool(earlier), set_name == "li_lim")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"set": set_name, "seconds": args.seconds, "jobs": args.jobs, "method": args.method}
        payload |= {"workers": args.workers, "load_before": load_before, "instances": rows}
        if args.pyvrp_from is not None:
            payload["pyvrp_from"] = [str(p) for p in args.pyvrp_from]
        if args.ours_from is not None:
            payload["ours_from"] = [str(p) for p in args.ours_from]
        payload["summary"] = summarise(rows, set_name == "li_lim")
        if set_name == "li_lim":
            payload["by_class"] = by_class(rows)
        args.json.write_text(json.dumps(payload, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Planning-run speed: one replication of each shipped scenario (goal < 15 s each) and a 2 x 3 sweep of
2 replications on a Dask LocalCluster of this machine's cores (goal <= 120 s).

Usage::

    python benchmarks/sim_planning.py [--json PATH] [--skip-sweep] [--workers N]

The sweep is ``baseline_municipal.yaml`` with ``demand.scale=1,1.5`` x ``fleets.Tomioka.vehicles=4,5,6``,
2 replications per point (12 simulated days), timed from cluster start to the files written. The load
average before and after is printed: on a shared machine the figures are pessimistic.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.cli import main as sim_main  # noqa: E402
from sim.run import load_network, simulate  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

SCENARIOS = ("baseline_municipal", "wide_area", "wide_area_rail_feeder")
REPLICATION_GOAL_S = 15.0
SWEEP_GOAL_S = 120.0


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def replications() -> list[dict]:
    network = load_network()
    rows = []
    for name in SCENARIOS:
        scenario = load_scenario(ROOT / "sim" / "scenarios" / f"{name}.yaml")
        load = _load()
        began, cpu = time.perf_counter(), time.process_time()
        result = simulate(scenario, network)
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        rows.append({"case": f"1 replication: {name}", "requests": result.kpis["requests"],
                     "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                     "reoptimiser_share": round(result.solver_share, 2),
                     "clock_bound_reoptimisations": result.records.clock_bound_reoptimisations,
                     "load_before": load, "load_after": _load(), "goal_s": REPLICATION_GOAL_S,
                     "met": wall < REPLICATION_GOAL_S})
    return rows


def sweep(workers: int | None) -> dict:
    load = _load()
    with tempfile.TemporaryDirectory() as tmp:
        args = ["sweep", str(ROOT / "sim" / "scenarios" / "baseline_municipal.yaml"), "--vary", "demand.scale=1,1.5",
                "--vary", "fleets.Tomioka.vehicles=4,5,6", "--replications", "2", "--out", tmp, "--no-progress"]
        if workers:
            args += ["--workers", str(workers)]
        began = time.perf_counter()
        code = sim_main(args)
        wall = time.perf_counter() - began
        doc = json.loads((Path(tmp) / "sweep.json").read_text(encoding="utf-8")) if code == 0 else {"points": []}
    runs = [r for p in doc["points"] for r in p.get("replication_runs", [])]
    return {"case": "sweep 2 x 3 x 2 replications (LocalCluster)", "exit": code, "wall_s": round(wall, 1),
            "replications": len(runs),
            "mean_replication_s": round(sum(r["wall_s"] for r in runs) / max(1, len(runs)), 1),
            "cpu_s": round(sum(r["cpu_s"] for r in runs), 1),
            "workers": workers or os.cpu_count(), "load_before": load, "load_after": _load(), "goal_s": SWEEP_GOAL_S,
            "met": code == 0 and wall <= SWEEP_GOAL_S}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--workers", type=int, help="LocalCluster workers (default: the cores)")
    args = parser.parse_args(argv)
    rows = replications()
    if not args.skip_sweep:
        rows.append(sweep(args.workers))
    head = ["case", "wall_s", "cpu_s", "goal_s", "met", "load_before", "load_after"]
    widths = [max(len(str(r.get(h, ""))) for r in [dict(zip(head, head, strict=True)), *rows]) for h in head]
    for r in [dict(zip(head, head, strict=True)), *rows]:
        print("  ".join(str(r.get(h, "")).ljust(w) for h, w in zip(head, widths, strict=True)))
    print(f"{os.cpu_count()} cores, {platform.python_version()}; load averages are the machine's (shared)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"cases": rows, "cores": os.cpu_count()}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

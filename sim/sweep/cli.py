"""``sim sweep SCENARIO --vary KEY=V1,V2 [--vary ...] --replications N [--target EXPR] [--scheduler ADDR]
--out DIR``: the grid, run on Dask, written as sweep.csv / sweep.json / sweep.html."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.schema import ScenarioError


def add_sweep_parser(sub) -> None:
    sweep = sub.add_parser("sweep", help="run a grid of scenario variants, each replicated, on Dask")
    sweep.add_argument("scenario", type=Path)
    sweep.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2,...",
                       help="a scenario key by dotted path and its values, e.g. fleets.Tomioka.vehicles=4,5,6 "
                            "(repeat for a grid; service_hours=08:00-17:00,08:00-19:00 sets hours and shifts)")
    sweep.add_argument("--replications", type=int, default=3, help="replications per point (default 3)")
    sweep.add_argument("--target", help='service level to size for, e.g. "rejection_rate<=0.05 and wait_p95_min<=15"')
    sweep.add_argument("--scheduler", help="address of an existing Dask scheduler (tcp://host:port); "
                                           "default: a LocalCluster on this machine's cores")
    sweep.add_argument("--workers", type=int, help="worker processes of the LocalCluster (default: the cores)")
    sweep.add_argument("--days", type=int, help="service days per replication (default: the scenario's)")
    sweep.add_argument("--out", type=Path, help="output folder (default: out/sweep_<scenario>)")
    sweep.add_argument("--no-progress", action="store_true")


def sweep_command(args: argparse.Namespace) -> int:
    """Validate everything, run the grid, write the files; 0 even when some points failed (they are listed)."""
    from tqdm import tqdm

    from sim.kpis import compute_kpis
    from sim.records import RunRecords
    from sim.scenario import read_scenario_data
    from sim.sweep.grid import build_grid, fleet_keys, parse_variation
    from sim.sweep.output import sweep_document, write_csv, write_html, write_json
    from sim.sweep.runner import open_client, run_sweep
    from sim.sweep.sizing import answer
    from sim.sweep.target import parse_target

    if args.replications < 1:
        raise ScenarioError(f"--replications must be at least 1, got {args.replications}")
    if args.days is not None and args.days < 1:
        raise ScenarioError("--days must be at least 1")
    if args.workers is not None and args.workers < 1:
        raise ScenarioError(f"--workers must be at least 1, got {args.workers}")
    variations = [parse_variation(text) for text in args.vary]
    data = read_scenario_data(args.scenario)
    if args.days is not None and isinstance(data, dict):
        data = {**data, "days": args.days}
    points = build_grid(data, args.scenario, variations)
    keys = [v.key for v in variations]
    base = points[0].scenario
    target = parse_target(args.target, compute_kpis(RunRecords(), base, {})) if args.target else None
    out = args.out or Path("out") / f"sweep_{base.name}"
    began = time.perf_counter()
    try:
        client = open_client(args.scheduler, args.workers)
    except (OSError, TimeoutError) as exc:
        raise ScenarioError(f"--scheduler {args.scheduler}: cannot connect ({exc})") from None
    try:
        where = args.scheduler or f"LocalCluster ({len(client.scheduler_info()['workers'])} workers)"
        print(f"{len(points)} 点 × {args.replications} 回 / points × replications on {where}", file=sys.stderr)
        bar = tqdm(total=len(points), unit="point", disable=args.no_progress, desc="sweep")

        def on_point(result) -> None:
            bar.update(1)
            if not result.ok:
                tqdm.write(f"sim sweep: 失敗 / failed: {result.point.label}: {result.error}", file=sys.stderr)

        results = run_sweep(points, args.replications, client, on_point)
        bar.close()
    finally:
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None:
            cluster.close()
    sized = answer(target, results, fleet_keys(variations)) if target is not None else None
    document = sweep_document(base.name, keys, args.replications, args.scheduler or "LocalCluster", results, sized)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "sweep.csv", keys, results)
    write_json(out / "sweep.json", document)
    write_html(out / "sweep.html", document, results)
    _print(keys, results, sized)
    failed = [r for r in results if not r.ok]
    done, took = len(results) - len(failed), time.perf_counter() - began
    print(f"\n{len(results)} 点中 {done} 点完了（{took:.0f} 秒） / {done} of {len(results)} points done in {took:.0f} s"
          + (f"; {len(failed)} 点失敗 / {len(failed)} failed (理由 / reasons: sweep.csv)" if failed else ""))
    clock = sum(r.clock_bound_reoptimisations for r in results)
    if clock:
        print(f"sim: 注意 再最適化 {clock} 回が時間上限で停止（結果は負荷に依存し再現しない場合あり） / "
              f"warning: {clock} re-optimisation(s) stopped on their time cap; results may not repeat",
              file=sys.stderr)
    print(f"出力 / files: {out / 'sweep.csv'}, {out / 'sweep.json'}, {(out / 'sweep.html').resolve()}")
    return 0


def _print(keys: list[str], results, sized) -> None:
    from sim.kpis import TABLE_ROWS, format_value, lookup
    from sim.paired import text_table

    wanted = ("rejection_rate", "wait_min.p95", "cost_per_rider_yen", "rides_per_vehicle_hour")
    shown = [row for key in wanted for row in TABLE_ROWS if row[1] == key]
    head = [*keys, *(label for label, _, _ in shown)]
    rows = []
    for r in results:
        cells = [str(r.point.values[k]) for k in keys]
        if r.ok:
            cells += [format_value(lookup(r.kpis, key), fmt) for _, key, fmt in shown]
        else:
            cells += [f"失敗 / failed: {r.error}"[:60], "", "", ""]
        rows.append(cells)
    print(text_table(head, rows))
    if sized is not None:
        print(f"\n目標 / target: {sized['expression']} (95%信頼限界で判定 / judged on the 95% bound)")
        for a in sized["answers"]:
            found = a["label"] if a["point"] is not None else "目標を満たす点なし / no point meets it"
            print(f"  {a['scope']}: {found}")

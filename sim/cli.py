"""``sim run SCENARIO.yaml``, ``sim compare A.yaml B.yaml`` and ``sim sweep SCENARIO.yaml --vary ...``.

Bad input (a missing or invalid scenario, unknown keys, a malformed CSV row) exits with code 2 and a
one-line message, never a stack trace.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from tqdm import tqdm

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
    _replication_args(run)
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument("--history-url", help="also write each day into the history store at this SQLAlchemy URL "
                                           "(postgresql+psycopg://...), for python -m api.report")
    cmp = sub.add_parser("compare", help="run two scenarios on the same demand and compare their KPIs")
    cmp.add_argument("a", type=Path)
    cmp.add_argument("b", type=Path)
    cmp.add_argument("--days", type=int)
    cmp.add_argument("--seed", type=int)
    cmp.add_argument("--out", type=Path, help="output folder (default: out/compare_<a>_<b>)")
    _replication_args(cmp)
    cmp.add_argument("--no-progress", action="store_true")
    from sim.sweep.cli import add_sweep_parser

    add_sweep_parser(sub)
    return parser


def _replication_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--replications", type=int, default=1,
                        help="independent replications (seeds derived from the scenario's); KPIs get a 95%% CI")
    parser.add_argument("--workers", type=int, help="parallel processes for replications (default: the cores)")


def _load(path: Path, days: int | None, seed: int | None) -> Scenario:
    if days is not None and days < 1:
        raise ScenarioError("--days must be at least 1")
    return load_scenario(path).with_overrides(days=days, seed=seed)


def _check_replications(args: argparse.Namespace) -> None:
    if args.replications < 1:
        raise ScenarioError(f"--replications must be at least 1, got {args.replications}")
    if args.workers is not None and args.workers < 1:
        raise ScenarioError(f"--workers must be at least 1, got {args.workers}")


def _run(args: argparse.Namespace) -> int:
    from sim.replications import aggregate, means, replicate, replication_seeds, run_replications
    from sim.run import load_network, write_outputs

    _check_replications(args)
    scenario = _load(args.scenario, args.days, args.seed)
    network = load_network()
    history = None
    if args.history_url:
        if args.replications != 1:
            raise ScenarioError("--history-url writes the days of one run: use it with --replications 1")
        from api.history.sim_days import SimHistory
        from sim.fleet import fare_table

        try:
            history = SimHistory(args.history_url, scenario.name, network, fare_table(scenario, network.facts))
        except Exception as exc:  # a bad URL or no server: say so, no stack trace
            raise ScenarioError(f"--history-url: cannot open the history store: {str(exc).splitlines()[0]}") from None
    seeds = replication_seeds(scenario.seed, args.replications)
    bar = tqdm(total=len(seeds), unit="rep", disable=args.no_progress or len(seeds) == 1, desc=scenario.name)
    if history is not None:
        runs = [replicate(scenario, seeds[0], None, True, day_done=history.day_done)]
        history.close()
        print(f"履歴DBに {len(history.days)} 日を書き込みました / wrote {len(history.days)} day(s) to the history")
    else:
        runs = run_replications([(scenario, s, None, i == 0) for i, s in enumerate(seeds)], args.workers, bar.update)
    bar.close()
    first = runs[0].result
    kpis = first.kpis if len(runs) == 1 else aggregate([r.kpis for r in runs], seeds)
    out = args.out or Path("out") / scenario.name
    paths = write_outputs(first, network, out, kpis)
    print(format_table({_column(scenario.name, len(runs)): kpis}))
    fleets = means(kpis).get("per_fleet", {})
    print("車両群別の車両1時間あたり乗車人回 / rides per vehicle-hour by fleet: " + ", ".join(
        f"{name} {_round(row['rides_per_vehicle_hour'])}" for name, row in fleets.items()))
    wall = sum(r.wall_s for r in runs)
    print(f"\n依頼 {first.kpis['requests']} 件、{first.kpis['days']} 日 / {first.kpis['requests']} requests over "
          f"{first.kpis['days']} day(s) per replication, "
          f"{len(runs)} replication(s) (seeds {', '.join(map(str, seeds[:4]))}{', ...' if len(seeds) > 4 else ''}),"
          f" {wall / len(runs):.1f} s each ({100 * first.solver_share:.0f}% in the re-optimiser)")
    _warn_clock(sum(r.clock_bound_reoptimisations for r in runs))
    print(f"報告書 / report: {paths['report'].resolve()}")
    print(f"データ / data: {paths['kpis']}, {paths['xlsx']}, {paths['legs']}, {paths['vehicles']}")
    return 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _column(name: str, replications: int) -> str:
    return name if replications == 1 else f"{name} (平均 [95%信頼区間] / mean [95% CI], n={replications})"


def _compare(args: argparse.Namespace) -> int:
    from sim.paired import compare_document, format_paired
    from sim.replications import aggregate, means, replication_seeds, run_replications
    from sim.report.html import compare_report
    from sim.run import load_network, write_outputs

    _check_replications(args)
    a = _load(args.a, args.days, args.seed)
    b = _load(args.b, args.days, args.seed)
    names = (a.name, b.name) if a.name != b.name else (f"{a.name} (A)", f"{b.name} (B)")
    network = load_network()
    seeds = replication_seeds(a.seed, args.replications)
    # Common random numbers: in replication i both scenarios see the requests of A's demand on seed i.
    tasks = [(sc, s, a, i == 0) for i, s in enumerate(seeds) for sc in (a, b)]
    bar = tqdm(total=len(tasks), unit="run", disable=args.no_progress, desc="compare")
    runs = run_replications(tasks, args.workers, bar.update)
    bar.close()
    out = args.out or Path("out") / f"compare_{a.name}_{b.name}"
    sides = []
    for k, name in enumerate(names):
        mine = runs[k::2]
        kpis = mine[0].kpis if len(mine) == 1 else aggregate([r.kpis for r in mine], seeds)
        write_outputs(mine[0].result, network, out / name.replace(" ", "_"), kpis)
        sides.append(kpis)
        _warn_clock(sum(r.clock_bound_reoptimisations for r in mine), name)
    document = compare_document(names, (sides[0], sides[1]), seeds)
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "compare.html").write_text(compare_report({n: means(k) for n, k in zip(names, sides, strict=True)},
                                                     document), encoding="utf-8")
    print(format_paired(document))
    if len(seeds) > 1:
        print(f"\n{len(seeds)} 回の反復、共通乱数（各反復で同じ需要）/ {len(seeds)} replications on common random"
              " numbers; n.s. = 差の95%信頼区間が0を含む / the difference's 95% interval contains 0")
    print(f"\n報告書 / report: {(out / 'compare.html').resolve()} (各シナリオ / runs in {out}/<scenario>/)")
    return 0


def _warn_clock(count: int, name: str = "") -> None:
    """Say when a re-optimisation stopped on its time cap: then the run may not repeat exactly."""
    if count:
        where = f"{name}: " if name else ""
        print(f"sim: 注意 {where}再最適化 {count} 回が時間上限で停止（結果は負荷に依存し再現しない場合あり）"
              f" / warning: {where}{count} re-optimisation(s) stopped on their time cap (reoptimisation.time_limit);"
              " results depend on machine load and may not repeat", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sim`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "sweep":
            from sim.sweep.cli import sweep_command

            return sweep_command(args)
        return _run(args) if args.command == "run" else _compare(args)
    except ScenarioError as exc:
        print(f"sim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sim: interrupted", file=sys.stderr)
        return 130

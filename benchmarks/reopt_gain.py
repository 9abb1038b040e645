"""Re-optimisation gain: vehicle-km of insertion alone vs insertion plus OR-Tools re-optimisation.

Usage::

    python benchmarks/reopt_gain.py [--json PATH] [--seconds 10] [--vehicles 12] [--bookings 160]
                                    [--every-min 60] [--data-dir DIR] [--synthetic] [--seed 0]
                                    [--method ortools|rr]

Two simulated days on the regional network (a synthetic grid when its data are absent), each run twice
on the same request stream, once with insertion only and once with re-optimisation:

* ``prebooked``: every booking is made the day before; one re-optimisation (``--seconds``) at 07:00.
* ``mixed``: half the bookings are made the day before, half on the day (15-120 min ahead), confirmed at
  once; vehicles execute their plans (boarding and drop-offs on time) as the clock runs. Re-optimisation
  runs at 07:00 and every ``--every-min`` minutes of the service day, sharing ``--seconds`` between them.

``--method rr`` re-optimises with the ruin-and-recreate search (``SolveParams.ruin_recreate``) from
the current plans instead of the OR-Tools model (its kernels are loaded before the first day).

Vehicle-km counts what vehicles drive from depot to depot over the whole day. Goal (issue "Dispatch
core"): re-optimisation saves >= 5% vehicle-km within 10 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (  # noqa: E402
    H,
    driven_metres,
    execute_until,
    load_area,
    make_fleet,
    print_table,
    random_booking,
    synthetic_area,
    write_json,
)
from dispatch.model import Booking, Offer  # noqa: E402
from dispatch.online.dispatcher import Dispatcher  # noqa: E402
from dispatch.solver.params import REOPT_METHODS, SolveParams, for_method  # noqa: E402
from dispatch.solver.rr import warm_up  # noqa: E402


def request_stream(area, n: int, same_day_share: float, seed: int) -> list[tuple[int, Booking]]:
    """``(booked_at, booking)`` in booking order; pre-booked ones the evening before."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        b = random_booking(rng, area, f"r{k:04d}")
        if rng.random() < same_day_share:
            at = b.requested_time - int(rng.integers(15 * 60, 120 * 60 + 1))
        else:
            at = -86_400 + 18 * H + int(rng.integers(0, 3 * H))
        out.append((at, b))
    out.sort(key=lambda item: item[0])
    return out


def run_day(area, stream, vehicles: int, reopt_times: list[int], seconds: float, method: str = "ortools") -> dict:
    params = for_method(SolveParams(), method)
    d = Dispatcher(area.costs, make_fleet(vehicles, area.depots), service_day="2026-12-01", solve_params=params)
    per_run = seconds / len(reopt_times) if reopt_times else 0.0
    pending = sorted(reopt_times)
    runs = []
    began = time.perf_counter()

    def reopt_until(t: int) -> None:
        while pending and pending[0] <= t:
            at = pending.pop(0)
            execute_until(d, at)
            runs.append(d.reoptimise(at, time_limit_s=per_run))

    for at, b in stream:
        reopt_until(at)
        execute_until(d, at)
        answer = d.request(replace(b), at)
        if isinstance(answer, Offer):
            d.confirm(b.id, at)
    reopt_until(24 * H)
    execute_until(d, 24 * H)
    served = sum(1 for b in d.bookings() if b.status.value == "completed")
    km = driven_metres(d) / 1000
    problems = d.check()
    return {
        "vehicle_km": km,
        "served": served,
        "rejected": d.stats.rejected,
        "km_per_ride": km / served if served else float("nan"),
        "reopt_runs": len(runs),
        "reopt_published": sum(r.improved for r in runs),
        "solver_s": d.stats.solver_seconds,
        "wall_s": time.perf_counter() - began,
        "valid": not problems,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", metavar="PATH", help="write results as JSON")
    ap.add_argument("--seconds", type=float, default=10.0, help="re-optimisation budget per day, s (default 10)")
    ap.add_argument("--vehicles", type=int, default=12)
    ap.add_argument("--bookings", type=int, default=160)
    ap.add_argument("--every-min", type=int, default=60, help="minutes between re-optimisations on the day")
    ap.add_argument("--data-dir", help="regional network data directory (default: routing's)")
    ap.add_argument("--synthetic", action="store_true", help="use a synthetic grid instead of the regional network")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--method", choices=REOPT_METHODS, default="ortools", help="re-optimiser (default ortools)")
    args = ap.parse_args(argv)
    if args.seconds <= 0 or args.vehicles < 1 or args.bookings < 1 or args.every_min < 1:
        raise SystemExit("reopt_gain: --seconds, --vehicles, --bookings and --every-min must be positive")
    area = synthetic_area() if args.synthetic else load_area(args.data_dir)
    print(f"network: {area.label}; {args.vehicles} vehicles, {args.bookings} requests, {args.seconds:g} s budget, "
          f"re-optimiser {args.method}")
    if args.method == "rr":
        warm_up()
    day = list(range(8 * H, 17 * H, args.every_min * 60))
    scenarios = {
        "prebooked": (0.0, [7 * H]),
        "mixed": (0.5, [7 * H] + day),
    }
    rows = []
    for name, (share, times) in scenarios.items():
        stream = request_stream(area, args.bookings, share, args.seed)
        alone = run_day(area, stream, args.vehicles, [], 0.0)
        with_reopt = run_day(area, stream, args.vehicles, times, args.seconds, args.method)
        for label, res in (("insertion", alone), ("insertion+reopt", with_reopt)):
            rows.append({"scenario": name, "variant": label, **res})
        saved = 100 * (1 - with_reopt["vehicle_km"] / alone["vehicle_km"])
        saved_per_ride = 100 * (1 - with_reopt["km_per_ride"] / alone["km_per_ride"])
        rows[-1]["saved_pct"] = saved
        rows[-1]["saved_per_ride_pct"] = saved_per_ride
    print_table(rows, ["scenario", "variant", "served", "rejected", "vehicle_km", "km_per_ride", "saved_pct",
                       "saved_per_ride_pct", "reopt_runs", "reopt_published", "solver_s", "valid"])
    write_json(args.json, {
        "benchmark": "reopt_gain",
        "network": area.label,
        "machine": platform.platform(),
        "python": sys.version.split()[0],
        "seconds": args.seconds,
        "method": args.method,
        "vehicles": args.vehicles,
        "bookings": args.bookings,
        "goal_saved_pct": 5.0,
        "results": rows,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())

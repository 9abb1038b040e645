"""Immediate-offer latency: how long ``Dispatcher.request`` takes while the caller is on the phone.

Usage::

    python benchmarks/offer_latency.py [--json PATH] [--sizes 30x300,100x2000] [--requests 200]
                                       [--data-dir data/osm_gunma] [--synthetic]

For each size ``VxB`` a dispatcher with ``V`` vehicles is filled with ``B`` confirmed bookings spread
over the day (home <-> attractor trips on the regional network, or a synthetic grid when its data are
absent), then ``--requests`` further requests are timed one by one; each offer is declined straight
away so the state keeps its size. Rejections are timed too (they include the alternative-time search).
Goals (issue "Dispatch core"): p95 <= 50 ms at 30x300 and <= 200 ms at 100x2000.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (  # noqa: E402
    H,
    fill,
    load_area,
    make_fleet,
    percentiles,
    print_table,
    random_booking,
    synthetic_area,
    write_json,
)
from dispatch.model import Offer  # noqa: E402
from dispatch.online.dispatcher import Dispatcher  # noqa: E402

GOALS_MS = {(30, 300): 50.0, (100, 2000): 200.0}


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        try:
            v, b = part.lower().split("x")
            sizes.append((int(v), int(b)))
        except ValueError:
            raise SystemExit(f"offer_latency: bad size {part!r}; expected VEHICLESxBOOKINGS like 30x300") from None
    return sizes


def run_size(area, vehicles: int, bookings: int, requests: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    d = Dispatcher(area.costs, make_fleet(vehicles, area.depots), service_day="2026-12-01")
    now = 7 * H
    t0 = time.perf_counter()
    active = fill(d, rng, area, bookings, now)
    fill_s = time.perf_counter() - t0
    all_ms, offer_ms, reject_ms = [], [], []
    for n in range(requests):
        b = random_booking(rng, area, f"probe{n:04d}")
        began = time.perf_counter()
        answer = d.request(b, now)
        ms = 1000 * (time.perf_counter() - began)
        all_ms.append(ms)
        if isinstance(answer, Offer):
            offer_ms.append(ms)
            d.decline(b.id, now)
        else:
            reject_ms.append(ms)
    p = percentiles(all_ms)
    goal = GOALS_MS.get((vehicles, bookings))
    return {
        "size": f"{vehicles}x{bookings}",
        "vehicles": vehicles,
        "active_bookings": active,
        "stops_planned": sum(len(pl.stops) for pl in d.plans().values()),
        "requests": requests,
        "offers": len(offer_ms),
        "p50_ms": p["p50"],
        "p95_ms": p["p95"],
        "p99_ms": p["p99"],
        "max_ms": p["max"],
        "offer_p95_ms": percentiles(offer_ms)["p95"],
        "reject_p95_ms": percentiles(reject_ms)["p95"],
        "goal_p95_ms": goal,
        "meets_goal": None if goal is None else p["p95"] <= goal,
        "fill_s": fill_s,
        "plans_valid": not d.check(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", metavar="PATH", help="write results as JSON")
    ap.add_argument("--sizes", default="30x300,100x2000", help="VEHICLESxBOOKINGS,... (default 30x300,100x2000)")
    ap.add_argument("--requests", type=int, default=200, help="timed requests per size (default 200)")
    ap.add_argument("--data-dir", help="regional network data directory (default: routing's)")
    ap.add_argument("--synthetic", action="store_true", help="use a synthetic grid instead of the regional network")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    sizes = parse_sizes(args.sizes)
    if args.requests < 1:
        raise SystemExit("offer_latency: --requests must be at least 1")
    area = synthetic_area() if args.synthetic else load_area(args.data_dir)
    print(f"network: {area.label}; {args.requests} timed requests per size")
    rows = [run_size(area, v, b, args.requests, args.seed) for v, b in sizes]
    print_table(rows, ["size", "active_bookings", "offers", "p50_ms", "p95_ms", "p99_ms", "max_ms",
                       "offer_p95_ms", "reject_p95_ms", "goal_p95_ms", "meets_goal", "plans_valid"])
    write_json(args.json, {
        "benchmark": "offer_latency",
        "network": area.label,
        "machine": platform.platform(),
        "python": sys.version.split()[0],
        "results": rows,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Shared pieces of the dispatcher benchmarks: network, fleet, demand, a tiny executor, tables.

The network is the regional one (``routing.RoadNetwork.load()``: a real OSM extract if built, else the
facts skeleton) when its data directory exists, otherwise a synthetic grid (``routing.synthetic``).
Demand is home <-> attractor trips: homes at 大字 points, attractors at hospitals, shops, stations and
offices, spread over the service day. Times in seconds since midnight, distances in metres.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dispatch.costs import TravelCosts  # noqa: E402
from dispatch.model import Booking, Location, Offer, Shift, StopKind, Vehicle  # noqa: E402
from dispatch.online.dispatcher import Dispatcher  # noqa: E402

H = 3600
ATTRACTORS = frozenset({"hospital", "clinic", "supermarket", "shopping", "station", "municipal_office", "school"})
SERVICE_JIS = frozenset({"10210", "10382", "10383", "10384"})  # Tomioka, Shimonita, Nanmoku, Kanra


@dataclass
class Area:
    """Where demand comes from and goes to, and where vehicles start."""

    costs: TravelCosts
    homes: list[Location]
    attractors: list[Location]
    depots: list[Location]
    label: str


def load_area(data_dir: str | None = None, grid_nodes: int = 2500) -> Area:
    """The regional network if its data are present, else a synthetic grid (label says which)."""
    try:
        from routing import RoadNetwork

        net = RoadNetwork.load(data_dir) if data_dir else RoadNetwork.load()
        places = [p for p in net.places if p.jis_code in SERVICE_JIS]
        homes = [_loc(p) for p in places if p.kind == "oaza"]
        attractors = [_loc(p) for p in places if p.kind in ATTRACTORS]
        depots = [_loc(p) for p in places if p.kind == "municipal_office"]
        if homes and attractors and depots:
            return Area(net, homes, attractors, depots, f"regional ({net.source}, {len(net.node_ids)} nodes)")
    except Exception as exc:  # noqa: BLE001 - any missing data means: fall back, and say so
        print(f"regional network unavailable ({exc}); using a synthetic grid", file=sys.stderr)
    return synthetic_area(grid_nodes)


def synthetic_area(grid_nodes: int = 2500, seed: int = 0) -> Area:
    from routing.synthetic import grid_network

    net = grid_network(grid_nodes, seed=seed)
    rng = np.random.default_rng(seed)
    nodes = [int(n) for n in net.node_ids]
    picked = rng.choice(nodes, size=min(len(nodes), 240), replace=False)
    homes = [Location(int(n), name=f"home {n}") for n in picked[:200]]
    attractors = [Location(int(n), name=f"attractor {n}") for n in picked[200:230]]
    depots = [Location(int(n), name=f"depot {n}") for n in picked[230:]]
    return Area(net, homes, attractors, depots, f"synthetic grid ({len(nodes)} nodes)")


def _loc(place: Any) -> Location:
    return Location(int(place.node), place.lat, place.lon, place.key, place.name_ja, place.jis_code)


def make_fleet(n: int, depots: Sequence[Location], seats: int = 7, wheelchair_every: int = 3) -> list[Vehicle]:
    """``n`` vehicles on 08:00-17:00 shifts, depots in turn; every ``wheelchair_every``-th has a wheelchair place."""
    return [
        Vehicle(
            f"v{i:03d}",
            depots[i % len(depots)].jis_code or "",
            seats=seats,
            wheelchair_places=1 if i % wheelchair_every == 0 else 0,
            shifts=(Shift(8 * H, 17 * H, depots[i % len(depots)]),),
        )
        for i in range(n)
    ]


def random_booking(
    rng: np.random.Generator, area: Area, bid: str, first: int = 8 * H + 30 * 60, last: int = 16 * H
) -> Booking:
    """A home <-> attractor trip of 1-2 riders (5% wheelchair) at a uniform time in [first, last]."""
    home = area.homes[int(rng.integers(len(area.homes)))]
    goal = area.attractors[int(rng.integers(len(area.attractors)))]
    while goal.node == home.node:
        goal = area.attractors[int(rng.integers(len(area.attractors)))]
    pickup, dropoff = (home, goal) if rng.random() < 0.55 else (goal, home)
    wheelchair = rng.random() < 0.05
    seats = 0 if wheelchair else int(rng.choice([1, 1, 1, 2]))
    at = int(rng.integers(first, last))
    return Booking(bid, pickup, dropoff, at, seats=seats, wheelchairs=int(wheelchair))


def fill(d: Dispatcher, rng: np.random.Generator, area: Area, target: int, now: int, max_tries: int = 0) -> int:
    """Request and confirm random bookings until ``target`` are active (or tries run out); returns active count."""
    active = sum(1 for b in d.bookings() if b.status.is_active)
    tries = 0
    limit = max_tries or 4 * target
    while active < target and tries < limit:
        tries += 1
        b = random_booking(rng, area, f"fill{tries:05d}")
        if isinstance(d.request(b, now), Offer):
            d.confirm(b.id, now)
            active += 1
    return active


def execute_until(d: Dispatcher, until: int) -> int:
    """Drive every vehicle along its plan up to ``until`` (boarding and dropping off on time); returns events."""
    events = 0
    while True:
        best = None
        for vid, plan in d.plans().items():
            if plan.stops and plan.stops[0].service_start <= until:
                if best is None or plan.stops[0].service_start < best[1].service_start:
                    best = (vid, plan.stops[0])
        if best is None:
            return events
        vid, stop = best
        if stop.kind == StopKind.PICKUP:
            d.board(vid, stop.booking_id, stop.departure)
        else:
            d.drop_off(vid, stop.booking_id, stop.departure)
        events += 1


def driven_metres(d: Dispatcher) -> float:
    """Metres each vehicle drove over its executed stops and still plans, depot to depot."""
    total = 0.0
    for v in d.vehicles:
        depot = v.shifts[0].start_depot.node
        nodes = [depot] + [s.location.node for s in d.executed(v.id)] + [s.location.node for s in d.manifest(v.id)]
        if len(nodes) == 1:
            continue
        nodes.append(v.shifts[-1].return_depot.node)
        _, metres = d.costs.matrices(nodes[:-1], nodes[1:])
        total += float(np.trace(metres))
    return total


def percentiles(values_ms: Iterable[float]) -> dict[str, float]:
    v = np.asarray(list(values_ms), dtype=np.float64)
    if not v.size:
        return {"p50": math.nan, "p95": math.nan, "p99": math.nan, "max": math.nan, "n": 0}
    return {
        "p50": float(np.percentile(v, 50)),
        "p95": float(np.percentile(v, 95)),
        "p99": float(np.percentile(v, 99)),
        "max": float(v.max()),
        "n": int(v.size),
    }


def print_table(rows: list[dict[str, Any]], columns: Sequence[str]) -> None:
    """A plain fixed-width table on stdout."""
    text = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in text)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for t in text:
        print("  ".join(x.ljust(w) for x, w in zip(t, widths, strict=True)))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return "" if value is None else str(value)


def write_json(path: str | None, data: dict[str, Any]) -> None:
    if not path:
        return
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    print(f"wrote {out}")

"""Small instances for dispatcher tests: a line of nodes and a planar cloud, both as MatrixCosts."""

from __future__ import annotations

import numpy as np

from dispatch.costs import MatrixCosts
from dispatch.model import Booking, Location, Shift, TimeKind, Vehicle
from dispatch.online.dispatcher import Dispatcher
from dispatch.rules import ServiceRules

H = 3600
M = 60
DAY = "2026-12-01"


def line_costs(n: int = 21, step_s: float = 120.0, step_m: float = 1000.0) -> MatrixCosts:
    """Nodes 0..n-1 on a line; neighbours ``step_s`` seconds and ``step_m`` metres apart."""
    x = np.arange(n, dtype=np.float64)
    gap = np.abs(x[:, None] - x[None, :])
    return MatrixCosts(gap * step_s, gap * step_m)


def cloud_costs(n: int = 60, size_m: float = 12_000.0, seed: int = 0) -> MatrixCosts:
    rng = np.random.default_rng(seed)
    return MatrixCosts.from_points(rng.uniform(0, size_m, size=(n, 2)), speed_kmh=30.0)


def vehicle(
    vid: str = "v1",
    depot: int = 0,
    seats: int = 4,
    wheelchairs: int = 0,
    start: int = 8 * H,
    end: int = 17 * H,
    area: frozenset[str] | None = None,
) -> Vehicle:
    return Vehicle(
        vid,
        "10210",
        seats=seats,
        wheelchair_places=wheelchairs,
        shifts=(Shift(start, end, Location(depot)),),
        service_area=area,
    )


def booking(
    bid: str,
    pickup: int,
    dropoff: int,
    at: int,
    seats: int = 1,
    wheelchairs: int = 0,
    kind: TimeKind = TimeKind.DEPART_AFTER,
    **extra: object,
) -> Booking:
    return Booking(bid, Location(pickup), Location(dropoff), at, kind, seats=seats, wheelchairs=wheelchairs, **extra)


def dispatcher(costs: MatrixCosts | None = None, vehicles: list[Vehicle] | None = None, **kwargs: object) -> Dispatcher:
    rules = kwargs.pop("rules", None) or ServiceRules()
    return Dispatcher(costs or line_costs(), vehicles or [vehicle()], rules, DAY, **kwargs)  # type: ignore[arg-type]

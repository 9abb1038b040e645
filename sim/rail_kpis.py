"""Rail-feeder KPIs: how chained trips (feeder taxi -> Joshin train -> feeder taxi) fare at the transfers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from sim.records import LegRecord


def rail_feeder(legs: Iterable[LegRecord]) -> dict[str, Any]:
    """Chained trips, their transfer waits and missed connections.

    A transfer wait is the time from one leg's drop-off to the next leg's pickup (the walk between
    platform and taxi included), in minutes; a missed connection is a train leg whose rider reached the
    station after the train left and found no later train.
    """
    by_trip: dict[str, list[LegRecord]] = defaultdict(list)
    for leg in legs:
        if leg.trip_id:
            by_trip[leg.trip_id].append(leg)
    chains = {k: sorted(v, key=lambda x: x.leg_index) for k, v in by_trip.items() if any(x.mode == "rail" for x in v)}
    waits: list[float] = []
    for chain in chains.values():
        for a, b in zip(chain, chain[1:], strict=False):
            if a.dropoff_at is not None and b.pickup_at is not None and a.served and b.served:
                waits.extend([(b.pickup_at - a.dropoff_at) / 60] * a.party)
    missed = sum(x.party for chain in chains.values() for x in chain if x.mode == "rail" and x.status == "missed")
    arr = np.asarray(waits)
    return {
        "chained_trips": len(chains),
        "chained_trips_served": sum(1 for c in chains.values() if all(x.served for x in c)),
        "transfers": len(waits),
        "transfer_wait_min": {
            "mean": round(float(arr.mean()), 2) if waits else None,
            "median": round(float(np.median(arr)), 2) if waits else None,
            "p95": round(float(np.percentile(arr, 95)), 2) if waits else None,
        },
        "missed_connections": missed,
    }

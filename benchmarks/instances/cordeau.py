"""Cordeau (2006) dial-a-ride instances (sets a and b).

Header ``K n T Q L`` (vehicles, requests, route duration, capacity, maximum ride time); then 2n+2
node lines ``id x y service load earliest latest``: 0 is the origin depot, 1..n pickups, n+i the
drop-off of request i, 2n+1 the destination depot. Travel time = cost = Euclidean distance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.instances.common import BenchInstance, euclidean, number_rows
from dispatch.problem import Request, RoutingProblem, VehicleSpec


def read_cordeau(path: Path) -> BenchInstance:
    """Read one instance: K vehicles, every request required, ride time at most L.

    The route-duration limit T is expressed by the depot windows ``[0, T]`` of the original files;
    a file whose depot window is wider than T is refused rather than silently relaxed.
    """
    rows = number_rows(path)
    if len(rows[0]) != 5:
        raise ValueError(f"{path}: header must be 'K n T Q L'")
    fleet, n, duration, capacity, max_ride = (int(rows[0][0]), int(rows[0][1]), rows[0][2], int(rows[0][3]), rows[0][4])
    nodes = rows[1:]
    if len(nodes) != 2 * n + 2 or any(len(r) != 7 for r in nodes):
        raise ValueError(f"{path}: expected {2 * n + 2} node lines of 7 fields, got {len(nodes)}")
    origin, destination = nodes[0], nodes[-1]
    if origin[6] - origin[5] > duration + 1e-9 or destination[6] - origin[5] > duration + 1e-9:
        raise ValueError(f"{path}: depot window wider than the route duration {duration}; not supported")
    xy = np.array([[r[1], r[2]] for r in nodes])
    matrix = euclidean(xy)
    requests: list[Request] = []
    for i in range(1, n + 1):
        p, d = nodes[i], nodes[n + i]
        if d[4] != -p[4]:
            raise ValueError(f"{path}: node {n + i} does not unload what node {i} loads")
        requests.append(
            Request(
                id=f"r{i}",
                pickup=i,
                dropoff=n + i,
                pickup_window=(p[5], p[6]),
                dropoff_window=(d[5], d[6]),
                load=(int(p[4]),),
                pickup_service=p[3],
                dropoff_service=d[3],
                max_ride=max_ride,
                required=True,
            )
        )
    vehicles = [
        VehicleSpec(
            id=f"v{k}", start=0, start_time=origin[5], end=2 * n + 1, end_time=destination[6], capacity=(capacity,)
        )
        for k in range(fleet)
    ]
    problem = RoutingProblem(matrix, matrix.copy(), requests, vehicles, name=path.stem)
    return BenchInstance(path.stem, problem, fleet, capacity, nodes=len(nodes))

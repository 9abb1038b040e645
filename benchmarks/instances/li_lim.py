"""Li & Lim (2001) PDPTW instances in the SINTEF text format.

First line ``K Q S`` (vehicles, capacity, speed); then one line per task
``id x y demand earliest latest service pickup_sibling delivery_sibling``; task 0 is the depot.
A pickup has ``pickup_sibling = 0`` and names its delivery; travel time = distance = Euclidean.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.instances.common import BenchInstance, euclidean, number_rows
from dispatch.problem import Request, RoutingProblem, VehicleSpec


def read_li_lim(path: Path) -> BenchInstance:
    """Read one instance; every request is required, every vehicle starts and ends at the depot."""
    rows = number_rows(path)
    if len(rows[0]) < 2:
        raise ValueError(f"{path}: first line must be 'vehicles capacity speed'")
    fleet, capacity = int(rows[0][0]), int(rows[0][1])
    tasks = rows[1:]
    if any(len(t) != 9 for t in tasks):
        raise ValueError(f"{path}: every task line needs 9 fields")
    ids = [int(t[0]) for t in tasks]
    if ids != list(range(len(tasks))):
        raise ValueError(f"{path}: task ids must run 0..{len(tasks) - 1} in order")
    xy = np.array([[t[1], t[2]] for t in tasks])
    matrix = euclidean(xy)
    depot = tasks[0]
    requests: list[Request] = []
    for t in tasks[1:]:
        if int(t[7]) != 0:
            continue  # a delivery; read with its pickup
        pick, drop = int(t[0]), int(t[8])
        d = tasks[drop]
        if int(d[7]) != pick or d[3] != -t[3]:
            raise ValueError(f"{path}: task {drop} is not the delivery of pickup {pick}")
        requests.append(
            Request(
                id=f"p{pick}",
                pickup=pick,
                dropoff=drop,
                pickup_window=(t[4], t[5]),
                dropoff_window=(d[4], d[5]),
                load=(int(t[3]),),
                pickup_service=t[6],
                dropoff_service=d[6],
                required=True,
            )
        )
    vehicles = [
        VehicleSpec(id=f"v{k}", start=0, start_time=depot[4], end=0, end_time=depot[5], capacity=(capacity,))
        for k in range(fleet)
    ]
    problem = RoutingProblem(matrix, matrix.copy(), requests, vehicles, name=path.stem)
    return BenchInstance(path.stem, problem, fleet, capacity, nodes=len(tasks))

"""Dispatcher state -> :class:`dispatch.problem.RoutingProblem` for the re-optimiser, and back.

The problem is compact (only the nodes in play) and keeps every promise: each offered or confirmed
booking is a required request with its promised pickup window and ride limit; riders on board are
on-board loads of their vehicle; a booking a dispatcher pinned may use only its pinned vehicle; a locked
stop must stay first; each vehicle's pending breaks go with it (a break in progress as a locked
first visit). Windows already relaxed because a vehicle
runs late (see :mod:`dispatch.online.state`) go in relaxed, so the current plan is always a valid start.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from dispatch.online.fleet import Fleet
from dispatch.online.insertion import route_arrays
from dispatch.online.state import jit_visits
from dispatch.problem import Request, RoutingProblem, Solution, VisitKind


@dataclass
class Translation:
    """A problem built from the fleet, the current plans as a solution of it, and the node mapping."""

    problem: RoutingProblem
    current: Solution
    nodes: np.ndarray  # problem location -> travel-cache index


def to_problem(fleet: Fleet, now: int) -> Translation:
    """The open plans of all vehicles on duty as one routing problem (times from ``now``)."""
    cache = fleet.cache
    states = [vs for vs in fleet.states.values() if not vs.off_duty]
    specs = {vs.id: vs.spec(cache, now) for vs in states}
    used: list[int] = []
    for vs in states:
        spec = specs[vs.id]
        used += [spec.start, spec.start if spec.end is None else spec.end]
        for r in vs.requests.values():
            used += [r.pickup, r.dropoff]
        used += [b.location for b in spec.breaks if b.location is not None]
    nodes = np.unique(np.asarray(used, dtype=np.int64))
    local = {int(c): n for n, c in enumerate(nodes)}
    requests: list[Request] = []
    for vs in states:
        for r in vs.requests.values():
            rec = fleet.records[r.id]
            if r.onboard_vehicle is not None:
                allowed: tuple[str, ...] = (vs.id,)
            elif rec.pinned_to is not None:
                allowed = (rec.pinned_to,)
            else:
                eligible = [e.id for e in fleet.eligible(rec.booking)]
                allowed = () if len(eligible) == len(states) else tuple(eligible)
            requests.append(replace(r, pickup=local[r.pickup], dropoff=local[r.dropoff], vehicle_ids=allowed))
    vehicles = [
        replace(
            spec,
            start=local[spec.start],
            end=None if spec.end is None else local[spec.end],
            breaks=tuple(b if b.location is None else replace(b, location=local[b.location]) for b in spec.breaks),
        )
        for spec in specs.values()
    ]
    problem = RoutingProblem(
        travel_time=np.ascontiguousarray(cache.seconds[np.ix_(nodes, nodes)]),
        distance=np.ascontiguousarray(cache.metres[np.ix_(nodes, nodes)]),
        requests=requests,
        vehicles=vehicles,
        name=f"reoptimise@{now}",
    )
    current = Solution(routes={vs.id: jit_visits(vs.visits) for vs in states}, solver="current plan")
    return Translation(problem, current, nodes)


def adopt(fleet: Fleet, tr: Translation, solution: Solution) -> int:
    """Make a validated solution the fleet's plans; returns how many bookings changed vehicle."""
    moved = 0
    by_id = {r.id: r for r in tr.problem.requests}
    for spec in tr.problem.vehicles:
        vehicle_id = spec.id
        visits = solution.routes.get(vehicle_id, [])
        vs = fleet.states[vehicle_id]
        requests = {}
        for rid in dict.fromkeys(v.request_id for v in visits if v.kind != VisitKind.BREAK):
            r = by_id[rid]
            requests[rid] = replace(r, pickup=int(tr.nodes[r.pickup]), dropoff=int(tr.nodes[r.dropoff]), vehicle_ids=())
            rec = fleet.records[rid]
            if rec.vehicle_id != vehicle_id:
                moved += 1
                rec.vehicle_id = vehicle_id
        vs.sequence = [(v.request_id, v.kind) for v in visits]
        vs.visits = list(visits)
        vs.requests = requests
        vs.end_time = spec.end_time
        vs.late = sorted(
            rid for rid, r in requests.items()
            if r != replace(fleet.records[rid].request(fleet.cache, r.onboard_vehicle), vehicle_ids=())
        )
        vs.arrays = route_arrays(vs, fleet.cache, fleet.now)
        dropped = [(b.id, VisitKind.BREAK) for b in spec.breaks if (b.id, VisitKind.BREAK) not in vs.sequence]
        if dropped:  # a route left empty need not rest; the vehicle's own plan keeps its breaks for later
            vs.sequence = vs.sequence + dropped
            fleet.retime(vs)
    return moved

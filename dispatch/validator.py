"""Independent feasibility check of a solution, and a scheduler for a given visit order.

The validator trusts nothing the solver says: it rebuilds loads and times from the problem data and
reports every broken rule. It runs in tests and before any plan is published.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dispatch.problem import BreakSpec, Request, RoutingProblem, Solution, VehicleSpec, Visit, VisitKind

TOLERANCE = 1e-6


@dataclass(frozen=True)
class Violation:
    """One broken rule: which vehicle and request, and what is wrong."""

    vehicle_id: str | None
    request_id: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = "/".join(x for x in (self.vehicle_id, self.request_id) if x)
        return f"[{self.rule}] {where}: {self.message}"


def validate(problem: RoutingProblem, solution: Solution, tolerance: float = TOLERANCE) -> list[Violation]:
    """Check a solution against every rule of the problem; an empty list means feasible.

    Rules: each request is routed once or reported unserved, required ones are routed; pickup before
    drop-off on the same vehicle (on-board loads: drop-off only, on their vehicle); allowed vehicles;
    locked visits first; times consistent with travel times and service durations; windows; capacity
    in every dimension; maximum ride time; vehicle end time and place; every break of a vehicle taken
    once on it (unless its route serves nobody), inside its window, for its whole duration, with nobody
    on board.

    A break at a location is a visit there (its window bounds the start, its duration is the service
    time). A break taken anywhere is taken on the way: it starts no earlier than the visit before it is
    left, and the visit after it is reached no earlier than the drive from the last located visit plus
    the time spent resting since then.
    """
    out: list[Violation] = []
    vehicles = {v.id: v for v in problem.vehicles}
    seen: dict[str, str] = {}
    for vehicle_id, visits in solution.routes.items():
        vehicle = vehicles.get(vehicle_id)
        if vehicle is None:
            out.append(Violation(vehicle_id, None, "unknown-vehicle", "route for a vehicle not in the problem"))
            continue
        out.extend(_check_route(problem, vehicle, visits, tolerance))
        for visit in visits:
            seen.setdefault(visit.request_id, vehicle_id)
    for request in problem.requests:
        if request.id in seen:
            if request.id in solution.unserved:
                out.append(Violation(None, request.id, "served-and-unserved", "routed and reported unserved"))
            continue
        if request.id not in solution.unserved:
            out.append(Violation(None, request.id, "lost", "neither routed nor reported unserved"))
        elif request.required or request.onboard_vehicle is not None:
            out.append(Violation(None, request.id, "required-unserved", "a required request is not routed"))
    return out


def check_pins(solution: Solution, pins: Mapping[str, str]) -> list[Violation]:
    """Bookings a dispatcher pinned (``pins``: request id -> vehicle id) that ``solution`` routes elsewhere.

    Independent of the problem's allowed vehicles: a re-optimised plan is checked against the dispatcher's
    own books too, so a pin lost in translation still stops the plan from being published.
    """
    out: list[Violation] = []
    for vehicle_id, visits in solution.routes.items():
        for rid in dict.fromkeys(v.request_id for v in visits):
            pinned = pins.get(rid)
            if pinned is not None and pinned != vehicle_id:
                out.append(Violation(vehicle_id, rid, "pinned", f"pinned to {pinned}, planned on {vehicle_id}"))
    for rid in solution.unserved:
        if rid in pins:
            out.append(Violation(None, rid, "pinned", f"pinned to {pins[rid]}, left unserved"))
    return out


def check_sequence_locks(solution: Solution, locks: Mapping[str, Sequence[tuple[str, str]]]) -> list[Violation]:
    """Vehicles whose route does not start with the stops a dispatcher locked, in that order.

    ``locks``: vehicle id -> ``(request id, "pickup" | "dropoff")`` visits that must be the vehicle's next
    ones. Like :func:`check_pins`, judged against the dispatcher's own books, not the problem's.
    """
    out: list[Violation] = []
    for vehicle_id, order in locks.items():
        visits = solution.routes.get(vehicle_id, [])
        for i, (rid, kind) in enumerate(order):
            if i >= len(visits) or (visits[i].request_id, str(visits[i].kind)) != (rid, str(kind)):
                found = f"{visits[i].kind} of {visits[i].request_id}" if i < len(visits) else "nothing"
                out.append(Violation(vehicle_id, rid, "sequence-locked",
                                     f"locked stop {i + 1} is the {kind} of {rid}, planned: {found}"))
                break
    return out


def is_feasible(problem: RoutingProblem, solution: Solution) -> bool:
    return not validate(problem, solution)


def check_route(
    problem: RoutingProblem, vehicle: VehicleSpec, visits: Sequence[Visit], tolerance: float = TOLERANCE
) -> list[Violation]:
    """Check one vehicle's timed visits on their own (the per-route part of :func:`validate`)."""
    return _check_route(problem, vehicle, visits, tolerance)


def _check_route(
    problem: RoutingProblem, vehicle: VehicleSpec, visits: Sequence[Visit], tol: float
) -> list[Violation]:
    out: list[Violation] = []
    vid = vehicle.id

    def bad(request_id: str | None, rule: str, message: str) -> None:
        out.append(Violation(vid, request_id, rule, message))

    load = [0] * len(vehicle.capacity)
    pickups: dict[str, Visit] = {}
    dropped: set[str] = set()
    for request in problem.requests:
        if request.onboard_vehicle == vid:
            load = [a + b for a, b in zip(load, request.load, strict=True)]
    for i, (rid, kind) in enumerate(vehicle.locked):
        if i >= len(visits) or (visits[i].request_id, visits[i].kind) != (rid, kind):
            bad(rid, "locked", f"locked visit {kind} must be visit {i + 1}")
    here, clock = vehicle.start, vehicle.start_time
    drive_from, rested = clock, 0.0  # anywhere breaks since the last located visit: left it at, rested
    taken: set[str] = set()
    for visit in visits:
        if visit.kind == VisitKind.BREAK:
            try:
                brk = vehicle.break_spec(visit.request_id)
            except KeyError:
                bad(visit.request_id, "unknown-break", "break not in this vehicle's shift")
                continue
            if brk.id in taken:
                bad(brk.id, "break-duplicate", "break taken twice")
            taken.add(brk.id)
            if brk.location is None:
                if visit.arrival + tol < clock:
                    bad(brk.id, "travel-time", f"break begins {visit.arrival:.1f}, before the visit before it ends")
            else:
                need = max(clock, drive_from + rested + float(problem.travel_time[here, brk.location]))
                if visit.arrival + tol < need:
                    bad(brk.id, "travel-time", f"arrives {visit.arrival:.1f} before it can ({need:.1f})")
            if visit.start + tol < visit.arrival:
                bad(brk.id, "time-order", "break starts before arrival")
            lo, hi = brk.window
            if visit.start + tol < lo or visit.start - tol > hi:
                bad(brk.id, "break-window", f"break starts at {visit.start:.1f}, outside [{lo:.1f}, {hi:.1f}]")
            if visit.departure + tol < visit.start + brk.duration:
                bad(
                    brk.id,
                    "break-duration",
                    f"break of {visit.departure - visit.start:.1f} is shorter than {brk.duration:.1f}",
                )
            if any(load):
                bad(brk.id, "break-onboard", f"riders on board during the break (load {tuple(load)})")
            if brk.location is None:
                rested += visit.departure - visit.start
            else:
                here, drive_from, rested = brk.location, visit.departure, 0.0
            clock = visit.departure
            continue
        try:
            req = problem.request(visit.request_id)
        except KeyError:
            bad(visit.request_id, "unknown-request", "visit of a request not in the problem")
            continue
        if req.vehicle_ids and vid not in req.vehicle_ids:
            bad(req.id, "vehicle-not-allowed", "request may not use this vehicle")
        there = req.pickup if visit.kind == VisitKind.PICKUP else req.dropoff
        earliest_arrival = max(clock, drive_from + rested + float(problem.travel_time[here, there]))
        if visit.arrival + tol < earliest_arrival:
            bad(req.id, "travel-time", f"arrives {visit.arrival:.1f} before it can ({earliest_arrival:.1f})")
        if visit.start + tol < visit.arrival:
            bad(req.id, "time-order", "service starts before arrival")
        window = req.pickup_window if visit.kind == VisitKind.PICKUP else req.dropoff_window
        if visit.start + tol < window[0] or visit.start - tol > window[1]:
            bad(req.id, "time-window", f"{visit.kind} at {visit.start:.1f} outside [{window[0]:.1f}, {window[1]:.1f}]")
        service = req.pickup_service if visit.kind == VisitKind.PICKUP else req.dropoff_service
        if visit.departure + tol < visit.start + service:
            bad(req.id, "service-time", "leaves before service is done")
        if visit.kind == VisitKind.PICKUP:
            if req.onboard_vehicle is not None:
                bad(req.id, "onboard-pickup", "load already on board is picked up again")
            if req.id in pickups:
                bad(req.id, "duplicate", "picked up twice")
            pickups[req.id] = visit
            load = [a + b for a, b in zip(load, req.load, strict=True)]
        else:
            if req.id in dropped:
                bad(req.id, "duplicate", "dropped off twice")
            dropped.add(req.id)
            if req.onboard_vehicle is not None and req.onboard_vehicle != vid:
                bad(req.id, "wrong-vehicle", f"on board {req.onboard_vehicle}, dropped by {vid}")
            if req.onboard_vehicle is None and req.id not in pickups:
                bad(req.id, "precedence", "dropped off before (or without) pickup on this vehicle")
            left_at = pickups[req.id].departure if req.id in pickups else req.picked_up_at
            if req.max_ride is not None and left_at is not None and visit.start - left_at > req.max_ride + tol:
                bad(req.id, "ride-time", f"ride {visit.start - left_at:.1f} exceeds {req.max_ride:.1f}")
            load = [a - b for a, b in zip(load, req.load, strict=True)]
        for dim, (used, cap) in enumerate(zip(load, vehicle.capacity, strict=True)):
            if used > cap or used < 0:
                bad(req.id, "capacity", f"load {used} in dimension {dim} outside [0, {cap}]")
        here, clock = there, visit.departure
        drive_from, rested = clock, 0.0
    works = any(v.kind != VisitKind.BREAK for v in visits)  # a vehicle that serves nobody need not rest
    for brk in vehicle.breaks:
        if brk.id not in taken and works:
            lo, hi = brk.window
            bad(brk.id, "break-missing", f"break starting in [{lo:.1f}, {hi:.1f}] for {brk.duration:.1f} not taken")
    for rid in pickups:
        if rid not in dropped:
            bad(rid, "precedence", "picked up but never dropped off")
    for request in problem.requests:
        if request.onboard_vehicle == vid and request.id not in dropped:
            bad(request.id, "onboard-undelivered", "rider on board is never dropped off")
    if visits:
        drive = float(problem.travel_time[here, vehicle.end]) if vehicle.end is not None else 0.0
        back = max(clock, drive_from + rested + drive)
        if back > vehicle.end_time + tol:
            bad(None, "shift-end", f"finishes at {back:.1f}, after shift end {vehicle.end_time:.1f}")
    return out


def schedule_route(
    problem: RoutingProblem,
    vehicle: VehicleSpec,
    sequence: Sequence[tuple[str, VisitKind]],
) -> list[Visit] | None:
    """Times for a visit order: as early as windows allow, then pickups delayed to cut ride times.

    Returns None when no schedule respects the windows, ride times, breaks and shift end for this order.
    The delay step follows the forward-time-slack idea of Cordeau and Laporte's DARP scheduling: a
    pickup is delayed by the waiting it would otherwise cause downstream, but never so far that a
    later window or an on-board rider's ride limit breaks (a delay that would is not made).
    Breaks (``(break id, VisitKind.BREAK)`` items) are timed as :func:`validate` reads them.
    """
    n = len(sequence)
    ends = [_item_of(problem, vehicle, rid, k) for rid, k in sequence]
    reqs = [e[3] for e in ends]
    locs = [e[0] for e in ends]
    windows = [e[1] for e in ends]
    service = [e[2] for e in ends]
    arrival = [0.0] * n
    start = [0.0] * n

    def forward(from_index: int) -> bool:
        here, clock = vehicle.start, float(vehicle.start_time)
        drive_from, rested = clock, 0.0
        for i in range(n):
            loc = locs[i]
            if i >= from_index:
                if loc is None:
                    arrival[i] = clock
                else:
                    arrival[i] = max(clock, drive_from + rested + float(problem.travel_time[here, loc]))
                start[i] = max(arrival[i], windows[i][0])
                if start[i] > windows[i][1] + TOLERANCE:
                    return False
            clock = start[i] + service[i]
            if loc is None:
                rested += service[i]
            else:
                here, drive_from, rested = loc, clock, 0.0
        return True

    if not forward(0):
        return None
    drop_index = {rid: i for i, (rid, k) in enumerate(sequence) if k == VisitKind.DROPOFF}
    pick_index = {rid: i for i, (rid, k) in enumerate(sequence) if k == VisitKind.PICKUP}
    for p, (rid, kind) in enumerate(sequence):
        if kind != VisitKind.PICKUP or rid not in drop_index:
            continue
        d = drop_index[rid]
        waits = [start[i] - arrival[i] for i in range(n)]
        slack = float("inf")
        acc = 0.0
        for j in range(p, n):
            if j > p:
                acc += waits[j]
            slack = min(slack, acc + windows[j][1] - start[j])
            other = sequence[j][0]
            req_j = reqs[j]
            if sequence[j][1] == VisitKind.DROPOFF and j > p and req_j is not None and req_j.max_ride is not None:
                if other in pick_index:
                    began = start[pick_index[other]] + service[pick_index[other]]
                else:
                    began = req_j.picked_up_at
                if began is not None and pick_index.get(other, -1) < p:
                    slack = min(slack, acc + req_j.max_ride - (start[j] - began))
        delay = min(max(slack, 0.0), sum(waits[p + 1 : d + 1]))
        if delay > 0:
            kept = (list(arrival), list(start))
            start[p] += delay
            if not forward(p + 1):
                arrival[:], start[:] = kept
    visits = [
        Visit(rid, kind, arrival[i], start[i], start[i] + service[i]) for i, (rid, kind) in enumerate(sequence)
    ]
    return None if _check_route(problem, vehicle, visits, TOLERANCE) else visits


def _item_of(
    problem: RoutingProblem, vehicle: VehicleSpec, item_id: str, kind: VisitKind
) -> tuple[int | None, tuple[float, float], float, Request | None]:
    """Location (None: anywhere), window, service duration and request (None for a break) of one visit."""
    if kind == VisitKind.BREAK:
        brk: BreakSpec = vehicle.break_spec(item_id)
        return brk.location, brk.window, brk.duration, None
    request = problem.request(item_id)
    loc, window, dwell = _end_of(request, kind)
    return loc, window, dwell, request


def _end_of(request: Request, kind: VisitKind) -> tuple[int, tuple[float, float], float]:
    """Location, window and service duration of one end of a request."""
    if kind == VisitKind.PICKUP:
        return request.pickup, request.pickup_window, request.pickup_service
    return request.dropoff, request.dropoff_window, request.dropoff_service

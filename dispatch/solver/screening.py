"""Requests no vehicle could serve even on an otherwise empty route, and why.

Checking this before the search keeps hopeless requests out of the OR-Tools model (where they would
only cost search time) and gives callers a reason they can act on rather than a generic failure.
"""

from __future__ import annotations

from dispatch.problem import Request, RoutingProblem, VehicleSpec
from dispatch.validator import TOLERANCE

CAPACITY = "infeasible alone: party too large for every allowed vehicle"
NO_VEHICLE = "infeasible alone: no allowed vehicle in the problem"
PICKUP_WINDOW = "infeasible alone: pickup window cannot be met"
DROPOFF_WINDOW = "infeasible alone: drop-off window cannot be met"
RIDE_TIME = "infeasible alone: maximum ride time cannot be met"
SHIFT_END = "infeasible alone: trip cannot be finished before the vehicle's shift ends"

# When vehicles fail for different reasons, report the one that got furthest along the trip.
_ORDER = (NO_VEHICLE, CAPACITY, PICKUP_WINDOW, DROPOFF_WINDOW, RIDE_TIME, SHIFT_END)


def allowed_vehicles(problem: RoutingProblem, request: Request) -> list[VehicleSpec]:
    """Vehicles that may serve ``request`` (its on-board vehicle, or its allowed list, or all)."""
    if request.onboard_vehicle is not None:
        return [v for v in problem.vehicles if v.id == request.onboard_vehicle]
    if request.vehicle_ids:
        allowed = set(request.vehicle_ids)
        return [v for v in problem.vehicles if v.id in allowed]
    return list(problem.vehicles)


def infeasible_alone(problem: RoutingProblem) -> dict[str, str]:
    """Reasons for every request that no allowed vehicle can serve on an empty route.

    On-board loads and locked visits of the vehicle are ignored here, so passing this check is
    necessary, not sufficient.
    """
    reasons: dict[str, str] = {}
    for request in problem.requests:
        reason = _best_reason(problem, request)
        if reason is not None:
            reasons[request.id] = reason
    return reasons


def _best_reason(problem: RoutingProblem, request: Request) -> str | None:
    vehicles = allowed_vehicles(problem, request)
    if not vehicles:
        return NO_VEHICLE
    worst_rank = -1
    seen: set[tuple] = set()
    for vehicle in vehicles:
        key = (vehicle.start, vehicle.start_time, vehicle.end, vehicle.end_time, vehicle.capacity)
        if key in seen:
            continue
        seen.add(key)
        reason = _reason_for_vehicle(problem, request, vehicle)
        if reason is None:
            return None
        worst_rank = max(worst_rank, _ORDER.index(reason))
    return _ORDER[worst_rank]


def _reason_for_vehicle(problem: RoutingProblem, request: Request, vehicle: VehicleSpec) -> str | None:
    """Why ``vehicle`` alone cannot serve ``request``, or None if it can (times as early as possible)."""
    if len(request.load) != len(vehicle.capacity) or any(
        q > c for q, c in zip(request.load, vehicle.capacity, strict=True)
    ):
        return CAPACITY
    tt = problem.travel_time
    if request.onboard_vehicle is None:
        pick = max(vehicle.start_time + float(tt[vehicle.start, request.pickup]), request.pickup_window[0])
        if pick > request.pickup_window[1] + TOLERANCE:
            return PICKUP_WINDOW
        direct = float(tt[request.pickup, request.dropoff])
        drop = max(pick + request.pickup_service + direct, request.dropoff_window[0])
        # The pickup may be delayed up to its window end to shorten a ride that waits at the drop-off.
        shortest_ride = max(direct, drop - request.pickup_service - request.pickup_window[1])
    else:
        drop = max(vehicle.start_time + float(tt[vehicle.start, request.dropoff]), request.dropoff_window[0])
        shortest_ride = drop - request.picked_up_at if request.picked_up_at is not None else 0.0
    if drop > request.dropoff_window[1] + TOLERANCE:
        return DROPOFF_WINDOW
    if request.max_ride is not None and shortest_ride > request.max_ride + TOLERANCE:
        return RIDE_TIME
    finish = drop + request.dropoff_service
    if vehicle.end is not None:
        finish += float(tt[request.dropoff, vehicle.end])
    if finish > vehicle.end_time + TOLERANCE:
        return SHIFT_END
    return None

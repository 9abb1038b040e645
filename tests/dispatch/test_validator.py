"""The independent validator catches each broken rule; the route scheduler finds valid timings."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dispatch.problem import Request, RoutingProblem, Solution, VehicleSpec, Visit, VisitKind
from dispatch.validator import schedule_route, validate

P, D = VisitKind.PICKUP, VisitKind.DROPOFF


def _problem(**vehicle_changes) -> RoutingProblem:
    """Nodes 0..5 on a line, 100 s apart; two requests; one vehicle of capacity (2, 1) from node 0."""
    x = np.arange(6, dtype=float)
    t = np.abs(x[:, None] - x[None, :]) * 100
    reqs = [
        Request("a", 1, 3, (0, 1000), (0, 2000), load=(1, 0), pickup_service=10, dropoff_service=10, max_ride=400),
        Request("b", 2, 4, (0, 1000), (0, 2000), load=(1, 0), pickup_service=10, dropoff_service=10, max_ride=400),
    ]
    vehicle = replace(VehicleSpec("v", 0, 0.0, 0, 5000.0, capacity=(2, 1)), **vehicle_changes)
    return RoutingProblem(t, t * 10, reqs, [vehicle])


def _valid(problem: RoutingProblem) -> Solution:
    visits = schedule_route(problem, problem.vehicles[0], [("a", P), ("b", P), ("a", D), ("b", D)])
    assert visits is not None
    return Solution(routes={"v": visits})


def _rules(problem: RoutingProblem, solution: Solution) -> set[str]:
    return {v.rule for v in validate(problem, solution)}


def _edit(solution: Solution, index: int, **changes) -> Solution:
    visits = list(solution.routes["v"])
    visits[index] = replace(visits[index], **changes)
    return Solution(routes={"v": visits}, unserved=dict(solution.unserved))


def test_a_scheduled_route_validates():
    problem = _problem()
    solution = _valid(problem)
    assert validate(problem, solution) == []
    assert solution.distance(problem) == pytest.approx((1 + 1 + 1 + 1 + 4) * 1000)


def test_each_timing_rule_is_caught():
    problem = _problem()
    good = _valid(problem)
    first = good.routes["v"][0]
    assert "travel-time" in _rules(problem, _edit(good, 0, arrival=first.arrival - 50, start=first.arrival - 50))
    assert "time-order" in _rules(problem, _edit(good, 0, start=first.arrival - 1))
    assert "service-time" in _rules(problem, _edit(good, 0, departure=first.start + 1))
    late = _problem()
    late.requests[0] = replace(late.requests[0], pickup_window=(500, 600))
    assert "time-window" in _rules(late, good)


def test_ride_time_capacity_and_shift_end_are_caught():
    tight = _problem()
    tight.requests[0] = replace(tight.requests[0], max_ride=150)
    assert "ride-time" in _rules(tight, _valid(_problem()))
    small = _problem(capacity=(1, 1))
    assert "capacity" in _rules(small, _valid(_problem()))
    short = _problem(end_time=300.0)
    assert "shift-end" in _rules(short, _valid(_problem()))


def test_precedence_duplicates_and_losses_are_caught():
    problem = _problem()
    good = _valid(problem)
    v = good.routes["v"]
    swapped = Solution(routes={"v": [v[2], v[1], v[0], v[3]]})
    assert "precedence" in _rules(problem, swapped)
    twice = Solution(routes={"v": [v[0], v[0], v[1], v[2], v[3]]})
    assert "duplicate" in _rules(problem, twice)
    lost = Solution(routes={"v": [v[1], v[3]]})
    assert "lost" in _rules(problem, lost)
    never_dropped = Solution(routes={"v": [v[0], v[1], v[3]]})
    assert "precedence" in _rules(problem, never_dropped)
    both = Solution(routes={"v": list(v)}, unserved={"a": "why"})
    assert "served-and-unserved" in _rules(problem, both)
    required = _problem()
    required.requests[0] = replace(required.requests[0], required=True)
    assert "required-unserved" in _rules(required, Solution(routes={"v": [v[1], v[3]]}, unserved={"a": "no"}))
    assert "unknown-vehicle" in _rules(problem, Solution(routes={"v": list(v), "ghost": []}))


def test_locked_allowed_vehicles_and_onboard_loads_are_caught():
    problem = _problem(locked=(("b", P),))
    assert "locked" in _rules(problem, _valid(_problem()))
    other = _problem()
    other.requests[1] = replace(other.requests[1], vehicle_ids=("w",))
    assert "vehicle-not-allowed" in _rules(other, _valid(_problem()))
    onboard = _problem()
    onboard.requests[0] = replace(onboard.requests[0], onboard_vehicle="v", picked_up_at=0.0)
    assert "onboard-pickup" in _rules(onboard, _valid(_problem()))
    undelivered = Solution(routes={"v": [_valid(_problem()).routes["v"][i] for i in (1, 3)]})
    assert "onboard-undelivered" in _rules(onboard, undelivered)
    elsewhere = _problem()
    elsewhere.requests[0] = replace(elsewhere.requests[0], onboard_vehicle="w", picked_up_at=0.0)
    drop_a = Visit("a", D, 300.0, 300.0, 310.0)
    assert "wrong-vehicle" in _rules(elsewhere, Solution(routes={"v": [drop_a]}, unserved={"b": "x"}))


def test_schedule_route_delays_a_pickup_to_respect_a_ride_limit():
    problem = _problem()
    # b's drop-off window opens late: picking a up early and waiting would break a's ride limit
    problem.requests[1] = replace(problem.requests[1], dropoff_window=(900, 2000))
    problem.requests[0] = replace(problem.requests[0], dropoff_window=(0, 2000), max_ride=900)
    order = [("a", P), ("b", P), ("b", D), ("a", D)]
    visits = schedule_route(problem, problem.vehicles[0], order)
    assert visits is not None
    assert validate(problem, Solution(routes={"v": visits})) == []
    assert visits[0].start > visits[0].arrival  # a's pickup was delayed rather than made early
    # a fresh problem: RoutingProblem memoises its request index, so requests are not edited in place
    impossible = RoutingProblem(
        problem.travel_time,
        problem.distance,
        [replace(problem.requests[0], max_ride=100), problem.requests[1]],
        problem.vehicles,
    )
    assert schedule_route(impossible, impossible.vehicles[0], order) is None


def test_problem_finds_a_request_replaced_in_place():
    import numpy as np

    from dispatch.problem import Request, RoutingProblem

    zero = np.zeros((2, 2))
    first = Request("a", 0, 1, (0, 10), (0, 20))
    problem = RoutingProblem(zero, zero, [first], [])
    assert problem.request("a") is first
    second = Request("a", 0, 1, (5, 10), (0, 20))
    problem.requests[0] = second
    assert problem.request("a") is second
    problem.requests.insert(0, Request("b", 1, 0, (0, 10), (0, 20)))
    assert problem.request("a") is second and problem.request("b").pickup == 1

"""The OR-Tools solver on small problems whose optimum is known by reasoning."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from dispatch.problem import Request, RoutingProblem, Solution, VehicleSpec, Visit, VisitKind
from dispatch.solver import SolveParams, SolverFailed, solve
from dispatch.solver.objective import objective
from dispatch.solver.screening import PICKUP_WINDOW
from dispatch.solver.solve import NOT_PLACED
from dispatch.validator import schedule_route, validate

P, D = VisitKind.PICKUP, VisitKind.DROPOFF
FAST = SolveParams(time_limit_s=1.0)


def euclid(points: list[tuple[float, float]]) -> np.ndarray:
    xy = np.asarray(points, dtype=float)
    return np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))


def problem(points, requests, vehicles) -> RoutingProblem:
    m = euclid(points)
    return RoutingProblem(m, m.copy(), list(requests), list(vehicles))


def order(solution: Solution, vehicle_id: str) -> list[tuple[str, VisitKind]]:
    return [(v.request_id, v.kind) for v in solution.routes.get(vehicle_id, [])]


def solved(p: RoutingProblem, params: SolveParams = FAST, initial: Solution | None = None) -> Solution:
    s = solve(p, params, initial)
    assert validate(p, s) == []
    return s


ANY = (0.0, 1000.0)
LINE = [(0, 0), (2, 0), (4, 0), (6, 0), (8, 0)]


def test_two_riders_with_one_origin_and_destination_share_a_vehicle():
    reqs = [Request("a", 1, 4, ANY, ANY), Request("b", 1, 4, ANY, ANY)]
    vehs = [VehicleSpec(f"v{i}", 0, 0.0, 0, 1000.0, capacity=(2,)) for i in range(2)]
    p = problem(LINE, reqs, vehs)
    s = solved(p)
    assert s.vehicles_used() == 1
    assert s.distance(p) == pytest.approx(16.0)
    route = next(r for r in s.routes.values() if r)
    assert [v.kind for v in route] == [P, P, D, D]
    assert s.unserved == {}


def test_pickup_window_only_one_vehicle_can_reach_decides_the_vehicle():
    # v_far starts 8 away from the pickup; the window closes at 3, so only v_near can make it.
    reqs = [Request("r", 4, 3, (0.0, 3.0), ANY)]
    vehs = [VehicleSpec("v_far", 0, 0.0, 0, 1000.0), VehicleSpec("v_near", 4, 0.0, 4, 1000.0)]
    p = problem(LINE, reqs, vehs)
    s = solved(p)
    assert order(s, "v_near") == [("r", P), ("r", D)]
    assert order(s, "v_far") == []


# Depot at the origin; a picks up at A, b at B, both to X by time 35. One after the other is too late
# (second drop-off at 40); pooled, the first rider rides 24.1 (A -> B -> X) instead of 10.
SQUARE = [(0, 0), (0, 10), (10, 0), (10, 10)]
BY_35 = (0.0, 35.0)


def test_pooling_wins_without_a_ride_limit():
    reqs = [Request("a", 1, 3, ANY, BY_35), Request("b", 2, 3, ANY, BY_35)]
    vehs = [VehicleSpec(f"v{i}", 0, 0.0, 0, 1000.0, capacity=(2,)) for i in range(2)]
    p = problem(SQUARE, reqs, vehs)
    s = solved(p)
    assert s.vehicles_used() == 1
    assert s.distance(p) == pytest.approx(20 + 2 * math.sqrt(200))


def test_max_ride_time_forbids_pooling_so_two_vehicles_drive():
    reqs = [Request("a", 1, 3, ANY, BY_35, max_ride=15.0), Request("b", 2, 3, ANY, BY_35, max_ride=15.0)]
    vehs = [VehicleSpec(f"v{i}", 0, 0.0, 0, 1000.0, capacity=(2,)) for i in range(2)]
    p = problem(SQUARE, reqs, vehs)
    s = solved(p)
    assert s.vehicles_used() == 2
    assert s.distance(p) == pytest.approx(2 * (20 + math.sqrt(200)))
    for route in s.routes.values():
        assert [v.kind for v in route] == [P, D]


def test_wheelchair_rider_needs_the_vehicle_with_a_wheelchair_place_and_rides_alone_in_it():
    # Loads are (seats, wheelchairs). Two wheelchair riders, one wheelchair place: they cannot overlap.
    reqs = [
        Request("w1", 1, 4, ANY, ANY, load=(0, 1)),
        Request("w2", 1, 4, ANY, ANY, load=(0, 1)),
        Request("s", 1, 4, ANY, ANY, load=(1, 0)),
    ]
    vehs = [
        VehicleSpec("sedan", 0, 0.0, 0, 1000.0, capacity=(4, 0)),
        VehicleSpec("van", 0, 0.0, 0, 1000.0, capacity=(2, 1)),
    ]
    p = problem(LINE, reqs, vehs)
    s = solved(p)
    van = order(s, "van")
    assert {rid for rid, _ in van} >= {"w1", "w2"}
    on_board = 0
    for _, kind in (k for k in van if k[0] != "s"):
        on_board += 1 if kind == P else -1
        assert on_board <= 1


def test_onboard_rider_is_delivered_before_a_new_pickup_when_the_vehicle_is_full():
    # Capacity 1 and already carrying "old" (to location 4): the pickup at 1, on the way, must wait.
    reqs = [
        Request("old", 0, 4, ANY, ANY, onboard_vehicle="v", picked_up_at=0.0, required=True),
        Request("new", 1, 2, ANY, ANY),
    ]
    vehs = [VehicleSpec("v", 0, 0.0, None, 1000.0, capacity=(1,))]
    p = problem(LINE, reqs, vehs)
    s = solved(p)
    assert order(s, "v") == [("old", D), ("new", P), ("new", D)]
    assert s.distance(p) == pytest.approx(8 + 6 + 2)


def test_onboard_rider_with_room_to_spare_is_pooled_on_the_way():
    reqs = [
        Request("old", 0, 4, ANY, ANY, onboard_vehicle="v", picked_up_at=0.0, required=True),
        Request("new", 1, 2, ANY, ANY),
    ]
    vehs = [VehicleSpec("v", 0, 0.0, None, 1000.0, capacity=(2,))]
    p = problem(LINE, reqs, vehs)
    s = solved(p)
    assert order(s, "v") == [("new", P), ("new", D), ("old", D)]
    assert s.distance(p) == pytest.approx(8.0)


def test_locked_next_stop_comes_first_even_when_another_is_closer():
    reqs = [Request("far", 4, 3, ANY, ANY, required=True), Request("near", 1, 2, ANY, ANY)]
    vehs = [VehicleSpec("v", 0, 0.0, 0, 1000.0, capacity=(2,), locked=(("far", P),))]
    p = problem(LINE, reqs, vehs)
    s = solved(p)
    assert order(s, "v")[0] == ("far", P)
    assert {rid for rid, _ in order(s, "v")} == {"far", "near"}


def test_optional_request_that_cannot_fit_is_unserved_with_a_reason_and_required_ones_are_kept():
    # One seat. "must" and "extra" both need the seat over the same interval; "late" cannot be reached.
    reqs = [
        Request("must", 1, 4, (2.0, 2.0), (8.0, 8.0), required=True),
        Request("extra", 1, 4, (2.0, 2.0), (8.0, 8.0), penalty=1e6),
        Request("late", 4, 1, (0.0, 1.0), ANY),
    ]
    vehs = [VehicleSpec("v", 0, 0.0, 0, 1000.0, capacity=(1,))]
    p = problem(LINE, reqs, vehs)
    s = solved(p)
    assert {rid for rid, _ in order(s, "v")} == {"must"}
    assert s.unserved == {"extra": NOT_PLACED, "late": PICKUP_WINDOW}


def test_required_request_that_cannot_be_served_raises_without_a_valid_initial():
    reqs = [Request("late", 4, 1, (0.0, 1.0), ANY, required=True)]
    p = problem(LINE, reqs, [VehicleSpec("v", 0, 0.0, 0, 1000.0)])
    with pytest.raises(SolverFailed) as err:
        solve(p, FAST)
    assert err.value.reasons == {"late": PICKUP_WINDOW}


def test_warm_start_is_never_worse_than_its_valid_initial():
    # A deliberately poor initial: every request on its own vehicle.
    points = [(0, 0)] + [(float(x), float(y)) for x, y in np.random.default_rng(3).uniform(0, 20, (12, 2))]
    reqs = [Request(f"r{i}", 1 + 2 * i, 2 + 2 * i, ANY, ANY) for i in range(6)]
    vehs = [VehicleSpec(f"v{i}", 0, 0.0, 0, 1000.0, capacity=(3,)) for i in range(6)]
    p = problem(points, reqs, vehs)
    routes = {}
    for i, r in enumerate(reqs):
        visits = schedule_route(p, vehs[i], [(r.id, P), (r.id, D)])
        assert visits is not None
        routes[f"v{i}"] = visits
    initial = Solution(routes=routes)
    assert validate(p, initial) == []
    params = SolveParams(time_limit_s=1.0)
    s = solved(p, params, initial)
    assert objective(p, s, params) <= objective(p, initial, params) + 1e-9
    assert s.stats.get("warm_start") == 1.0


def test_required_request_missing_from_the_initial_is_still_served():
    reqs = [Request("a", 1, 2, ANY, ANY, required=True), Request("b", 3, 4, ANY, ANY, required=True)]
    vehs = [VehicleSpec("v", 0, 0.0, 0, 1000.0, capacity=(2,))]
    p = problem(LINE, reqs, vehs)
    only_a = schedule_route(p, vehs[0], [("a", P), ("a", D)])
    assert only_a is not None
    s = solved(p, FAST, Solution(routes={"v": only_a}, unserved={"b": "new"}))
    assert {rid for rid, _ in order(s, "v")} == {"a", "b"}


def test_initial_missing_a_required_request_is_not_a_fallback():
    reqs = [Request("a", 1, 2, ANY, ANY, required=True)]
    vehs = [VehicleSpec("v", 0, 0.0, 0, 1000.0)]
    p = problem(LINE, reqs, vehs)
    only_a = schedule_route(p, vehs[0], [("a", P), ("a", D)])
    assert only_a is not None
    # The same plan judged against a problem with an unreachable required request: no valid answer exists.
    q = problem(LINE, reqs + [Request("late", 4, 1, (0.0, 1.0), ANY, required=True)], vehs)
    with pytest.raises(SolverFailed, match="late"):
        solve(q, FAST, Solution(routes={"v": only_a}, unserved={"late": "new"}))


def test_without_time_to_search_the_valid_initial_comes_back_unchanged():
    reqs = [Request("a", 1, 2, ANY, ANY, required=True), Request("b", 3, 4, ANY, ANY)]
    vehs = [VehicleSpec("v", 0, 0.0, 0, 1000.0, capacity=(2,))]
    p = problem(LINE, reqs, vehs)
    only_a = schedule_route(p, vehs[0], [("a", P), ("a", D)])
    assert only_a is not None
    initial = Solution(routes={"v": only_a}, unserved={"b": "not yet planned"})
    s = solve(p, SolveParams(time_limit_s=0.01), initial)
    assert s.routes == initial.routes and s.unserved == initial.unserved
    assert s.stats["fallback"] == 1.0
    with pytest.raises(SolverFailed):
        solve(p, SolveParams(time_limit_s=0.01))


def test_travel_times_are_rounded_up_so_no_float_infeasible_order_is_chosen():
    # Unit scale: b's window closes at 2.5; via a it is reached at 2.78 (rounded to nearest: 1 + 1 = 2,
    # which would look feasible), directly at 1.4. Only b-first is valid, though a-first is shorter.
    points = [(0.0, 0.0), (0.7, 1.2), (1.4, 0.0), (5.0, 0.0)]
    reqs = [Request("a", 1, 3, ANY, ANY), Request("b", 2, 3, (0.0, 2.5), ANY)]
    p = problem(points, reqs, [VehicleSpec("v", 0, 0.0, 0, 100.0, capacity=(2,))])
    s = solved(p, SolveParams(time_limit_s=1.0, time_scale=1.0))
    assert s.unserved == {}
    assert order(s, "v")[0] == ("b", P)


def test_point_window_narrower_than_the_integer_grid_is_still_served():
    points = [(0.0, 0.0), (0.3, 0.4), (2.0, 0.0)]
    reqs = [Request("a", 1, 2, (0.5, 0.5), ANY)]  # reachable exactly at 0.5, between integer steps
    p = problem(points, reqs, [VehicleSpec("v", 0, 0.0, 0, 100.0)])
    s = solved(p, SolveParams(time_limit_s=1.0, time_scale=1.0))
    assert s.unserved == {}
    assert s.routes["v"][0].start == pytest.approx(0.5)


def test_visits_carry_concrete_times():
    reqs = [Request("a", 1, 3, (5.0, 9.0), ANY, pickup_service=1.0, dropoff_service=2.0)]
    p = problem(LINE, reqs, [VehicleSpec("v", 0, 0.0, 0, 1000.0)])
    s = solved(p)
    pick, drop = s.routes["v"]
    assert isinstance(pick, Visit)
    assert pick.arrival == pytest.approx(2.0) and pick.start == pytest.approx(5.0) and pick.departure == 6.0
    assert drop.arrival == pytest.approx(10.0) and drop.departure == pytest.approx(12.0)


def test_request_restricted_to_one_vehicle_uses_it_though_another_is_closer():
    reqs = [Request("r", 1, 2, ANY, ANY, vehicle_ids=("v_far",)), Request("free", 1, 2, ANY, ANY)]
    vehs = [
        VehicleSpec("v_near", 0, 0.0, 0, 1000.0, capacity=(2,)),
        VehicleSpec("v_far", 4, 0.0, 4, 1000.0, capacity=(2,)),
    ]
    p = problem(LINE, reqs, vehs)
    s = solved(p)
    assert {("r", P), ("r", D)} <= set(order(s, "v_far"))
    # Cheapest is to pool "free" into v_far's trip (12) rather than also send v_near (12 + 8).
    assert s.distance(p) == pytest.approx(12.0)


def test_bad_parameters_are_refused_with_what_is_wrong():
    with pytest.raises(ValueError, match="time_limit_s"):
        SolveParams(time_limit_s=-1.0)
    with pytest.raises(ValueError, match="time_scale"):
        SolveParams(time_scale=0.0)
    p = problem(LINE, [Request("a", 1, 2, ANY, ANY)], [VehicleSpec("v", 0, 0.0, 0, 1000.0)])
    with pytest.raises(ValueError, match="PARALLEL_CHEAPEST_INSERTION"):
        solve(p, SolveParams(first_solution="CHEAPEST_EVER"))


def test_loads_and_capacities_of_different_dimensions_are_refused():
    p = problem(LINE, [Request("a", 1, 2, ANY, ANY, load=(1, 0))], [VehicleSpec("v", 0, 0.0, 0, 1000.0)])
    with pytest.raises(ValueError, match="dimensions"):
        solve(p, FAST)


def scattered(n_requests: int, n_vehicles: int, seed: int) -> RoutingProblem:
    """Requests between random points with loose windows: room for many improving moves."""
    rng = np.random.default_rng(seed)
    points = [(0.0, 0.0)] + [tuple(xy) for xy in rng.uniform(-50, 50, size=(2 * n_requests, 2))]
    requests = [Request(f"r{i}", 1 + 2 * i, 2 + 2 * i, (0.0, 400.0), (0.0, 600.0)) for i in range(n_requests)]
    vehicles = [VehicleSpec(f"v{k}", 0, 0.0, 0, 1000.0, capacity=(3,)) for k in range(n_vehicles)]
    return problem(points, requests, vehicles)


def test_guided_search_with_a_solution_limit_stops_early_and_repeats_exactly():
    p = scattered(25, 4, seed=7)
    params = SolveParams(time_limit_s=30.0, metaheuristic="GUIDED_LOCAL_SEARCH", solution_limit=60)
    first, second = solved(p, params), solved(p, params)
    # The work limit, not the clock, ended both searches (guided search alone would use all 30 s).
    assert first.stats["search_seconds"] < 10.0 and second.stats["search_seconds"] < 10.0
    assert first.routes == second.routes
    assert first.objective == second.objective
    # ... and the search did work beyond its first solution.
    assert first.objective < solved(p, replace(params, solution_limit=1)).objective


def test_solution_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="solution_limit"):
        SolveParams(solution_limit=0)

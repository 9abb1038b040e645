"""The numpy ruin-and-recreate search (dispatch.solver.rr): valid, deterministic, bounded, never worse."""

from __future__ import annotations

import time
from dataclasses import replace
from itertools import permutations

import numpy as np
import pytest
from scipy.optimize import linprog

from dispatch.problem import Request, RoutingProblem, Solution, VehicleSpec, VisitKind
from dispatch.solver import SolveParams, solve
from dispatch.solver.rr import RrParams
from dispatch.solver.rr.flat import flatten, to_codes
from dispatch.solver.rr.parallel import best_of_seeds
from dispatch.solver.rr.plan import Plan
from dispatch.solver.rr.route import earliest_starts
from dispatch.solver.rr.search import construct, ruin_and_recreate
from dispatch.solver.timing import time_solution, visit_orders
from dispatch.validator import schedule_route, validate

P, D = VisitKind.PICKUP, VisitKind.DROPOFF
FAR = 600.0  # seconds: a deadline the iteration limits always reach first


def dispatch_like(seed: int, n_requests: int = 14) -> RoutingProblem:
    """Seats and wheelchair places, ride limits, a rider on board of v0, a locked next stop on v1,
    one request only v2 may serve, and a few optional requests."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 60, size=(2 * n_requests + 3, 2))
    m = np.sqrt(((points[:, None] - points[None]) ** 2).sum(axis=2))
    requests = []
    for i in range(n_requests):
        p, d = 3 + 2 * i, 4 + 2 * i
        t = float(rng.uniform(0, 200))
        requests.append(
            Request(
                f"r{i}", p, d, (t, t + 60.0), (t, t + 60.0 + 2 * m[p, d] + 60.0),
                load=(1, 1 if i % 5 == 0 else 0), pickup_service=1.0, dropoff_service=1.0,
                max_ride=1.6 * float(m[p, d]) + 30.0, required=i % 4 != 3,
                vehicle_ids=("v2",) if i == 1 else (),
            )
        )
    requests.append(
        Request("aboard", 0, 1, (0.0, 0.0), (0.0, 400.0), load=(1, 0), max_ride=200.0,
                required=True, onboard_vehicle="v0", picked_up_at=0.0)
    )
    requests.append(Request("next", 2, 1, (0.0, 300.0), (0.0, 500.0), load=(1, 0), required=True))
    vehicles = [
        VehicleSpec("v0", 0, 0.0, 0, 1000.0, capacity=(4, 1)),
        VehicleSpec("v1", 1, 0.0, None, 1000.0, capacity=(4, 1), locked=(("next", P),)),
        VehicleSpec("v2", 2, 0.0, 2, 1000.0, capacity=(3, 1)),
        VehicleSpec("v3", 0, 0.0, 0, 1000.0, capacity=(4, 0)),
    ]
    return RoutingProblem(m, m.copy(), requests, vehicles)


def start_of(problem: RoutingProblem) -> Solution:
    start = solve(problem, SolveParams(time_limit_s=1.0, metaheuristic="GREEDY_DESCENT"))
    assert validate(problem, start) == []
    return start


def timed(problem: RoutingProblem, result) -> Solution:
    routed = {rid for seq in result.routes.values() for rid, _ in seq}
    unserved = {r.id: "left out" for r in problem.requests if r.id not in routed}
    solution = time_solution(problem, result.routes, unserved, result.start_times)
    assert solution is not None
    return solution


@pytest.fixture(scope="module")
def own():
    problem = dispatch_like(3)
    return problem, start_of(problem)


def test_result_validates_and_keeps_riders_on_board_locked_visits_and_allowed_vehicles(own):
    problem, start = own
    params = SolveParams()
    rr = RrParams(max_iterations=300)
    result = ruin_and_recreate(problem, params, rr, visit_orders(start), time.monotonic() + FAR)
    solution = timed(problem, result)
    assert validate(problem, solution) == []
    assert [(v.request_id, v.kind) for v in solution.routes["v1"][:1]] == [("next", P)]
    assert any(v.request_id == "aboard" for v in solution.routes["v0"])
    assert any(v.request_id == "r1" for v in solution.routes["v2"])
    assert result.stats["iterations"] == 300 and result.stats["accepted"] > 0


def test_never_worse_than_its_start(own):
    problem, start = own
    params = SolveParams()
    before = sum(len(seq) for seq in visit_orders(start).values())
    for seed in range(3):
        rr = RrParams(max_iterations=60)
        result = ruin_and_recreate(problem, params, rr, visit_orders(start), time.monotonic() + FAR, seed=seed)
        after = timed(problem, result)
        # fewer optional requests served only if that is cheaper on the objective (penalties count)
        assert result.cost <= flatten_cost(problem, params, start) + 1e-6
        assert sum(len(seq) for seq in result.routes.values()) >= before - 2 * len(after.unserved)


def flatten_cost(problem: RoutingProblem, params: SolveParams, solution: Solution) -> float:
    from dispatch.solver.objective import objective

    return objective(problem, solution, params)


def test_same_seed_and_iteration_limit_give_the_same_routes(own):
    problem, start = own
    rr = RrParams(max_iterations=120)
    runs = [
        ruin_and_recreate(problem, SolveParams(seed=5), rr, visit_orders(start), time.monotonic() + FAR)
        for _ in range(2)
    ]
    assert runs[0].routes == runs[1].routes and runs[0].cost == runs[1].cost


def test_a_stalled_chain_restarts_from_the_start_and_stays_repeatable(own):
    """A chain with no new best for its patience starts again (fresh schedule); the best of all
    chains is returned, never worse than the start, and a seed still gives the same routes."""
    problem, start = own
    orders = visit_orders(start)
    start_cost = flatten_cost(problem, SolveParams(), start)
    eager = RrParams(max_iterations=400, restart_patience=0.05)
    runs = [ruin_and_recreate(problem, SolveParams(seed=2), eager, orders, time.monotonic() + FAR) for _ in range(2)]
    assert runs[0].stats["restarts"] >= 1
    assert runs[0].routes == runs[1].routes and runs[0].cost == runs[1].cost
    assert runs[0].cost <= start_cost + 1e-6
    assert validate(problem, timed(problem, runs[0])) == []
    never = RrParams(max_iterations=400, restart_patience=1.0)
    assert ruin_and_recreate(problem, SolveParams(seed=2), never, orders, time.monotonic() + FAR).stats["restarts"] == 0
    with pytest.raises(ValueError, match="restart_patience"):
        RrParams(restart_patience=0.0)


def test_stops_at_the_iteration_limit_and_at_a_passed_deadline(own):
    problem, start = own
    orders = visit_orders(start)
    limited = ruin_and_recreate(problem, SolveParams(), RrParams(max_iterations=37), orders, time.monotonic() + FAR)
    assert limited.stats["iterations"] == 37
    late = ruin_and_recreate(problem, SolveParams(), RrParams(), orders, time.monotonic() - 1.0)
    assert late.stats["iterations"] == 0
    assert {vid: seq for vid, seq in late.routes.items() if seq} == {vid: seq for vid, seq in orders.items() if seq}


def test_solve_with_ruin_recreate_returns_a_validated_plan_not_worse_than_the_initial(own):
    problem, start = own
    params = SolveParams(time_limit_s=20.0, ruin_recreate=RrParams(max_iterations=100))
    solution = solve(problem, params, start)
    assert validate(problem, solution) == []
    assert solution.objective <= flatten_cost(problem, params, start) + 1e-6
    # a valid initial plan is the start itself: no OR-Tools search, the budget goes to the search
    assert solution.solver.startswith("initial")


def test_two_workers_are_never_worse_than_one_with_the_same_seed(own):
    problem, start = own
    params, rr, orders = SolveParams(seed=1), RrParams(max_iterations=80), visit_orders(start)
    one = best_of_seeds(problem, params, rr, orders, time.monotonic() + FAR, False, 1)
    two = best_of_seeds(problem, params, rr, orders, time.monotonic() + FAR, False, 2)
    assert validate(problem, timed(problem, two)) == []
    assert two.cost <= one.cost + 1e-9


@pytest.mark.parametrize("method", ["warp", "absences"])
@pytest.mark.parametrize("tight", [False, True])
def test_route_minimisation_empties_a_route_it_does_not_need(method, tight):
    """Six requests on a line, each on its own vehicle: one vehicle can carry them all (with tight
    windows only in the order along the line, so a request put back late must be moved again)."""
    m = np.abs(np.arange(13.0)[:, None] - np.arange(13.0)[None, :])
    requests = [
        Request(
            f"r{i}", 1 + 2 * i, 2 + 2 * i,
            (2.0 * i, 2.0 * i + 1.5) if tight else (0.0, 500.0),
            (2.0 * i + 1.0, 2.0 * i + 2.5) if tight else (0.0, 500.0),
            required=True,
        )
        for i in range(6)
    ]
    vehicles = [VehicleSpec(f"v{k}", 0, 0.0, 0, 500.0, capacity=(2,)) for k in range(6)]
    problem = RoutingProblem(m, m.copy(), requests, vehicles)
    start = {f"v{i}": [(f"r{i}", P), (f"r{i}", D)] for i in range(6)}
    params = SolveParams(vehicle_fixed_cost=1000.0)
    result = ruin_and_recreate(
        problem, params, RrParams(max_iterations=200, fleet_method=method), start, time.monotonic() + FAR,
        minimise_fleet=True,
    )
    assert validate(problem, timed(problem, result)) == []
    assert result.vehicles == 1 and result.stats["routes_removed"] >= 1


def lp_feasible(problem: RoutingProblem, vehicle: VehicleSpec, order) -> bool:
    """Brute force: is there any service-start vector meeting every timing rule of this order?"""
    n = len(order)
    reqs = [problem.request(rid) for rid, _ in order]
    locs = [r.pickup if k == P else r.dropoff for r, (_, k) in zip(reqs, order, strict=True)]
    svc = [r.pickup_service if k == P else r.dropoff_service for r, (_, k) in zip(reqs, order, strict=True)]
    bounds = [r.pickup_window if k == P else r.dropoff_window for r, (_, k) in zip(reqs, order, strict=True)]
    t = problem.travel_time
    rows, rhs = [], []

    def le(coeffs: dict[int, float], value: float) -> None:
        row = np.zeros(n)
        for i, c in coeffs.items():
            row[i] = c
        rows.append(row)
        rhs.append(value)

    le({0: -1.0}, -(vehicle.start_time + t[vehicle.start, locs[0]]))
    for i in range(1, n):
        le({i - 1: 1.0, i: -1.0}, -(svc[i - 1] + t[locs[i - 1], locs[i]]))
    where = {key: i for i, key in enumerate(order)}
    for rid, kind in order:
        r = problem.request(rid)
        if kind == D and r.max_ride is not None and (rid, P) in where:
            p = where[(rid, P)]
            le({where[(rid, D)]: 1.0, p: -1.0}, svc[p] + r.max_ride)
    end = 0.0 if vehicle.end is None else t[locs[-1], vehicle.end]
    le({n - 1: 1.0}, vehicle.end_time - svc[-1] - end)
    res = linprog(np.zeros(n), A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs")
    return res.status == 0


def test_exact_route_timing_agrees_with_a_linear_programme_and_with_the_validator():
    problem = dispatch_like(11, n_requests=5)
    vehicle = problem.vehicles[3]
    ids = ["r2", "r3", "r4"]  # seats only, any vehicle
    problem = replace(problem, requests=[r for r in problem.requests if r.id in ids], vehicles=[vehicle])
    flat = flatten(problem, SolveParams())
    visits = [(rid, P) for rid in ids] + [(rid, D) for rid in ids]
    agreed = feasible = 0
    for order in permutations(visits):
        if any(order.index((rid, P)) > order.index((rid, D)) for rid in ids):
            continue
        starts = earliest_starts(flat, 0, to_codes(flat, {vehicle.id: list(order)})[0])
        exact = lp_feasible(problem, vehicle, list(order))
        assert (starts is not None) == exact, order
        if starts is not None:
            feasible += 1
            solution = time_solution(problem, {vehicle.id: list(order)}, {}, dict(zip(order, starts, strict=True)))
            assert solution is not None and validate(problem, solution) == []
        if schedule_route(problem, vehicle, list(order)) is not None:
            assert starts is not None  # at least as permissive as the shared scheduler
        agreed += 1
    assert agreed == 90 and 0 < feasible < 90


def test_greedy_construction_serves_every_required_request_or_declines():
    rng = np.random.default_rng(4)
    points = rng.uniform(0, 50, size=(21, 2))
    m = np.sqrt(((points[:, None] - points[None]) ** 2).sum(axis=2))
    requests = [
        Request(f"r{i}", 1 + 2 * i, 2 + 2 * i, (0.0, 300.0), (0.0, 400.0), max_ride=150.0, required=True)
        for i in range(10)
    ]
    vehicles = [VehicleSpec(f"v{k}", 0, 0.0, 0, 600.0, capacity=(3,)) for k in range(3)]
    problem = RoutingProblem(m, m.copy(), requests, vehicles)
    built = construct(problem, SolveParams(), RrParams())
    assert built is not None
    solution = time_solution(problem, built, {})
    assert solution is not None and validate(problem, solution) == []
    assert construct(dispatch_like(3), SolveParams(), RrParams()) is None  # riders on board: not from scratch


@pytest.mark.parametrize("name", ["lc101", "a2-16"])
def test_public_instances_validate_and_repeat_from_a_greedy_start(name):
    from benchmarks.instances import default_data_dir, read_cordeau, read_li_lim

    data = default_data_dir()
    if name.startswith("a"):
        path, reader, fleet = data / "cordeau_darp" / "instances" / f"{name}.txt", read_cordeau, False
    else:
        path, reader, fleet = data / "li_lim_pdptw" / "pdp_100" / f"{name}.txt", read_li_lim, True
    if not path.is_file():
        pytest.skip(f"benchmark data not found at {path}")
    problem = reader(path).problem
    params = SolveParams(vehicle_fixed_cost=100_000.0 if fleet else 0.0)
    start = construct(problem, params, RrParams())
    assert start is not None
    rr = RrParams(max_iterations=60)
    runs = [ruin_and_recreate(problem, params, rr, start, time.monotonic() + FAR, minimise_fleet=fleet) for _ in "ab"]
    assert runs[0].routes == runs[1].routes
    solution = timed(problem, runs[0])
    assert validate(problem, solution) == [] and solution.unserved == {}
    started = Plan(flatten(problem, params), to_codes(flatten(problem, params), start))
    if fleet:
        assert (runs[0].vehicles, runs[0].cost) <= (started.vehicles_used(), started.cost())
    assert runs[0].cost <= started.cost() + 1e-9 or runs[0].vehicles < started.vehicles_used()

"""Vehicles-first search (route elimination) and the ruin-and-recreate loop on small problems."""

from __future__ import annotations

import time

import numpy as np
import pytest

from dispatch.problem import Request, RoutingProblem, Solution, VehicleSpec, VisitKind
from dispatch.solver import SolveParams, solve
from dispatch.solver.lns import LnsSettings, improve, route_cost
from dispatch.solver.phases import eliminate_routes, served
from dispatch.validator import validate

P, D = VisitKind.PICKUP, VisitKind.DROPOFF
ANY = (0.0, 1000.0)


def line_problem(xs: list[float], requests: list[Request], vehicles: list[VehicleSpec]) -> RoutingProblem:
    x = np.asarray(xs, dtype=float)
    m = np.abs(x[:, None] - x[None, :])
    return RoutingProblem(m, m.copy(), requests, vehicles)


# Depot at 0; a rides 1 -> 4, b rides -1 -> -4. Open routes: two vehicles drive 4 + 4, one drives 12.
XS = [0.0, 1.0, 4.0, -1.0, -4.0]
OPPOSITE = [Request("a", 1, 2, ANY, ANY, required=True), Request("b", 3, 4, ANY, ANY, required=True)]


def open_fleet(n: int) -> list[VehicleSpec]:
    return [VehicleSpec(f"v{i}", 0, 0.0, None, 1000.0, capacity=(2,)) for i in range(n)]


def test_distance_alone_prefers_two_vehicles_but_vehicles_first_uses_one():
    p = line_problem(XS, OPPOSITE, open_fleet(2))
    plain = solve(p, SolveParams(time_limit_s=0.5))
    assert plain.vehicles_used() == 2 and plain.distance(p) == pytest.approx(8.0)
    fleet_first = solve(p, SolveParams(time_limit_s=1.5, minimise_fleet=True))
    assert validate(p, fleet_first) == []
    assert fleet_first.vehicles_used() == 1 and fleet_first.distance(p) == pytest.approx(12.0)


def test_route_elimination_empties_a_route_and_keeps_every_request():
    p = line_problem(XS, OPPOSITE, open_fleet(2))
    two_routes = {"v0": [("a", P), ("a", D)], "v1": [("b", P), ("b", D)]}
    routes, removed = eliminate_routes(p, p.requests, SolveParams(), two_routes, time.monotonic() + 1.0)
    assert removed == 1
    assert served(routes) == {"a", "b"} and sum(1 for seq in routes.values() if seq) == 1


def test_route_elimination_never_empties_a_vehicle_carrying_a_rider():
    reqs = [
        Request("a", 1, 2, ANY, ANY, required=True),
        Request("b", 3, 4, ANY, ANY, onboard_vehicle="v1", picked_up_at=0.0, required=True),
    ]
    p = line_problem(XS, reqs, open_fleet(2))
    start = {"v0": [("a", P), ("a", D)], "v1": [("b", D)]}
    routes, _ = eliminate_routes(p, p.requests, SolveParams(), start, time.monotonic() + 1.0)
    assert ("b", D) in routes["v1"]


def scattered(n: int, seed: int) -> RoutingProblem:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 30, (2 * n + 1, 2))
    m = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    reqs = [Request(f"r{i}", 1 + 2 * i, 2 + 2 * i, ANY, ANY, required=True) for i in range(n)]
    vehicles = [VehicleSpec(f"v{i}", 0, 0.0, 0, 1000.0, capacity=(3,)) for i in range(n)]
    return RoutingProblem(m, m.copy(), reqs, vehicles)


def test_ruin_and_recreate_improves_a_poor_plan_and_serves_everyone():
    p = scattered(8, seed=5)
    one_each = {f"v{i}": [(f"r{i}", P), (f"r{i}", D)] for i in range(8)}
    before = route_cost(p, one_each, {})
    best, counters = improve(
        p, p.requests, SolveParams(seed=1), one_each, time.monotonic() + 2.0, settings=LnsSettings(iteration_s=0.3)
    )
    assert counters["iterations"] >= 1
    assert best is not None
    assert served(best.routes) == {r.id for r in p.requests}
    assert route_cost(p, best.routes, {}) < before


def test_solve_with_ruin_and_recreate_returns_a_valid_plan_no_worse_than_its_initial():
    p = scattered(8, seed=9)
    params = SolveParams(time_limit_s=2.0, lns=True, lns_iteration_s=0.3)
    first = solve(p, SolveParams(time_limit_s=0.3))
    s = solve(p, params, Solution(routes=first.routes))
    assert validate(p, s) == [] and s.unserved == {}
    assert s.distance(p) <= first.distance(p) + 1e-9

"""Driver breaks: the model refuses bad breaks, the validator refuses plans that break them, the
scheduler times them (at a place, or on the way)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dispatch.model import Break, Location, Shift
from dispatch.problem import BreakSpec, Request, RoutingProblem, Solution, VehicleSpec, VisitKind
from dispatch.validator import schedule_route, validate

P, D, B = VisitKind.PICKUP, VisitKind.DROPOFF, VisitKind.BREAK
DEPOT = Location(0, name="depot")


# --------------------------------------------------------------------------------- model
def test_break_model_validates_its_inputs():
    Break(3600, 3600, 1800)  # fixed time, anywhere
    with pytest.raises(ValueError, match="positive duration"):
        Break(3600, 4000, 0)
    with pytest.raises(ValueError, match="before its earliest"):
        Break(4000, 3600, 600)
    with pytest.raises(ValueError, match="does not fit in the shift"):
        Shift(8 * 3600, 17 * 3600, DEPOT, breaks=(Break(7 * 3600, 12 * 3600, 1800),))
    with pytest.raises(ValueError, match="does not fit in the shift"):
        Shift(8 * 3600, 17 * 3600, DEPOT, breaks=(Break(12 * 3600, 17 * 3600, 1800),))
    with pytest.raises(ValueError, match="cannot both be taken"):
        Shift(8 * 3600, 17 * 3600, DEPOT, breaks=(Break(12 * 3600, 12 * 3600, 3600), Break(12 * 3600, 12 * 3600, 600)))
    later, lunch = Break(15 * 3600, 15 * 3600, 600), Break(12 * 3600, 13 * 3600, 3600, DEPOT)
    shift = Shift(8 * 3600, 17 * 3600, DEPOT, breaks=(later, lunch))
    assert [b.earliest for b in shift.breaks] == [12 * 3600, 15 * 3600]  # kept in order
    assert shift.breaks[1].fixed and not shift.breaks[0].fixed


# --------------------------------------------------------------------------------- validator
def _problem(*breaks: BreakSpec) -> RoutingProblem:
    """Nodes 0..5 on a line, 100 s apart; rider a from 1 to 3; vehicle from depot 0, back by 5000 s."""
    x = np.arange(6, dtype=float)
    t = np.abs(x[:, None] - x[None, :]) * 100
    reqs = [Request("a", 1, 3, (0, 1500), (0, 3000), load=(1, 0), pickup_service=10, dropoff_service=10, max_ride=900)]
    vehicle = VehicleSpec("v", 0, 0.0, 0, 5000.0, capacity=(2, 1), breaks=tuple(breaks))
    return RoutingProblem(t, t * 10, reqs, [vehicle])


def _rules(problem: RoutingProblem, visits) -> set[str]:
    return {v.rule for v in validate(problem, Solution(routes={"v": list(visits)}))}


AT_DEPOT = BreakSpec("brk", (500.0, 800.0), 600.0, location=0)
ANYWHERE = BreakSpec("brk", (500.0, 800.0), 600.0, location=None)


def test_a_break_at_the_depot_is_a_visit_there():
    problem = _problem(AT_DEPOT)
    visits = schedule_route(problem, problem.vehicles[0], [("a", P), ("a", D), ("brk", B)])
    assert visits is not None and validate(problem, Solution(routes={"v": visits})) == []
    brk = visits[2]
    assert brk.arrival == pytest.approx(visits[1].departure + 300)  # drove 3 -> 0
    assert brk.start == pytest.approx(max(500.0, brk.arrival)) and brk.departure == pytest.approx(brk.start + 600)


def test_a_break_anywhere_is_taken_on_the_way():
    problem = _problem(ANYWHERE)
    visits = schedule_route(problem, problem.vehicles[0], [("brk", B), ("a", P), ("a", D)])
    assert visits is not None
    assert validate(problem, Solution(routes={"v": visits})) == []
    brk, pick = visits[0], visits[1]
    assert brk.start == pytest.approx(500.0) and brk.departure == pytest.approx(1100.0)
    assert pick.arrival == pytest.approx(1100.0)  # drove 100 s before the break or after: both fit


def test_each_broken_break_is_refused():
    problem = _problem(ANYWHERE)
    visits = schedule_route(problem, problem.vehicles[0], [("a", P), ("a", D), ("brk", B)])
    assert visits is not None and _rules(problem, visits) == set()
    brk = visits[2]
    assert _rules(problem, visits[:2]) == {"break-missing"}
    assert "break-window" in _rules(problem, [*visits[:2], replace(brk, arrival=900, start=900, departure=1500)])
    assert "break-duration" in _rules(problem, [*visits[:2], replace(brk, departure=brk.start + 300)])
    assert "break-duplicate" in _rules(problem, [*visits, visits[2]])
    # the vehicle drives from the last stop and rests: the stop after cannot be reached at once
    wrong = _problem(ANYWHERE)
    order = [("brk", B), ("a", P), ("a", D)]
    timed = schedule_route(wrong, wrong.vehicles[0], order)
    assert timed is not None
    early = replace(timed[1], arrival=1000, start=1000, departure=1010)
    assert "travel-time" in _rules(wrong, [timed[0], early, *timed[2:]])
    # riders on board across the break
    carried = [visits[0], replace(brk, arrival=600, start=600, departure=1200), *visits[1:2]]
    assert "break-onboard" in _rules(problem, carried)
    # a break of another vehicle (or none) is refused
    assert "unknown-break" in _rules(_problem(), visits)


def test_the_scheduler_refuses_an_order_that_carries_a_rider_across_a_break():
    problem = _problem(ANYWHERE)
    assert schedule_route(problem, problem.vehicles[0], [("a", P), ("brk", B), ("a", D)]) is None
    fixed = _problem(replace(AT_DEPOT, window=(100.0, 100.0)))
    # the break at the depot is fixed at 100 s: the rider cannot be served before it
    assert schedule_route(fixed, fixed.vehicles[0], [("a", P), ("a", D), ("brk", B)]) is None
    assert schedule_route(fixed, fixed.vehicles[0], [("brk", B), ("a", P), ("a", D)]) is not None


# --------------------------------------------------------------------------------- solver
def _fleet_problem(seed: int, location: int | None) -> RoutingProblem:
    """A 12-request problem on random points with two vehicles, each with a lunch break."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 10_000, size=(26, 2))
    dist = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    t = dist / (30 / 3.6)
    reqs = []
    for n in range(12):
        lo = float(rng.uniform(8 * 3600, 15 * 3600))
        p, q = 2 + 2 * n, 3 + 2 * n
        reqs.append(Request(f"r{n}", p, q, (lo, lo + 1800), (lo, lo + 1800 + 3 * t[p, q] + 600), load=(1, 0),
                            pickup_service=60, dropoff_service=60, max_ride=2 * t[p, q] + 900, required=True))
    vehicles = [
        VehicleSpec(f"v{k}", k, 8 * 3600.0, k, 18 * 3600.0, capacity=(4, 0),
                    breaks=(BreakSpec(f"lunch{k}", (11.5 * 3600, 13 * 3600), 2700.0, location),))
        for k in range(2)
    ]
    return RoutingProblem(t, dist, reqs, vehicles)


@pytest.mark.parametrize("location", [0, None], ids=["at-depot", "anywhere"])
def test_ortools_plans_every_break_validly(location):
    from dispatch.solver import SolveParams, solve

    for seed in (1, 2):
        problem = _fleet_problem(seed, location)
        if location is not None:  # each vehicle rests at its own depot
            problem.vehicles[1] = replace(
                problem.vehicles[1], breaks=(replace(problem.vehicles[1].breaks[0], location=1),)
            )
        solution = solve(problem, SolveParams(time_limit_s=2.0))
        assert validate(problem, solution) == []
        assert not solution.unserved
        assert not solution.solver.startswith("initial")
        for vehicle in problem.vehicles:
            taken = [v for v in solution.routes[vehicle.id] if v.kind == B]
            assert [v.request_id for v in taken] == [vehicle.breaks[0].id]
            assert 11.5 * 3600 - 1e-6 <= taken[0].start <= 13 * 3600 + 1e-6


def test_ruin_and_recreate_gives_way_to_ortools_when_there_are_breaks():
    from dispatch.solver import SolveParams, solve
    from dispatch.solver.rr.params import RrParams

    problem = _fleet_problem(3, None)
    solution = solve(problem, SolveParams(time_limit_s=1.5, ruin_recreate=RrParams()))
    assert validate(problem, solution) == []
    assert "ruin-and-recreate" not in solution.solver


def test_vehicles_first_search_empties_routes_of_vehicles_with_breaks():
    """Route elimination may leave a vehicle unused: a route that serves nobody need not rest."""
    from dispatch.solver import SolveParams, solve

    problem = _fleet_problem(4, None)
    problem.vehicles.append(replace(problem.vehicles[0], id="v2", breaks=(replace(problem.vehicles[0].breaks[0],
                                                                                   id="lunch2"),)))
    solution = solve(problem, SolveParams(time_limit_s=2.0, minimise_fleet=True))
    assert validate(problem, solution) == [] and not solution.unserved
    for vehicle in problem.vehicles:
        route = solution.routes.get(vehicle.id, [])
        if any(v.kind != B for v in route):
            assert [v.request_id for v in route if v.kind == B] == [vehicle.breaks[0].id]


def test_an_unused_vehicle_need_not_take_its_break():
    problem = _problem(ANYWHERE)
    problem.requests.clear()
    assert validate(problem, Solution(routes={"v": []})) == []

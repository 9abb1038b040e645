"""Re-optimisation keeps every promise and never publishes a plan that is invalid or longer."""

from __future__ import annotations

from dataclasses import replace

import pytest

import dispatch.solver as solver_pkg
from dispatch.model import BookingStatus, Location, Offer, StopKind
from dispatch.problem import Solution
from dispatch.validator import schedule_route
from tests.dispatch.dispatch_helpers import H, M, booking, cloud_costs, dispatcher, vehicle

COSTS = cloud_costs(50, size_m=10_000, seed=11)


def _busy_day(seed: int = 0, n: int = 28):
    import random

    rnd = random.Random(seed)
    d = dispatcher(COSTS, [vehicle("a", depot=0), vehicle("b", depot=1), vehicle("c", depot=2)])
    for k in range(n):
        p, q = rnd.sample(range(3, 50), 2)
        answer = d.request(booking(f"r{k}", p, q, rnd.randint(9 * H, 12 * H)), now=7 * H)
        if isinstance(answer, Offer) and k % 4:
            d.confirm(f"r{k}", now=7 * H)
    return d


def _pickups(d):
    return {s.booking_id: s for p in d.plans().values() for s in p.stops if s.kind == StopKind.PICKUP}


def test_reoptimise_saves_distance_and_keeps_every_promise():
    d = _busy_day()
    offers = {b.id: d.offer(b.id) for b in d.bookings() if b.status.is_active}
    before = sum(p.distance_m for p in d.plans().values())
    result = d.reoptimise(7 * H + 60, time_limit_s=3)
    assert result.improved, result.reason
    after = sum(p.distance_m for p in d.plans().values())
    assert after == pytest.approx(result.cost_after_m)
    assert result.cost_before_m == pytest.approx(before)
    assert after < before
    assert d.check() == []
    pickups = _pickups(d)
    assert set(pickups) == set(offers)  # nobody dropped
    for bid, offer in offers.items():
        lo, hi = offer.pickup_window
        assert lo <= pickups[bid].service_start <= hi, bid
    assert d.stats.reoptimisation_runs == 1 and d.stats.reoptimisations_published == 1
    assert d.stats.reoptimisation_saved_m == pytest.approx(before - after)
    assert d.stats.solver_seconds >= result.seconds > 0
    # offers follow the booking to its new vehicle
    for bid in offers:
        owner = next(vid for vid, p in d.plans().items() if bid in p.booking_ids)
        assert d.offer(bid).vehicle_id == owner


def test_reoptimise_keeps_the_locked_stop_first_and_riders_on_their_vehicle():
    d = _busy_day(seed=1)
    plan_a = d.plan("a")
    first = plan_a.stops[0]
    d.board("a", first.booking_id, now=first.service_start)
    d.update_position("a", Location(4), now=first.service_start + 60)  # on the way: next stop locked
    second = d.manifest("a")[0]
    result = d.reoptimise(first.service_start + 90, time_limit_s=2)
    assert result.reason == "" or result.reason == "no shorter plan found"
    assert d.manifest("a")[0].booking_id == second.booking_id and d.manifest("a")[0].kind == second.kind
    drops = [s for s in d.manifest("a") if s.booking_id == first.booking_id]
    assert [s.kind for s in drops] == [StopKind.DROPOFF]
    assert d.booking(first.booking_id).status == BookingStatus.ONBOARD
    assert d.check() == []


def _two_vehicles_one_booking():
    d = dispatcher(vehicles=[vehicle("near", depot=0), vehicle("far", depot=20)])
    assert isinstance(d.request(booking("a", 1, 3, 10 * H), now=8 * H), Offer)
    return d


def test_a_longer_valid_plan_is_not_published(monkeypatch):
    d = _two_vehicles_one_booking()
    plan_before = d.plan("near")

    def longer(problem, params, initial=None):
        far = next(v for v in problem.vehicles if v.id == "far")
        seq = [(v.request_id, v.kind) for v in initial.routes["near"]]
        visits = schedule_route(problem, far, seq)
        assert visits is not None
        return Solution(routes={"near": [], "far": visits}, solver="worse on purpose")

    monkeypatch.setattr(solver_pkg, "solve", longer)
    result = d.reoptimise(8 * H + 60, time_limit_s=1)
    assert not result.improved
    assert result.cost_after_m > result.cost_before_m
    assert result.reason == "no shorter plan found"
    assert d.plan("near").stops == plan_before.stops and d.manifest("far") == []


def test_an_invalid_solver_result_is_not_published(monkeypatch):
    d = _two_vehicles_one_booking()

    def drops_everything(problem, params, initial=None):
        return Solution(routes={"near": [], "far": []}, unserved={}, solver="broken")

    monkeypatch.setattr(solver_pkg, "solve", drops_everything)
    result = d.reoptimise(8 * H + 60, time_limit_s=1)
    assert not result.improved and "does not validate" in result.reason and "[lost]" in result.reason
    assert {s.booking_id for s in d.manifest("near")} == {"a"}


def test_a_solver_failure_leaves_the_plans_alone(monkeypatch):
    d = _two_vehicles_one_booking()

    def fails(problem, params, initial=None):
        raise solver_pkg.SolverFailed("no solution", {})

    monkeypatch.setattr(solver_pkg, "solve", fails)
    result = d.reoptimise(8 * H + 60)
    assert not result.improved and result.reason.startswith("solver failed")
    assert {s.booking_id for s in d.manifest("near")} == {"a"}


def test_nothing_to_replan():
    d = dispatcher()
    result = d.reoptimise(8 * H, time_limit_s=1)
    assert not result.improved and result.reason == "nothing to re-plan"


def test_time_limit_comes_from_solve_params_by_default(monkeypatch):
    from dispatch.solver.params import SolveParams

    seen = []

    def spy(problem, params, initial=None):
        seen.append(params.time_limit_s)
        return replace(initial)

    d = dispatcher(solve_params=SolveParams(time_limit_s=0.7))
    assert isinstance(d.request(booking("a", 1, 3, 10 * H), now=8 * H), Offer)
    monkeypatch.setattr(solver_pkg, "solve", spy)
    d.reoptimise(8 * H + M)
    d.reoptimise(8 * H + 2 * M, time_limit_s=0.2)
    assert seen == [0.7, 0.2]

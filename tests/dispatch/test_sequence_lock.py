"""A dispatcher's locked order of a vehicle's next stops: checked, kept by insertion and re-optimisation, shrinking
as stops are made, surviving snapshots."""

from __future__ import annotations

from dataclasses import replace

import pytest

import dispatch.online.reoptimise as reoptimise_mod
import dispatch.solver as solver_pkg
from dispatch.errors import BookingNotFound, BookingStateError, VehicleNotFound
from dispatch.model import BookingRejected, Location, Offer
from dispatch.online.dispatcher import Dispatcher
from dispatch.problem import Solution, Visit, VisitKind
from dispatch.solver.params import SolveParams
from dispatch.solver.rr import warm_up
from dispatch.solver.rr.params import RrParams
from dispatch.validator import check_sequence_locks, schedule_route
from tests.dispatch.dispatch_helpers import H, booking, dispatcher, line_costs, vehicle

# b's pickup (node 5) before a's (node 3): a detour the optimiser would undo
ORDER = [("b", "pickup"), ("a", "pickup")]


def _two_riders(**kwargs) -> Dispatcher:
    """One vehicle (depot 0) with a (3 -> 8) and b (5 -> 10), both from 10:00; the best order picks a up first."""
    d = dispatcher(vehicles=[vehicle("v1", depot=0)], **kwargs)
    for bid, p, q in (("a", 3, 8), ("b", 5, 10)):
        assert isinstance(d.request(booking(bid, p, q, 10 * H), now=8 * H), Offer)
        d.confirm(bid, now=8 * H)
    assert _head(d, "v1", 2) != ORDER
    return d


def _head(d: Dispatcher, vehicle_id: str, n: int) -> list[tuple[str, str]]:
    return [(s.booking_id, str(s.kind)) for s in d.plan(vehicle_id).stops[:n]]


def _vehicle_of(d: Dispatcher, booking_id: str) -> str:
    return next(vid for vid, plan in d.plans().items() if booking_id in plan.booking_ids)


def test_a_locked_order_becomes_the_vehicles_next_stops_and_pins_its_bookings():
    d = _two_riders()
    plan = d.lock_sequence("v1", ORDER, now=8 * H + 60)
    assert [(s.booking_id, str(s.kind)) for s in plan.stops[:2]] == ORDER
    assert d.sequence_locks() == {"v1": ORDER}
    assert d.pins() == {"a": "v1", "b": "v1"}
    assert d.check() == []


def test_new_bookings_are_inserted_only_after_the_locked_stops():
    d = _two_riders()
    d.lock_sequence("v1", ORDER, now=8 * H + 60)
    # c (3 -> 5) would best ride between the two pickups; it must come after them
    assert isinstance(d.request(booking("c", 3, 5, 10 * H), now=8 * H + 120), Offer)
    assert _head(d, "v1", 2) == ORDER
    assert "c" in d.plan("v1").booking_ids and d.check() == []


@pytest.mark.parametrize("params", [None, SolveParams(time_limit_s=1, ruin_recreate=RrParams(max_iterations=60))],
                         ids=["ortools", "ruin-recreate"])
def test_reoptimisation_keeps_the_locked_order(params):
    if params is not None:
        warm_up()  # a fresh machine compiles the search's kernels once; not inside the 1 s budget
    d = _two_riders(**({"solve_params": params} if params else {}))
    d.lock_sequence("v1", ORDER, now=8 * H + 60)
    for k, (p, q) in enumerate([(4, 9), (6, 2), (3, 10)]):
        assert isinstance(d.request(booking(f"r{k}", p, q, 11 * H + 900 * k), now=8 * H + 120), Offer)
    d.reoptimise(8 * H + 180, time_limit_s=1)
    assert _head(d, "v1", 2) == ORDER
    assert d.check() == []
    d.unlock_sequence("v1")
    assert d.sequence_locks() == {} and d.pins() == {"a": "v1", "b": "v1"}  # the pins stay
    if params is None:  # (the compiled search's first run may spend a 1 s budget loading its kernels)
        result = d.reoptimise(8 * H + 240, time_limit_s=1)
        assert result.improved and _head(d, "v1", 2) != ORDER, result.reason  # free again: the detour goes


def test_an_order_that_breaks_a_window_is_refused_with_which_and_by_how_much():
    d = dispatcher(vehicles=[vehicle("v1", depot=0), vehicle("v2", depot=20)])
    d.request(booking("near", 1, 2, 10 * H), now=8 * H)
    d.request(booking("far", 19, 18, 10 * H), now=8 * H)
    assert _vehicle_of(d, "far") == "v2"
    before = d.plan("v1").stops
    with pytest.raises(BookingRejected) as refused:
        d.lock_sequence("v1", [("far", "pickup"), ("far", "dropoff"), ("near", "pickup")], now=8 * H + 60)
    message = refused.value.rejection.message
    assert "cannot make these stops in this order" in message
    assert "pickup window" in message and "of near would be missed by" in message and "min" in message, message
    assert d.plan("v1").stops == before and d.sequence_locks() == {} and d.pins() == {}


def test_impossible_lists_are_refused_and_change_nothing():
    d = _two_riders()
    with pytest.raises(BookingStateError, match="before its pickup"):
        d.lock_sequence("v1", [("a", "dropoff"), ("a", "pickup")], now=8 * H + 60)
    with pytest.raises(BookingStateError, match="named twice"):
        d.lock_sequence("v1", [("a", "pickup"), ("a", "pickup")], now=8 * H + 60)
    with pytest.raises(BookingStateError, match="neither pickup nor dropoff"):
        d.lock_sequence("v1", [("a", "board")], now=8 * H + 60)
    with pytest.raises(BookingStateError, match="no stops"):
        d.lock_sequence("v1", [], now=8 * H + 60)
    with pytest.raises(BookingNotFound):
        d.lock_sequence("v1", [("ghost", "pickup")], now=8 * H + 60)
    with pytest.raises(VehicleNotFound):
        d.lock_sequence("ghost", ORDER, now=8 * H + 60)
    d.cancel("b", now=8 * H + 70)
    with pytest.raises(BookingStateError, match="it is cancelled"):
        d.lock_sequence("v1", ORDER, now=8 * H + 80)
    assert d.sequence_locks() == {} and d.pins() == {}


def test_locking_takes_a_booking_over_from_another_vehicle_with_its_dropoff():
    d = dispatcher(vehicles=[vehicle("v1", depot=0), vehicle("v2", depot=20)])
    d.request(booking("a", 2, 4, 10 * H), now=8 * H)
    d.request(booking("z", 12, 10, 10 * H + 1800), now=8 * H)
    d.reassign("z", "v2", now=8 * H, pin=False)
    assert _vehicle_of(d, "a") == "v1" and _vehicle_of(d, "z") == "v2"
    order = [("a", "pickup"), ("a", "dropoff"), ("z", "pickup")]
    d.lock_sequence("v1", order, now=8 * H + 60)
    assert _vehicle_of(d, "z") == "v1" and d.offer("z").vehicle_id == "v1"
    stops = [(s.booking_id, str(s.kind)) for s in d.plan("v1").stops]
    assert stops == order + [("z", "dropoff")]
    assert d.plan("v2").stops == [] and d.pins() == {"a": "v1", "z": "v1"}
    assert d.check() == []


def test_the_lock_shrinks_as_its_stops_are_made():
    d = _two_riders()
    d.lock_sequence("v1", ORDER + [("b", "dropoff")], now=8 * H + 60)
    d.start_shift("v1", now=9 * H)
    d.arrive("v1", "b", now=10 * H)
    d.board("v1", "b", now=10 * H + 30)
    assert d.sequence_locks() == {"v1": [("a", "pickup"), ("b", "dropoff")]}
    d.arrive("v1", "a", now=10 * H + 600)
    d.board("v1", "a", now=10 * H + 630)
    assert d.sequence_locks() == {"v1": [("b", "dropoff")]}
    d.arrive("v1", "b", now=10 * H + 1000)
    d.drop_off("v1", "b", now=10 * H + 1030)
    assert d.sequence_locks() == {}


def test_a_stop_the_vehicle_is_driving_to_heads_the_lock():
    d = _two_riders()
    d.start_shift("v1", now=9 * H)
    d.update_position("v1", Location(1), now=9 * H + 60)  # moving: its first stop (a's pickup) is locked
    assert _head(d, "v1", 1) == [("a", "pickup")]
    d.lock_sequence("v1", [("b", "pickup")], now=9 * H + 90)
    assert d.sequence_locks() == {"v1": [("a", "pickup"), ("b", "pickup")]}
    with pytest.raises(BookingStateError, match="already on its way"):
        d.lock_sequence("v1", [("b", "pickup"), ("a", "pickup")], now=9 * H + 100)


def test_a_cancelled_booking_leaves_the_lock_and_the_rest_stays_locked():
    d = _two_riders()
    d.request(booking("c", 3, 5, 10 * H), now=8 * H)
    d.lock_sequence("v1", [("b", "pickup"), ("c", "pickup"), ("a", "pickup")], now=8 * H + 60)
    d.cancel("c", now=8 * H + 120)
    assert d.sequence_locks() == {"v1": ORDER} and _head(d, "v1", 2) == ORDER


def test_a_locked_order_survives_snapshot_and_restore():
    d = _two_riders()
    d.lock_sequence("v1", ORDER, now=8 * H + 60)
    again = Dispatcher.restore(d.snapshot(), line_costs())
    assert again.sequence_locks() == {"v1": ORDER}
    assert isinstance(again.request(booking("c", 3, 5, 10 * H), now=8 * H + 120), Offer)
    again.reoptimise(8 * H + 180, time_limit_s=1)
    assert _head(again, "v1", 2) == ORDER
    data = d.snapshot()
    for raw in data["vehicle_states"]:
        raw.pop("held")  # written before locked orders existed
    assert Dispatcher.restore(data, line_costs()).sequence_locks() == {}


def test_check_sequence_locks_names_a_route_that_does_not_start_with_the_order():
    a, b = Visit("a", VisitKind.PICKUP, 0, 0, 0), Visit("b", VisitKind.PICKUP, 0, 0, 0)
    assert check_sequence_locks(Solution(routes={"v1": [b, a]}), {"v1": ORDER}) == []
    broken = check_sequence_locks(Solution(routes={"v1": [a, b]}), {"v1": ORDER})
    assert [v.rule for v in broken] == ["sequence-locked"] and "planned: pickup of a" in broken[0].message
    assert [v.rule for v in check_sequence_locks(Solution(routes={"v1": []}), {"v1": ORDER})] == ["sequence-locked"]


def test_a_plan_reordering_the_lock_is_not_published_even_if_the_problem_forgot_it(monkeypatch):
    d = _two_riders()
    d.lock_sequence("v1", ORDER, now=8 * H + 60)
    real = reoptimise_mod.to_problem

    def forgetful(fleet, now):  # a translation bug: the vehicles' locked visits are lost
        tr = real(fleet, now)
        tr.problem.vehicles[:] = [replace(v, locked=()) for v in tr.problem.vehicles]
        return tr

    def natural(problem, params, initial=None):
        v1 = problem.vehicles[0]
        order = [("a", VisitKind.PICKUP), ("b", VisitKind.PICKUP), ("a", VisitKind.DROPOFF), ("b", VisitKind.DROPOFF)]
        visits = schedule_route(problem, v1, order)
        assert visits is not None
        return Solution(routes={"v1": visits}, solver="reorders the lock")

    monkeypatch.setattr(reoptimise_mod, "to_problem", forgetful)
    monkeypatch.setattr(solver_pkg, "solve", natural)
    result = d.reoptimise(8 * H + 120, time_limit_s=1)
    assert not result.improved and "[sequence-locked]" in result.reason, result.reason
    assert _head(d, "v1", 2) == ORDER


def test_a_locked_order_keeps_the_drivers_break():
    from dispatch.model import Break, Shift, Vehicle

    breaks = (Break(10 * H + 1800, 10 * H + 2400, 1800),)  # from 10:30-10:40, half an hour, anywhere
    v1 = Vehicle("v1", "10210", seats=4, shifts=(Shift(8 * H, 17 * H, Location(0), breaks=breaks),))
    d = dispatcher(vehicles=[v1])
    for bid, p, q in (("a", 3, 8), ("b", 5, 10)):
        assert isinstance(d.request(booking(bid, p, q, 10 * H), now=8 * H), Offer)
    d.lock_sequence("v1", ORDER, now=8 * H + 60)
    assert _head(d, "v1", 2) == ORDER and "break" in [str(s.kind) for s in d.plan("v1").stops]
    assert d.check() == []
    with pytest.raises(BookingStateError, match="neither pickup nor dropoff"):
        d.lock_sequence("v1", [(d.plan("v1").stops[-1].booking_id, "break")], now=8 * H + 90)

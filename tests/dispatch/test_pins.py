"""Dispatcher pins: a reassigned booking stays on its vehicle through re-optimisation, edits and snapshots."""

from __future__ import annotations

from dataclasses import replace

import pytest

import dispatch.online.reoptimise as reoptimise_mod
import dispatch.solver as solver_pkg
from dispatch.errors import InvalidEvent, VehicleNotFound
from dispatch.model import BookingRejected, Offer
from dispatch.online.dispatcher import Dispatcher
from dispatch.problem import Solution, Visit, VisitKind
from dispatch.validator import check_pins, schedule_route
from tests.dispatch.dispatch_helpers import H, booking, dispatcher, line_costs, vehicle


def _moved_to_far(pin: bool) -> Dispatcher:
    """Booking "a" (1 -> 3) is best served by "near" (depot 0); a dispatcher moves it to "far" (depot 20)."""
    d = dispatcher(vehicles=[vehicle("near", depot=0), vehicle("far", depot=20)])
    offer = d.request(booking("a", 1, 3, 10 * H), now=8 * H)
    assert isinstance(offer, Offer) and offer.vehicle_id == "near"
    d.confirm("a", now=8 * H)
    plan = d.reassign("a", "far", now=8 * H + 60, pin=pin)
    assert {s.booking_id for s in plan.stops} == {"a"}
    return d


def _vehicle_of(d: Dispatcher, booking_id: str) -> str:
    return next(vid for vid, plan in d.plans().items() if booking_id in plan.booking_ids)


def test_reassign_pins_by_default_and_unpin_releases():
    d = _moved_to_far(pin=True)
    assert d.pins() == {"a": "far"}
    assert d.unpin("a") is True and d.pins() == {}
    assert d.unpin("a") is False  # releasing twice is harmless


def test_reassign_without_pin_moves_unpinned_and_drops_an_earlier_pin():
    d = _moved_to_far(pin=True)
    d.reassign("a", "near", now=8 * H + 120, pin=False)
    assert d.pins() == {} and _vehicle_of(d, "a") == "near"


def test_reassign_to_the_vehicle_it_is_on_just_pins_it():
    d = dispatcher(vehicles=[vehicle("near", depot=0), vehicle("far", depot=20)])
    d.request(booking("a", 1, 3, 10 * H), now=8 * H)
    before = d.plan("near").stops
    d.reassign("a", "near", now=8 * H + 10)
    assert d.pins() == {"a": "near"} and d.plan("near").stops == before
    with pytest.raises(VehicleNotFound):
        d.reassign("a", "ghost", now=8 * H + 20)
    assert d.pins() == {"a": "near"}


def test_reoptimisation_moves_an_unpinned_override_back_but_keeps_a_pinned_one():
    loose = _moved_to_far(pin=False)
    result = loose.reoptimise(8 * H + 120, time_limit_s=1)
    assert result.improved and _vehicle_of(loose, "a") == "near"  # the defect: the override is undone

    pinned = _moved_to_far(pin=True)
    result = pinned.reoptimise(8 * H + 120, time_limit_s=1)
    assert not result.improved
    assert _vehicle_of(pinned, "a") == "far" and pinned.offer("a").vehicle_id == "far"
    assert pinned.check() == []


def test_reoptimisation_publishes_a_better_plan_around_a_pinned_booking():
    """The pin reaches the OR-Tools model: the solver improves the rest and keeps "a" on "far" in time."""
    d = _moved_to_far(pin=True)
    promise = d.offer("a").pickup_window
    trips = [(4, 9), (2, 6), (5, 12), (3, 8), (15, 11), (18, 6)]
    for k, (p, q) in enumerate(trips):
        assert isinstance(d.request(booking(f"r{k}", p, q, 10 * H + 300 * k), now=8 * H + 200), Offer)
    result = d.reoptimise(8 * H + 300, time_limit_s=2)
    assert result.improved and result.moved >= 1, result.reason
    assert _vehicle_of(d, "a") == "far" and d.offer("a").vehicle_id == "far"
    pickup = next(s for s in d.plan("far").stops if s.booking_id == "a" and s.kind.value == "pickup")
    assert promise[0] <= pickup.service_start <= promise[1]
    assert d.check() == []


def test_a_pin_survives_snapshot_and_restore():
    d = _moved_to_far(pin=True)
    again = Dispatcher.restore(d.snapshot(), line_costs())
    assert again.pins() == {"a": "far"}
    again.reoptimise(8 * H + 120, time_limit_s=1)
    assert _vehicle_of(again, "a") == "far"


def test_a_snapshot_without_pins_still_loads():
    d = _moved_to_far(pin=True)
    data = d.snapshot()
    for raw in data["bookings"]:
        raw.pop("pinned_to")
    assert Dispatcher.restore(data, line_costs()).pins() == {}


def test_editing_a_pinned_booking_keeps_it_on_its_vehicle_or_refuses():
    d = _moved_to_far(pin=True)
    answer = d.modify("a", 8 * H + 120, requested_time=10 * H + 600)
    assert isinstance(answer, Offer) and answer.vehicle_id == "far"
    assert d.pins() == {"a": "far"}
    late = dispatcher(vehicles=[vehicle("near", depot=0), vehicle("far", depot=20, end=11 * H)])
    late.request(booking("a", 1, 3, 10 * H), now=8 * H)
    late.reassign("a", "far", now=8 * H + 60)
    refused = late.modify("a", 8 * H + 120, requested_time=13 * H)  # "near" could, but it is pinned to "far"
    assert not isinstance(refused, Offer) and "pinned to far" in refused.message
    assert _vehicle_of(late, "a") == "far"


def test_a_vehicle_with_pinned_bookings_cannot_end_its_shift():
    d = _moved_to_far(pin=True)
    d.start_shift("far", now=8 * H + 100)
    with pytest.raises(InvalidEvent, match="pinned"):
        d.end_shift("far", now=8 * H + 200)
    assert _vehicle_of(d, "a") == "far"
    d.unpin("a")
    d.end_shift("far", now=8 * H + 300)
    assert _vehicle_of(d, "a") == "near"


def test_a_refused_reassignment_leaves_the_pin_where_it_was():
    d = dispatcher(vehicles=[vehicle("near", depot=0), vehicle("far", depot=20), vehicle("small", seats=1)])
    d.request(booking("a", 1, 3, 10 * H, seats=2), now=8 * H)
    d.reassign("a", "far", now=8 * H + 10)
    with pytest.raises(BookingRejected):
        d.reassign("a", "small", now=8 * H + 20)
    assert d.pins() == {"a": "far"} and _vehicle_of(d, "a") == "far"


def test_check_pins_names_a_pinned_booking_planned_elsewhere_or_left_out():
    visit = Visit("a", VisitKind.PICKUP, 0.0, 0.0, 0.0)
    moved = Solution(routes={"near": [visit], "far": []})
    assert [v.rule for v in check_pins(moved, {"a": "far"})] == ["pinned"]
    assert check_pins(moved, {"a": "near"}) == []
    dropped = Solution(routes={"near": [], "far": []}, unserved={"a": "too far"})
    assert [v.rule for v in check_pins(dropped, {"a": "far"})] == ["pinned"]


def test_a_plan_moving_a_pinned_booking_is_not_published_even_if_the_problem_forgot_the_pin(monkeypatch):
    d = _moved_to_far(pin=True)
    real = reoptimise_mod.to_problem

    def forgetful(fleet, now):  # a translation bug: the allowed vehicles are lost
        tr = real(fleet, now)
        tr.problem.requests[:] = [replace(r, vehicle_ids=()) for r in tr.problem.requests]
        return tr

    def back_to_near(problem, params, initial=None):
        near = next(v for v in problem.vehicles if v.id == "near")
        visits = schedule_route(problem, near, [(v.request_id, v.kind) for v in initial.routes["far"]])
        assert visits is not None
        return Solution(routes={"near": visits, "far": []}, solver="moves the pinned booking")

    monkeypatch.setattr(reoptimise_mod, "to_problem", forgetful)
    monkeypatch.setattr(solver_pkg, "solve", back_to_near)
    result = d.reoptimise(8 * H + 120, time_limit_s=1)
    assert not result.improved and "[pinned]" in result.reason
    assert _vehicle_of(d, "a") == "far"


def test_a_refused_reassignment_names_the_window_it_would_miss_and_by_how_much():
    """v2 (depot 20) is already busy at the far end; taking "a" would make the waiting rider late."""
    d = dispatcher(vehicles=[vehicle("v1", depot=0), vehicle("v2", depot=20)])
    d.request(booking("far", 19, 18, 10 * H), now=8 * H)  # on v2, at the far end at 10:00
    d.request(booking("a", 1, 2, 10 * H), now=8 * H)  # on v1, near its depot
    with pytest.raises(BookingRejected) as refused:
        d.reassign("a", "v2", now=8 * H + 10)
    message = refused.value.rejection.message
    assert "window" in message and "would be missed by" in message and "min" in message, message


def test_a_refused_reassignment_names_seats_and_service_area():
    from dispatch.model import Booking, Location, TimeKind

    d = dispatcher(vehicles=[vehicle("v1"), vehicle("small", seats=2, area=frozenset({"10383"}))])
    big = Booking("big", Location(1, jis_code="10210"), Location(4, jis_code="10210"), 10 * H,
                  TimeKind.DEPART_AFTER, seats=3)
    assert isinstance(d.request(big, now=8 * H), Offer)
    with pytest.raises(BookingRejected) as refused:
        d.reassign("big", "small", now=8 * H + 10)
    message = refused.value.rejection.message
    assert "needs 3 seat(s), vehicle small has 2" in message
    assert "does not serve the pickup's municipality (10210)" in message

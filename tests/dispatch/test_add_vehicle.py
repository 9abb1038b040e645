"""A vehicle registered after the day's plan exists joins it: insertion, re-optimisation and snapshots see it."""

import json

import pytest

from dispatch.errors import InvalidEvent
from dispatch.model import Offer, Rejection, RejectionReason, Shift, Vehicle
from dispatch.online.dispatcher import Dispatcher
from tests.dispatch.dispatch_helpers import H, M, booking, dispatcher, line_costs, vehicle


def _full() -> Dispatcher:
    """One two-seat vehicle, filled by a confirmed party of two at 10:00 from node 1 to node 10."""
    d = dispatcher(vehicles=[vehicle("v1", seats=2)])
    first = d.request(booking("a", 1, 10, 10 * H, seats=2), now=8 * H)
    assert isinstance(first, Offer), first
    d.confirm("a", now=8 * H)
    return d


def test_full_fleet_rejects_then_the_added_vehicle_takes_the_booking():
    d = _full()
    late = booking("b", 1, 10, 10 * H, seats=2)
    refused = d.request(late, now=8 * H + 5 * M)
    assert isinstance(refused, Rejection) and refused.reason == RejectionReason.NO_VEHICLE_AVAILABLE

    d.add_vehicle(vehicle("v2", depot=5, seats=4), now=8 * H + 10 * M)
    assert [v.id for v in d.vehicles] == ["v1", "v2"]
    offer = d.request(booking("c", 1, 10, 10 * H, seats=2), now=8 * H + 10 * M)
    assert isinstance(offer, Offer), offer
    assert offer.vehicle_id == "v2"
    assert [s.booking_id for s in d.manifest("v2")] == ["c", "c"]
    assert [s.booking_id for s in d.manifest("v1")] == ["a", "a"]  # the first vehicle's plan is untouched
    assert d.check() == []


def test_added_vehicle_is_free_from_now_once_its_shift_began_else_from_shift_start():
    d = _full()
    d.add_vehicle(vehicle("early", depot=3, start=8 * H), now=9 * H)
    d.add_vehicle(vehicle("late", depot=3, start=13 * H), now=9 * H)
    assert d.plan("early").start_time == 9 * H
    assert d.plan("late").start_time == 13 * H
    assert d.plan("early").stops == [] and d.plan("late").stops == []
    assert d.check() == []


def test_reoptimisation_may_use_the_added_vehicle():
    d = _full()
    d.add_vehicle(vehicle("v2", depot=1, seats=4), now=8 * H + 10 * M)
    result = d.reoptimise(now=8 * H + 10 * M, time_limit_s=1.0)
    assert result.published or result.cost_after_m <= result.cost_before_m
    # the depot of v2 is at the pickup: the solver moves the booking there (no drive to node 1 first)
    assert [s.booking_id for s in d.manifest("v2")] == ["a", "a"]
    assert d.booking("a").status.value in ("confirmed", "assigned")
    assert d.check() == []


def test_snapshot_round_trip_keeps_the_added_vehicle_and_its_plan():
    d = _full()
    d.add_vehicle(vehicle("v2", depot=5, seats=4), now=8 * H + 10 * M)
    offer = d.request(booking("c", 1, 10, 10 * H, seats=2), now=8 * H + 10 * M)
    assert isinstance(offer, Offer) and offer.vehicle_id == "v2"
    snap = json.loads(json.dumps(d.snapshot()))
    twin = Dispatcher.restore(snap, line_costs())
    assert [v.id for v in twin.vehicles] == ["v1", "v2"]
    assert twin.plans() == d.plans()
    assert twin.snapshot() == d.snapshot()
    assert twin.check() == []
    # and it keeps answering like the original
    nxt = booking("e", 4, 8, 10 * H + 30 * M)
    assert twin.request(nxt, now=8 * H + 20 * M) == d.request(nxt, now=8 * H + 20 * M)


def test_duplicate_or_shiftless_vehicle_is_refused_and_nothing_changes():
    d = _full()
    before = d.snapshot()
    with pytest.raises(InvalidEvent, match="already"):
        d.add_vehicle(vehicle("v1", seats=8), now=9 * H)
    with pytest.raises(InvalidEvent, match="no shift"):
        d.add_vehicle(Vehicle("v3", "10210", seats=4, wheelchair_places=0, shifts=()), now=9 * H)
    assert d.snapshot() == before  # not even the clock moved
    assert "v3" not in {v.id for v in d.vehicles}


def test_added_vehicle_with_a_shift_already_over_gets_nothing():
    d = _full()
    d.add_vehicle(Vehicle("gone", "10210", seats=4, wheelchair_places=0,
                          shifts=(Shift(8 * H, 9 * H, d.vehicles[0].shifts[0].start_depot),)), now=9 * H + 30 * M)
    answer = d.request(booking("c", 1, 10, 10 * H, seats=2), now=9 * H + 30 * M)
    assert isinstance(answer, Rejection)
    assert d.check() == []

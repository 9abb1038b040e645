"""Booking lifecycle: offers, holds, confirmation, decline, cancellation, modification, reassignment."""

import pytest

from dispatch.errors import BookingNotFound, BookingStateError, InvalidBooking, VehicleNotFound
from dispatch.model import BookingRejected, BookingStatus, Offer, Rejection, RejectionReason
from tests.dispatch.dispatch_helpers import H, M, booking, dispatcher, vehicle


def _offer(answer) -> Offer:
    assert isinstance(answer, Offer), answer
    return answer


def test_offer_promises_a_max_wait_window_around_the_planned_pickup_and_holds_the_slot():
    d = dispatcher()
    offer = _offer(d.request(booking("b", 3, 9, 10 * H), now=8 * H))
    lo, hi = offer.pickup_window
    assert hi - lo == d.rules.max_wait_s
    assert lo <= offer.expected_pickup <= hi
    assert offer.expected_dropoff >= offer.expected_pickup + 6 * 120  # six line steps of 2 min
    assert d.booking("b").status == BookingStatus.OFFERED
    assert [s.booking_id for s in d.manifest("v1")] == ["b", "b"]
    assert d.check() == []


def test_arrive_by_offer_gets_a_narrow_promise_and_arrives_in_time():
    from dispatch.model import TimeKind

    d = dispatcher()
    offer = _offer(d.request(booking("b", 3, 9, 11 * H, kind=TimeKind.ARRIVE_BY), now=8 * H))
    assert offer.pickup_window[1] - offer.pickup_window[0] == d.rules.max_wait_s
    assert 11 * H - d.rules.arrive_by_slack_s <= offer.expected_dropoff <= 11 * H
    assert d.check() == []


def test_riders_going_the_same_way_share_the_vehicle():
    d = dispatcher()
    _offer(d.request(booking("a", 2, 12, 10 * H), now=8 * H))
    _offer(d.request(booking("b", 3, 11, 10 * H), now=8 * H))
    stops = d.manifest("v1")
    kinds = [(s.booking_id, s.kind.value) for s in stops]
    assert kinds[:2] == [("a", "pickup"), ("b", "pickup")]  # both on board together, then dropped
    assert set(kinds[2:]) == {("a", "dropoff"), ("b", "dropoff")}
    assert max(s.seats_after for s in stops) == 2
    assert d.check() == []


def _full_line_dispatcher():
    """One two-seat vehicle, filled by a party of two at 10:00 from node 1 to node 10."""
    d = dispatcher(vehicles=[vehicle("v1", seats=2)])
    _offer(d.request(booking("a", 1, 10, 10 * H, seats=2), now=8 * H))
    d.confirm("a", now=8 * H)
    return d


def test_full_vehicle_rejects_with_nearest_feasible_alternatives():
    d = _full_line_dispatcher()
    r = d.request(booking("b", 1, 10, 10 * H), now=8 * H)
    assert isinstance(r, Rejection) and r.reason == RejectionReason.NO_VEHICLE_AVAILABLE
    assert 1 <= len(r.alternatives) <= 3
    gaps = [abs(t - 10 * H) for t in r.alternatives]
    assert gaps == sorted(gaps)
    assert "nearest feasible" in r.message
    # the first alternative really can be booked
    offer = _offer(d.request(booking("b2", 1, 10, r.alternatives[0]), now=8 * H))
    assert offer.vehicle_id == "v1"
    assert d.stats.rejections == {"no_vehicle_available": 1}


def test_cancellation_frees_capacity():
    d = _full_line_dispatcher()
    assert isinstance(d.request(booking("b", 1, 10, 10 * H), now=8 * H), Rejection)
    d.cancel("a", now=8 * H + 60)
    assert d.booking("a").status == BookingStatus.CANCELLED
    assert d.manifest("v1") == []
    _offer(d.request(booking("c", 1, 10, 10 * H), now=8 * H + 120))
    d.cancel("a", now=8 * H + 180)  # twice: no-op
    assert d.stats.cancellations == 1


def test_decline_releases_the_held_slot():
    d = dispatcher(vehicles=[vehicle("v1", seats=2)])
    _offer(d.request(booking("a", 1, 10, 10 * H, seats=2), now=8 * H))
    d.decline("a", now=8 * H + 30)
    assert d.booking("a").status == BookingStatus.CANCELLED
    _offer(d.request(booking("b", 1, 10, 10 * H, seats=2), now=8 * H + 60))
    with pytest.raises(BookingStateError):
        d.decline("a", now=8 * H + 90)


def test_confirm_is_binding_idempotent_and_checks_state():
    d = dispatcher()
    offer = _offer(d.request(booking("a", 1, 10, 10 * H), now=8 * H))
    assert d.confirm("a", now=8 * H + 10) == offer
    assert d.confirm("a", now=8 * H + 20) == offer
    assert d.booking("a").status == BookingStatus.CONFIRMED
    d.cancel("a", now=8 * H + 30)
    with pytest.raises(BookingStateError, match="cancelled"):
        d.confirm("a", now=8 * H + 40)
    with pytest.raises(BookingNotFound, match="nope"):
        d.confirm("nope", now=8 * H)


def test_confirm_after_expiry_refits_in_the_offered_window():
    d = dispatcher(offer_hold_s=300)
    offer = _offer(d.request(booking("a", 1, 10, 10 * H), now=8 * H))
    d.request(booking("x", 15, 18, 12 * H), now=8 * H + 400)  # any call after the hold lapses expires it
    assert d.booking("a").status == BookingStatus.REQUESTED
    assert "a" not in {s.booking_id for s in d.manifest("v1")}
    assert d.stats.expired_offers == 1
    again = d.confirm("a", now=8 * H + 500)
    assert again.pickup_window == offer.pickup_window
    assert d.booking("a").status == BookingStatus.CONFIRMED
    assert d.check() == []


def test_confirm_after_expiry_fails_when_the_slot_was_taken():
    d = dispatcher(vehicles=[vehicle("v1", seats=2)], offer_hold_s=300)
    _offer(d.request(booking("a", 1, 10, 10 * H, seats=2), now=8 * H))
    _offer(d.request(booking("b", 1, 10, 10 * H, seats=2), now=8 * H + 400))  # a expired, b took the room
    with pytest.raises(BookingRejected) as caught:
        d.confirm("a", now=8 * H + 450)
    assert caught.value.rejection.reason == RejectionReason.NO_VEHICLE_AVAILABLE
    assert "expired" in str(caught.value)
    assert d.booking("a").status == BookingStatus.REJECTED
    assert d.booking("b").status == BookingStatus.OFFERED


def test_modify_replans_and_keeps_a_confirmed_booking_confirmed():
    d = dispatcher()
    _offer(d.request(booking("a", 1, 10, 10 * H), now=8 * H))
    d.confirm("a", now=8 * H)
    new = _offer(d.modify("a", 8 * H + 60, requested_time=11 * H, dropoff=booking("t", 1, 12, 0).dropoff))
    assert new.pickup_window[0] == 11 * H
    assert d.booking("a").status == BookingStatus.CONFIRMED
    assert d.booking("a").dropoff.node == 12
    assert d.check() == []
    same = d.modify("a", 8 * H + 90, notes="ring twice")
    assert same == new and d.booking("a").notes == "ring twice"


def test_modify_that_cannot_be_served_keeps_the_old_booking():
    d = dispatcher(vehicles=[vehicle("v1", seats=4)])
    offer = _offer(d.request(booking("a", 1, 10, 10 * H), now=8 * H))
    d.confirm("a", now=8 * H)
    before = d.plan("v1")
    r = d.modify("a", 8 * H + 60, seats=6)
    assert isinstance(r, Rejection) and r.reason == RejectionReason.PARTY_TOO_LARGE
    _offer(d.request(booking("block", 0, 20, 11 * H, seats=4), now=8 * H))
    r2 = d.modify("a", 8 * H + 90, requested_time=11 * H + 5 * M, seats=2)
    assert isinstance(r2, Rejection)
    assert d.booking("a").seats == 1 and d.booking("a").requested_time == 10 * H
    assert d.booking("a").status == BookingStatus.CONFIRMED
    assert d.offer("a") == offer
    assert [s.booking_id for s in d.plan("v1").stops if s.booking_id == "a"] == ["a", "a"]
    assert before.stops[0].service_start == next(s for s in d.plan("v1").stops if s.booking_id == "a").service_start
    with pytest.raises(InvalidBooking, match="status"):
        d.modify("a", 8 * H, status="completed")


def test_reassign_moves_a_booking_within_its_promise():
    d = dispatcher(vehicles=[vehicle("v1"), vehicle("v2", depot=20)])
    offer = _offer(d.request(booking("a", 1, 10, 10 * H), now=8 * H))
    d.confirm("a", now=8 * H)
    assert offer.vehicle_id == "v1"  # nearer depot
    plan = d.reassign("a", "v2", now=8 * H + 60)
    assert plan.vehicle_id == "v2" and {s.booking_id for s in plan.stops} == {"a"}
    assert d.manifest("v1") == []
    assert d.offer("a").vehicle_id == "v2" and d.offer("a").pickup_window == offer.pickup_window
    pickup = next(s for s in plan.stops if s.kind.value == "pickup")
    assert offer.pickup_window[0] <= pickup.service_start <= offer.pickup_window[1]
    assert d.check() == []
    with pytest.raises(VehicleNotFound):
        d.reassign("a", "v9", now=8 * H + 60)


def test_reassign_to_a_vehicle_that_cannot_carry_the_party_changes_nothing():
    d = dispatcher(vehicles=[vehicle("v1", wheelchairs=1), vehicle("v2", wheelchairs=0)])
    _offer(d.request(booking("wc", 1, 10, 10 * H, seats=0, wheelchairs=1), now=8 * H))
    with pytest.raises(BookingRejected, match="needs 1 wheelchair place.*v2 has 0"):
        d.reassign("wc", "v2", now=8 * H + 10)
    assert {s.booking_id for s in d.manifest("v1")} == {"wc"}


def test_reassign_fails_when_the_target_vehicle_is_too_late():
    d = dispatcher(vehicles=[vehicle("v1"), vehicle("v2", depot=20, start=10 * H + 30 * M)])
    _offer(d.request(booking("a", 1, 10, 10 * H), now=8 * H))
    with pytest.raises(BookingRejected, match="shift starts at 10:30, after the promised pickup window 10:00-10:15"):
        d.reassign("a", "v2", now=8 * H + 10)
    assert {s.booking_id for s in d.manifest("v1")} == {"a"}
    assert d.check() == []


def test_prebooked_and_same_day_bookings_share_one_plan():
    d = dispatcher()
    _offer(d.request(booking("early", 2, 12, 10 * H), now=-2 * 86_400 + 9 * H))
    d.confirm("early", now=-2 * 86_400 + 9 * H)
    assert d.booking("early").booked_at == -2 * 86_400 + 9 * H
    late = _offer(d.request(booking("today", 3, 11, 10 * H), now=9 * H))
    assert late.vehicle_id == "v1"
    assert len(d.manifest("v1")) == 4
    assert max(s.seats_after for s in d.manifest("v1")) == 2
    assert d.check() == []


def test_stats_count_what_happened():
    d = _full_line_dispatcher()
    d.request(booking("b", 1, 10, 10 * H), now=8 * H)
    d.request(booking("c", 1, 10, 20 * H), now=8 * H)
    s = d.stats
    assert (s.requests, s.offers, s.confirmations) == (3, 1, 1)
    assert s.rejections == {"no_vehicle_available": 1, "outside_service_hours": 1}
    assert s.insertion_seconds > 0

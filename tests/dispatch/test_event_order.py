"""Stop events that cannot have happened are refused with the reason, and change nothing."""

from __future__ import annotations

import pytest

from dispatch.errors import InvalidEvent
from dispatch.model import BookingStatus, Offer
from dispatch.rules import ServiceRules
from tests.dispatch.dispatch_helpers import H, M, booking, dispatcher, vehicle


def _day(**rules):
    d = dispatcher(vehicles=[vehicle("v1"), vehicle("v2", depot=20)], rules=ServiceRules(**rules))
    offer = d.request(booking("a", 2, 12, 10 * H), now=7 * H)  # ten line steps: a 20 min drive
    assert isinstance(offer, Offer) and offer.vehicle_id == "v1"
    d.confirm("a", now=7 * H)
    d.start_shift("v1", now=8 * H)
    return d, offer


def _unchanged(d, before):
    assert d.snapshot()["bookings"] == before["bookings"]
    assert d.snapshot()["vehicle_states"] == before["vehicle_states"]


def test_boarding_hours_before_the_window_is_refused_and_changes_nothing():
    d, offer = _day()
    before = d.snapshot()
    opens = offer.pickup_window[0]
    with pytest.raises(InvalidEvent, match=r"boarded at the pickup of 'a' at 07:00, .* before its window"):
        d.board("v1", "a", now=opens - 3 * H)
    with pytest.raises(InvalidEvent, match="arrived at the pickup of 'a'.*at most 10 min early"):
        d.arrive("v1", "a", now=opens - 11 * M)
    _unchanged(d, before)
    d.arrive("v1", "a", now=opens - 9 * M)  # inside the tolerance: a driver a little early
    assert d.booking("a").status == BookingStatus.ASSIGNED


def test_the_tolerance_is_a_service_rule():
    d, offer = _day(early_event_tolerance_s=30 * M)
    d.arrive("v1", "a", now=offer.pickup_window[0] - 25 * M)
    assert ServiceRules().early_event_tolerance_s == 10 * M


def test_arrived_at_the_pickup_after_boarding_is_refused():
    d, offer = _day()
    t = offer.pickup_window[0]
    d.arrive("v1", "a", now=t)
    d.board("v1", "a", now=t + 60)
    before = d.snapshot()
    with pytest.raises(InvalidEvent, match="boarded at .*arriving at its pickup cannot come after"):
        d.arrive("v1", "a", now=t + 90, stop="pickup")
    with pytest.raises(InvalidEvent, match="2 min after boarding.*the drive takes about 20 min"):
        d.arrive("v1", "a", now=t + 180)  # at the drop-off two minutes after boarding: impossible
    _unchanged(d, before)
    d.arrive("v1", "a", now=t + 21 * M, stop="dropoff")
    d.drop_off("v1", "a", now=t + 22 * M)
    assert d.booking("a").status == BookingStatus.COMPLETED


def test_boarding_before_arriving_and_dropping_off_before_boarding_are_refused():
    d, offer = _day()
    t = offer.pickup_window[0] + 5 * M
    d.arrive("v1", "a", now=t)
    with pytest.raises(InvalidEvent, match="cannot board at .*arrived at its pickup at"):
        d.board("v1", "a", now=t - 120)
    with pytest.raises(InvalidEvent, match="not on board"):
        d.drop_off("v1", "a", now=t + 60)
    d.board("v1", "a", now=t + 60)
    with pytest.raises(InvalidEvent, match="cannot be dropped off at .*it boarded at"):
        d.drop_off("v1", "a", now=t - 60)
    assert d.booking("a").status == BookingStatus.ONBOARD


def test_events_for_another_vehicles_rider_are_refused():
    d, offer = _day()
    d.start_shift("v2", now=8 * H)
    before = d.snapshot()
    for event in (d.arrive, d.board, d.no_show):
        with pytest.raises(InvalidEvent, match="no pickup planned on vehicle 'v2'"):
            event("v2", "a", now=offer.pickup_window[0] + 60)
    with pytest.raises(InvalidEvent, match="not on board vehicle 'v2'"):
        d.drop_off("v2", "a", now=offer.pickup_window[0] + 60)
    _unchanged(d, before)

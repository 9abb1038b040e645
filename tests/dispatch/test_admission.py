"""Rejections with reasons, and malformed bookings as exceptions the API maps to 4xx."""

import pytest

from dispatch.errors import InvalidBooking
from dispatch.model import Booking, BookingStatus, Location, Offer, Rejection, RejectionReason, TimeKind
from tests.dispatch.dispatch_helpers import DAY, H, M, booking, dispatcher, vehicle


def _rejection(answer) -> Rejection:
    assert isinstance(answer, Rejection), answer
    return answer


def test_outside_service_hours_is_rejected_with_the_hours():
    d = dispatcher()
    r = _rejection(d.request(booking("b", 1, 5, 18 * H), now=7 * H))
    assert r.reason == RejectionReason.OUTSIDE_SERVICE_HOURS
    assert "08:00-17:00" in r.message and "18:00" in r.message
    assert d.booking("b").status == BookingStatus.REJECTED
    early = _rejection(d.request(booking("c", 1, 5, 7 * H + 30 * M), now=6 * H))
    assert early.reason == RejectionReason.OUTSIDE_SERVICE_HOURS


def test_arrive_by_that_cannot_be_made_within_hours_is_rejected():
    d = dispatcher()
    r = _rejection(d.request(booking("b", 0, 20, 8 * H + 10 * M, kind=TimeKind.ARRIVE_BY), now=6 * H))
    assert r.reason == RejectionReason.OUTSIDE_SERVICE_HOURS


def test_too_little_notice_is_rejected():
    d = dispatcher()
    r = _rejection(d.request(booking("b", 1, 5, 10 * H), now=10 * H - 10 * M))
    assert r.reason == RejectionReason.TOO_LITTLE_NOTICE
    assert "15 min" in r.message
    assert isinstance(d.request(booking("c", 1, 5, 10 * H), now=10 * H - 15 * M), Offer)


def test_beyond_horizon_is_rejected_but_five_days_ahead_is_fine():
    d = dispatcher()
    r = _rejection(d.request(booking("b", 1, 5, 10 * H), now=10 * H - 6 * 86_400))
    assert r.reason == RejectionReason.BEYOND_HORIZON
    assert isinstance(d.request(booking("c", 1, 5, 10 * H), now=10 * H - 5 * 86_400), Offer)


def test_party_larger_than_any_vehicle_gets_a_clear_message():
    d = dispatcher(vehicles=[vehicle("a", seats=4), vehicle("b", seats=7, wheelchairs=1)])
    r = _rejection(d.request(booking("big", 1, 5, 10 * H, seats=9), now=8 * H))
    assert r.reason == RejectionReason.PARTY_TOO_LARGE
    assert "party of 9" in r.message and "7 seats" in r.message


def test_wheelchair_needs_a_wheelchair_place():
    d = dispatcher(vehicles=[vehicle("a", seats=7, wheelchairs=0)])
    r = _rejection(d.request(booking("wc", 1, 5, 10 * H, seats=0, wheelchairs=1), now=8 * H))
    assert r.reason == RejectionReason.PARTY_TOO_LARGE
    assert "wheelchair" in r.message
    d2 = dispatcher(vehicles=[vehicle("a", seats=7), vehicle("wc-van", seats=4, wheelchairs=1)])
    offer = d2.request(booking("wc", 1, 5, 10 * H, seats=1, wheelchairs=1), now=8 * H)
    assert isinstance(offer, Offer) and offer.vehicle_id == "wc-van"


def test_outside_service_area_is_rejected():
    d = dispatcher(vehicles=[vehicle("a", area=frozenset({"10210"}))])
    b = Booking("b", Location(1, jis_code="10210"), Location(5, jis_code="10383"), 10 * H)
    r = _rejection(d.request(b, now=8 * H))
    assert r.reason == RejectionReason.OUTSIDE_SERVICE_AREA
    assert "10383" in r.message


@pytest.mark.parametrize(
    "bad, words",
    [
        (booking("b", 1, 5, 10 * H, seats=-1), "negative"),
        (booking("b", 1, 5, 10 * H, seats=0), "party is empty"),
        (booking("b", 3, 3, 10 * H), "same place"),
        (booking("b", 1, 5, 10 * H, service_day="2026-12-02"), "2026-12-02"),
        (booking("b", 1, 5, 10 * H, pickup_window=(11 * H, 10 * H)), "pickup_window"),
    ],
)
def test_malformed_bookings_raise_invalid_booking(bad, words):
    d = dispatcher()
    with pytest.raises(InvalidBooking, match=words):
        d.request(bad, now=8 * H)
    assert d.bookings() == []


def test_an_active_booking_id_cannot_be_reused_but_a_rejected_one_can():
    d = dispatcher()
    assert isinstance(d.request(booking("b", 1, 5, 10 * H), now=8 * H), Offer)
    with pytest.raises(InvalidBooking, match="already in use"):
        d.request(booking("b", 2, 6, 11 * H), now=8 * H)
    _rejection(d.request(booking("r", 1, 5, 20 * H), now=8 * H))
    assert isinstance(d.request(booking("r", 1, 5, 11 * H), now=8 * H), Offer)


def test_stop_based_service_needs_named_stops():
    from dispatch.rules import ServiceRules

    d = dispatcher(rules=ServiceRules(door_to_door=False))
    r = _rejection(d.request(booking("b", 1, 5, 10 * H), now=8 * H))
    assert r.reason == RejectionReason.INVALID_REQUEST
    named = Booking("c", Location(1, stop_id="s1"), Location(5, stop_id="s5"), 10 * H, service_day=DAY)
    assert isinstance(d.request(named, now=8 * H), Offer)

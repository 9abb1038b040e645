"""A booking tied to a fleet (a wide-area leg) is only served by that municipality's vehicles."""

from __future__ import annotations

from dataclasses import replace

from dispatch.model import Offer, Rejection, RejectionReason
from tests.dispatch.dispatch_helpers import H, booking, dispatcher, vehicle


def test_leg_for_a_fleet_goes_to_that_fleet_even_when_another_van_is_nearer():
    near_other_town = replace(vehicle("shimonita-1", depot=5), municipality="10382")
    far_own_town = vehicle("tomioka-1", depot=15)  # municipality 10210
    d = dispatcher(vehicles=[near_other_town, far_own_town])
    offer = d.request(booking("leg", 5, 8, 10 * H, booked_at=8 * H, fleet="10210"), now=8 * H)
    assert isinstance(offer, Offer)
    assert offer.vehicle_id == "tomioka-1"
    # without a fleet the nearer van wins: the filter, not the distance, decided above
    d = dispatcher(vehicles=[near_other_town, far_own_town])
    free = d.request(booking("free", 5, 8, 10 * H, booked_at=8 * H), now=8 * H)
    assert isinstance(free, Offer) and free.vehicle_id == "shimonita-1"


def test_leg_for_a_fleet_with_no_vehicle_is_rejected_as_outside_its_area():
    d = dispatcher(vehicles=[replace(vehicle("shimonita-1", depot=5), municipality="10382")])
    answer = d.request(booking("leg", 5, 8, 10 * H, booked_at=8 * H, fleet="10210"), now=8 * H)
    assert isinstance(answer, Rejection)
    assert answer.reason == RejectionReason.OUTSIDE_SERVICE_AREA

"""Domain model and service rules: statuses, capacities, areas, ride limits, configuration errors."""

import pytest

from dispatch.model import Booking, BookingStatus, Location, Shift, Vehicle
from dispatch.rules import ServiceRules


def test_statuses_know_whether_they_hold_room_and_whether_they_are_final():
    assert {s for s in BookingStatus if s.is_active} == {"offered", "confirmed", "assigned", "onboard"}
    assert {s for s in BookingStatus if s.is_final} == {"completed", "cancelled", "no_show", "rejected"}
    assert not BookingStatus.REQUESTED.is_active and not BookingStatus.REQUESTED.is_final


def test_vehicle_capacity_has_two_dimensions_and_an_area():
    van = Vehicle("v", "10210", seats=4, wheelchair_places=1, service_area=frozenset({"10210"}))
    assert van.can_carry(4, 1) and not van.can_carry(5, 0) and not van.can_carry(0, 2)
    assert van.serves("10210") and not van.serves("10383") and van.serves(None)


def test_booking_party_and_status_copy():
    b = Booking("b", Location(1), Location(2), 36_000, seats=2, wheelchairs=1)
    assert b.party_size == 3
    c = b.with_status(BookingStatus.CONFIRMED)
    assert c.status == BookingStatus.CONFIRMED and b.status == BookingStatus.REQUESTED


def test_shift_returns_to_its_start_depot_unless_told_otherwise():
    home, other = Location(1), Location(2)
    assert Shift(0, 10, home).return_depot == home
    assert Shift(0, 10, home, other).return_depot == other


def test_matsim_ride_limit_and_dwell():
    rules = ServiceRules(alpha=1.5, beta_s=600, max_detour_s=1200)
    assert rules.max_ride_s(600) == 1500  # 1.5 * 600 + 600 < 600 + 1200
    assert rules.max_ride_s(3000) == 4200  # 3000 + 1200 < 1.5 * 3000 + 600
    assert rules.dwell_s(2, 1) == rules.dwell_stop_s + 3 * rules.dwell_per_passenger_s + rules.dwell_wheelchair_s


def test_rules_from_configuration_name_what_is_wrong():
    assert ServiceRules.from_dict({"max_wait_s": 600}).max_wait_s == 600
    with pytest.raises(ValueError, match="max_waiting"):
        ServiceRules.from_dict({"max_waiting": 600})
    with pytest.raises(ValueError, match="service_end"):
        ServiceRules.from_dict({"service_start": 10, "service_end": 5})
    with pytest.raises(ValueError, match="alpha"):
        ServiceRules.from_dict({"alpha": 0.5})
    rules = ServiceRules()
    assert ServiceRules.from_dict(rules.to_dict()) == rules

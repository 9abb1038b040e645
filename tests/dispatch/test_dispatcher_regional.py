"""The dispatcher on the regional road network (routing.RoadNetwork.load()), not a toy matrix."""

import pytest

from dispatch.model import Booking, Location, Offer, Shift, Vehicle
from dispatch.online.dispatcher import Dispatcher

H = 3600


@pytest.fixture(scope="module")
def network():
    routing = pytest.importorskip("routing")
    try:
        return routing.RoadNetwork.load()
    except Exception as exc:  # noqa: BLE001 - no regional data on this machine
        pytest.skip(f"regional network unavailable: {exc}")


def _loc(place) -> Location:
    return Location(int(place.node), place.lat, place.lon, place.key, place.name_ja, place.jis_code)


def test_regional_trips_are_offered_timed_by_the_road_network_and_validate(network):
    office = _loc(network.place("nanmoku_village_office"))
    hospital = next(p for p in network.places if p.kind == "hospital" and p.jis_code == "10210")
    tomioka = _loc(network.place("tomioka_city_hall"))
    vehicles = [
        Vehicle("nanmoku-1", "10383", seats=7, wheelchair_places=1, shifts=(Shift(8 * H, 17 * H, office),)),
        Vehicle("tomioka-1", "10210", seats=7, shifts=(Shift(8 * H, 17 * H, tomioka),)),
    ]
    d = Dispatcher(network, vehicles, service_day="2026-12-01")
    trip = Booking("b1", office, _loc(hospital), 9 * H, seats=0, wheelchairs=1)
    offer = d.request(trip, now=7 * H)
    assert isinstance(offer, Offer), offer
    assert offer.vehicle_id == "nanmoku-1"  # the only wheelchair place
    ride = offer.expected_dropoff - offer.expected_pickup
    direct = network.travel_time(office.node, hospital.node)
    assert ride >= direct  # the road network, not a straight line, times the ride
    assert direct > 15 * 60  # Nanmoku village office to a Tomioka hospital is a real drive
    back = d.request(Booking("b2", _loc(hospital), tomioka, 11 * H), now=7 * H)
    assert isinstance(back, Offer)
    assert d.check() == []
    plan = d.plan(offer.vehicle_id)
    assert plan.distance_m > network.distance(office.node, hospital.node)

"""Stop-based service: doors served at the nearest stop within the walking limit, refused beyond it."""

from __future__ import annotations

import pytest

from dispatch.model import Booking, Location, Offer, Shift, Vehicle
from dispatch.online.dispatcher import Dispatcher
from dispatch.rules import ServiceRules
from dispatch.stop_service import NO_STOP_REASON, NoStopNearby, SameStop, StopMapper, StopService
from routing import RoadNetwork
from routing.geo import haversine_m
from routing.network import ACCESS_CIRCUITY

TOMIOKA, NANMOKU = "10210", "10383"
H = 3600


@pytest.fixture(scope="module")
def net() -> RoadNetwork:
    return RoadNetwork.load()


@pytest.fixture(scope="module")
def mapper(net: RoadNetwork) -> StopMapper:
    return StopMapper(net, StopService(feeds=("tomioka",), max_walk_m=800, municipalities=(TOMIOKA,)))


def _door(net: RoadNetwork, key: str) -> Location:
    p = net.place(key)
    return Location(node=p.node, lat=p.lat, lon=p.lon, stop_id=p.key, name=p.name_en, jis_code=p.jis_code)


def test_a_door_is_served_at_the_nearest_pole_with_its_walk(net: RoadNetwork, mapper: StopMapper) -> None:
    hall = net.place("tomioka_city_hall")
    access = mapper.access(hall.lat, hall.lon)
    poles = [s for s in net.stops if s.feed == "tomioka"]
    nearest = min(poles, key=lambda s: (haversine_m(hall.lat, hall.lon, s.lat, s.lon), s.key))
    assert access.location.stop_id == nearest.key and access.location.node == nearest.node
    assert access.walk_m == pytest.approx(haversine_m(hall.lat, hall.lon, nearest.lat, nearest.lon) * ACCESS_CIRCUITY)
    assert access.walk_m <= 800 and access.walk_s == pytest.approx(access.walk_m / (4 / 3.6))
    assert access.location.access_s == pytest.approx(access.walk_s)
    assert access.location.jis_code == TOMIOKA
    assert nearest.key not in access.alternatives


def test_a_door_beyond_the_walking_limit_is_refused_with_the_reason(net: RoadNetwork, mapper: StopMapper) -> None:
    far = net.place("oz:富岡市/岩染")  # a 大字 of Tomioka more than 1 km from every pole of the old taxi
    assert net.nearest_stops(far.lat, far.lon, 800, feeds=["tomioka"]) == []
    with pytest.raises(NoStopNearby, match="no stop within 800 m") as err:
        mapper.serve(_door(net, far.key))
    assert err.value.reason == NO_STOP_REASON == "no_stop_within_walk"


def test_beyond_walk_door_serves_a_gap_in_the_stop_set_at_the_door(net: RoadNetwork) -> None:
    """A stand-in stop set sparser than the real one: its gaps are served at the door, not refused."""
    lenient = StopMapper(net, StopService(feeds=("tomioka",), max_walk_m=800, municipalities=(TOMIOKA,),
                                          beyond_walk="door"))
    far, near = _door(net, "oz:富岡市/岩染"), _door(net, "tomioka_city_hall")
    assert lenient.serve(far) is far  # no pole within 800 m: the door itself, no walk
    served = lenient.serve(near)
    assert served.stop_id is not None and served.stop_id.startswith("stop:tomioka/")  # poles still win in reach
    with pytest.raises(ValueError, match="beyond_walk"):
        StopService(beyond_walk="walk further")


def test_a_pole_of_the_set_stays_where_it_is_and_other_towns_stay_door_to_door(
    net: RoadNetwork, mapper: StopMapper
) -> None:
    pole = _door(net, "stop:tomioka/総合病院")
    assert mapper.serve(pole) is pole
    village = _door(net, "nanmoku_village_office")
    assert mapper.serve(village) is village  # Nanmoku is not in the stop-service municipalities
    hospital = mapper.serve(_door(net, "tomioka_general_hospital"))  # a landmark is not a pole: moved
    assert hospital.stop_id.startswith("stop:tomioka/") and hospital.access_s > 0


def test_stop_service_everywhere_refuses_a_village_without_a_pole_of_the_set(net: RoadNetwork) -> None:
    everywhere = StopMapper(net, StopService(feeds=("tomioka",), max_walk_m=800))
    with pytest.raises(NoStopNearby):
        everywhere.serve(_door(net, "nanmoku_village_office"))
    village_bus = StopMapper(net, StopService(feeds=("nanmoku",), max_walk_m=800))
    assert village_bus.serve(_door(net, "nanmoku_village_office")).stop_id.startswith("stop:nanmoku/")


def test_configuration_is_checked() -> None:
    svc = StopService.from_dict({"feeds": "tomioka", "max_walk_m": 500, "municipalities": [TOMIOKA]})
    assert svc.feeds == ("tomioka",) and svc.applies_to(TOMIOKA) and not svc.applies_to(NANMOKU)
    assert StopService().applies_to(NANMOKU)  # no municipalities: everywhere
    with pytest.raises(ValueError, match="unknown stop-service key"):
        StopService.from_dict({"max_walk": 500})
    with pytest.raises(ValueError, match="positive"):
        StopService(max_walk_m=0)
    with pytest.raises(ValueError, match="no stop of the set"):
        StopMapper(RoadNetwork.load(), StopService(feeds=("atlantis",)))


def test_the_dispatcher_plans_the_stop_and_the_rider_walks(net: RoadNetwork, mapper: StopMapper) -> None:
    depot = _door(net, "tomioka_city_hall")
    vehicle = Vehicle("t1", TOMIOKA, seats=4, shifts=(Shift(8 * H, 17 * H, depot),))
    d = Dispatcher(net, [vehicle], ServiceRules(door_to_door=False), service_day="2026-12-01")
    home = mapper.serve(_door(net, "oz:富岡市/七日市"))
    clinic = mapper.serve(_door(net, "tomioka_general_hospital"))
    offer = d.request(Booking("b1", home, clinic, 10 * H, service_day="2026-12-01"), now=8 * H)
    assert isinstance(offer, Offer)
    plan = d.plans()["t1"]
    assert [s.location.stop_id for s in plan.stops] == [home.stop_id, clinic.stop_id]
    assert home.access_s > 0 and clinic.access_s > 0
    # the same doors booked door to door are refused by a stop-to-stop service's rules
    door = Booking("b2", _door(net, "oz:富岡市/七日市"), Location(node=clinic.node, jis_code=TOMIOKA), 11 * H,
                   service_day="2026-12-01")
    assert not isinstance(d.request(door, now=8 * H), Offer)


def test_a_trip_served_at_one_stop_at_both_ends_is_a_walk(net: RoadNetwork, mapper: StopMapper) -> None:
    pole = net.place("stop:tomioka/総合病院")
    near = Location(node=pole.node, lat=pole.lat + 0.0005, lon=pole.lon, jis_code=TOMIOKA, name="next door")
    with pytest.raises(SameStop) as err:
        mapper.serve_trip(near, _door(net, "tomioka_general_hospital"))
    assert err.value.reason == "same_stop"
    a, b = mapper.serve_trip(_door(net, "oz:富岡市/七日市"), _door(net, "tomioka_general_hospital"))
    assert a.node != b.node and a.stop_id.startswith("stop:") and b.stop_id.startswith("stop:")

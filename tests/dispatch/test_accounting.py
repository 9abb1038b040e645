"""Per-municipality accounting: kilometres and hours by fleet and by municipality served add up."""

from __future__ import annotations

import pytest

from dispatch.accounting import MunicipalAccounts, Segment, _share, vehicle_segments
from dispatch.model import Booking, Location, Offer, Shift, Stop, StopKind, TimeKind, Vehicle, VehiclePlan
from dispatch.online.dispatcher import Dispatcher
from dispatch.rail import read_gtfs
from dispatch.trips import OperatingModel, TripPlanner
from routing.network import RoadNetwork

HH = 3600
TOMIOKA, SHIMONITA, NANMOKU = "10210", "10382", "10383"
DEPOTS = {TOMIOKA: "tomioka_city_hall", SHIMONITA: "shimonita_town_office", NANMOKU: "nanmoku_village_office"}
NOW = 7 * HH


@pytest.fixture(scope="module")
def network():
    return RoadNetwork.load()


def loc(network, key: str) -> Location:
    p = network.place(key)
    return Location(node=p.node, lat=p.lat, lon=p.lon, stop_id=p.key, name=p.name_en or p.name_ja, jis_code=p.jis_code)


@pytest.fixture()
def planner(network) -> TripPlanner:
    model = OperatingModel.from_dict({"fleets": {j: j for j in DEPOTS}, "station_access": {"max_walk_m": 0}})
    vehicles = [Vehicle(f"{j}-0", j, shifts=(Shift(8 * HH, 17 * HH, loc(network, d)),),
                        service_area=model.service_area(j)) for j, d in DEPOTS.items()]
    dispatcher = Dispatcher(network, vehicles, service_day="2026-12-01")
    p = TripPlanner(dispatcher, network, read_gtfs(service_day="2026-12-01"), model)
    trips = [
        Booking("n1", loc(network, "oz:南牧村/大日向"), loc(network, "tomioka_general_hospital"), 10 * HH,
                TimeKind.ARRIVE_BY, home_municipality=NANMOKU),
        Booking("n2", loc(network, "oz:南牧村/磐戸"), loc(network, "tomioka_general_hospital"), 10 * HH,
                TimeKind.ARRIVE_BY, seats=2, home_municipality=NANMOKU),
        Booking("t1", loc(network, "oz:富岡市/一ノ宮"), loc(network, "tomioka_city_hall"), 11 * HH,
                home_municipality=TOMIOKA),
        Booking("t2", loc(network, "oz:富岡市/宇田"), loc(network, "tomioka_general_hospital"), 13 * HH,
                home_municipality=TOMIOKA, fare_class="other"),
    ]
    for trip in trips:
        assert isinstance(p.request(trip, NOW), Offer)
        p.confirm(trip.id, NOW)
    return p


def test_fleet_totals_match_the_plans_and_every_km_is_shared_out(planner):
    acc = MunicipalAccounts.from_planner(planner)
    plans = planner.dispatcher.plans()
    for jis in DEPOTS:
        planned_km = sum(plans[v.id].distance_m for v in planner.dispatcher.vehicles if v.municipality == jis) / 1000
        assert acc.fleet_km(jis) == pytest.approx(planned_km, rel=1e-6)
        planned_h = sum(plans[v.id].drive_s for v in planner.dispatcher.vehicles if v.municipality == jis) / 3600
        assert acc.fleet_hours(jis) == pytest.approx(planned_h, rel=1e-6)
    assert acc.fleet_km(SHIMONITA) == 0 and acc.vehicles_by_fleet.get(SHIMONITA, 0) == 0
    assert acc.total_km == pytest.approx(sum(acc.served_km(h) for h in (TOMIOKA, NANMOKU)))
    assert sum(acc.km_by_territory.values()) == pytest.approx(acc.total_km)


def test_tomioka_drives_for_nanmoku_residents_on_the_onward_leg(planner):
    acc = MunicipalAccounts.from_planner(planner)
    assert acc.km[TOMIOKA][NANMOKU] > 0  # station -> hospital for the two Nanmoku riders
    assert acc.km[TOMIOKA][TOMIOKA] > 0
    assert set(acc.km[NANMOKU]) == {NANMOKU}
    assert acc.riders[NANMOKU]["trips"] == 2 and acc.riders[NANMOKU]["riders"] == 3
    assert acc.riders[NANMOKU]["chain"] == 3 and acc.riders[NANMOKU]["rail"] == 3
    assert acc.riders[TOMIOKA]["local"] == 2 and acc.riders[TOMIOKA].get("rail", 0) == 0
    # Nanmoku van: 200 yen x 3 riders; Tomioka: 500 x 3 Nanmoku riders + 100 + 500 (a visitor)
    assert acc.fares_by_fleet[NANMOKU] == 600
    assert acc.fares_by_fleet[TOMIOKA] == 1500 + 100 + 500
    assert acc.rail_fares_yen > 0
    data = acc.to_dict()
    assert data["by_fleet"][TOMIOKA]["vehicle_km"] == pytest.approx(acc.fleet_km(TOMIOKA), abs=1e-3)
    assert set(data["riders_by_home"]) == {NANMOKU, TOMIOKA}
    text = acc.table({NANMOKU: "Nanmoku", TOMIOKA: "Tomioka"})
    assert "Nanmoku" in text and "total" in text


def test_executed_stops_count_like_planned_ones(planner):
    before = MunicipalAccounts.from_planner(planner).fleet_km(NANMOKU)
    d = planner.dispatcher
    vid = f"{NANMOKU}-0"
    d.start_shift(vid, 8 * HH)
    for stop in list(d.plan(vid).stops):
        t = max(stop.arrival, d.now)
        (d.board if stop.kind == StopKind.PICKUP else d.drop_off)(vid, stop.booking_id, t)
    assert d.executed(vid) and not d.plan(vid).stops
    after = MunicipalAccounts.from_planner(planner)
    assert after.fleet_km(NANMOKU) == pytest.approx(before, rel=1e-6)
    assert set(after.km[NANMOKU]) == {NANMOKU}


def test_segments_share_by_party_and_book_empty_returns_to_the_last_rider(network):
    depot = loc(network, "tomioka_city_hall")
    v = Vehicle("v", TOMIOKA, shifts=(Shift(0, 10 * HH, depot),))
    a, b = loc(network, "oz:富岡市/一ノ宮"), loc(network, "tomioka_general_hospital")
    bookings = {"x": Booking("x", a, b, 0, seats=3, home_municipality=NANMOKU),
                "y": Booking("y", a, b, 0, home_municipality=TOMIOKA)}
    stops = [Stop("x", StopKind.PICKUP, a, 0, 0), Stop("y", StopKind.PICKUP, a, 0, 0),
             Stop("x", StopKind.DROPOFF, b, 0, 0), Stop("y", StopKind.DROPOFF, b, 0, 0)]
    plan = VehiclePlan("v", depot, 0, stops, end=depot)
    segs = vehicle_segments(v, [], plan, bookings, network)
    assert [s.riders for s in segs][0] == (("x", NANMOKU, 3),)
    loaded = segs[1]  # pickup point -> hospital with both on board (the second pickup is at the same node)
    assert {r[0] for r in loaded.riders} == {"x", "y"}
    assert segs[-1].riders == (("y", TOMIOKA, 1),)  # the empty return
    shares = _share(8.0, loaded.riders)
    assert shares == {NANMOKU: 6.0, TOMIOKA: 2.0}
    acc = MunicipalAccounts()
    acc.add_segments([Segment("v", TOMIOKA, 1000.0, 60.0, TOMIOKA, ())])
    assert acc.km[TOMIOKA]["unknown"] == 1.0

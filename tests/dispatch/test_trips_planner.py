"""The trip planner over the real Dispatcher: linked legs, pooling, all-or-nothing, delays, missed trains."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dispatch.errors import BookingNotFound, InvalidBooking, InvalidEvent
from dispatch.model import (
    Booking,
    BookingStatus,
    Location,
    Offer,
    Rejection,
    RejectionReason,
    Shift,
    StopKind,
    TimeKind,
    Vehicle,
)
from dispatch.online.dispatcher import Dispatcher
from dispatch.rail import read_gtfs
from dispatch.trips import OperatingModel, TripPlanner
from dispatch.trips.itinerary import CHAIN, DIRECT, DRT, LOCAL, RAIL
from routing.network import RoadNetwork

HH = 3600
TOMIOKA, SHIMONITA, NANMOKU, KANRA = "10210", "10382", "10383", "10384"
DEPOTS = {TOMIOKA: "tomioka_city_hall", KANRA: "kanra_town_office", SHIMONITA: "shimonita_town_office",
          NANMOKU: "nanmoku_village_office"}
NOW = 7 * HH


@pytest.fixture(scope="module")
def network():
    return RoadNetwork.load()


def loc(network, key: str) -> Location:
    p = network.place(key)
    return Location(node=p.node, lat=p.lat, lon=p.lon, stop_id=p.key, name=p.name_en or p.name_ja, jis_code=p.jis_code)


def make_planner(network, vans: dict[str, int] | None = None, **model_overrides) -> TripPlanner:
    data = {"fleets": {j: j for j in DEPOTS}, "direct_destinations": ["tomioka_general_hospital"],
            **model_overrides}
    model = OperatingModel.from_dict(data)
    vehicles = [
        Vehicle(f"{jis}-{k}", jis, seats=7, wheelchair_places=1,
                shifts=(Shift(8 * HH, 17 * HH, loc(network, DEPOTS[jis])),), service_area=model.service_area(jis))
        for jis, count in (vans or {j: 2 for j in DEPOTS}).items() for k in range(count)
    ]
    dispatcher = Dispatcher(network, vehicles, service_day="2026-12-01")
    return TripPlanner(dispatcher, network, read_gtfs(service_day="2026-12-01"), model)


def nanmoku_trip(network, bid: str, origin: str = "oz:南牧村/大日向", **kw) -> Booking:
    return Booking(bid, loc(network, origin), loc(network, "tomioka_general_hospital"), 10 * HH,
                   TimeKind.ARRIVE_BY, home_municipality=NANMOKU, **kw)


def assert_legs_connect(planner: TripPlanner, offer: Offer) -> None:
    access, dwell = planner.model.station_access, planner.rules.dwell_s(1, 0)
    for before, after in zip(offer.legs, offer.legs[1:], strict=False):
        if before.mode == DRT and after.mode == RAIL:
            station = planner.itinerary(offer.booking_id).legs[offer.legs.index(after)].origin.stop_id
            assert before.arrive + dwell + access.buffer_at(station) <= after.depart
        if before.mode == RAIL and after.mode == DRT:
            assert after.depart >= before.arrive + access.access_at("")
        assert before.arrive <= after.depart


def test_nanmoku_rider_gets_a_connecting_chain_to_the_hospital(network):
    planner = make_planner(network)
    offer = planner.request(nanmoku_trip(network, "b1", wheelchairs=1, seats=0), NOW)
    assert isinstance(offer, Offer), offer
    assert [leg.mode for leg in offer.legs] == [DRT, RAIL, DRT]
    first, train, last = offer.legs
    assert first.destination == "Shimonita station" and train.origin == "Shimonita station"
    assert last.destination == "Tomioka General Hospital" and last.arrive <= 10 * HH
    assert first.vehicle_id.startswith(NANMOKU) and last.vehicle_id.startswith(TOMIOKA)
    assert offer.vehicle_id == first.vehicle_id and offer.pickup_window == first.pickup_window
    assert offer.fare_yen == sum(leg.fare_yen for leg in offer.legs) and train.fare_yen > 0
    assert_legs_connect(planner, offer)
    legs = [planner.dispatcher.booking(leg.booking_id) for leg in (first, last)]
    assert [b.trip_id for b in legs] == ["b1", "b1"] and [b.leg_index for b in legs] == [0, 2]
    assert [b.status for b in legs] == [BookingStatus.OFFERED] * 2
    confirmed = planner.confirm("b1", NOW + 60)
    assert [b.status for b in (planner.dispatcher.booking(leg.booking_id) for leg in (first, last))] == [
        BookingStatus.CONFIRMED] * 2
    assert planner.itinerary("b1").status == BookingStatus.CONFIRMED
    assert planner.itinerary(first.booking_id) is planner.itinerary("b1")
    assert confirmed.legs[1].train_id == train.train_id
    assert planner.dispatcher.check() == []


def test_two_nanmoku_riders_for_the_same_train_share_the_feeder_van(network):
    planner = make_planner(network)
    offers = [planner.request(nanmoku_trip(network, bid, origin), NOW)
              for bid, origin in (("a", "oz:南牧村/大日向"), ("b", "oz:南牧村/磐戸"))]
    assert all(isinstance(o, Offer) for o in offers), offers
    for o in offers:
        planner.confirm(o.booking_id, NOW)
    feeders = [o.legs[0] for o in offers]
    assert feeders[0].vehicle_id == feeders[1].vehicle_id
    assert offers[0].legs[1].train_id == offers[1].legs[1].train_id
    stops = planner.dispatcher.plan(feeders[0].vehicle_id).stops
    order = [(s.booking_id, s.kind) for s in stops]
    pickups = [order.index((f.booking_id, StopKind.PICKUP)) for f in feeders]
    drops = [order.index((f.booking_id, StopKind.DROPOFF)) for f in feeders]
    assert max(pickups) < min(drops), f"both aboard together: {order}"
    assert planner.dispatcher.check() == []


def test_short_crossing_books_the_direct_ride_not_a_much_slower_chain(network):
    trip = Booking("sn1", loc(network, "oz:下仁田町/中小坂"), loc(network, "st:Nanjai"), 11 * HH,
                   TimeKind.DEPART_AFTER, home_municipality=SHIMONITA)
    uncapped = make_planner(network, direct_pairs=[[SHIMONITA, TOMIOKA]], max_chain_time_ratio=None)
    slow = uncapped.request(trip, NOW)
    assert isinstance(slow, Offer) and uncapped.itinerary("sn1").kind == CHAIN  # what riders complained about
    planner = make_planner(network, direct_pairs=[[SHIMONITA, TOMIOKA]])
    offer = planner.request(trip, NOW)
    assert isinstance(offer, Offer), offer
    assert planner.itinerary("sn1").kind == DIRECT and [leg.mode for leg in offer.legs] == [DRT]
    assert offer.vehicle_id.startswith(SHIMONITA)
    assert offer.expected_dropoff - 11 * HH < (slow.expected_dropoff - 11 * HH) / 2
    assert planner.dispatcher.check() == []


def test_slow_chain_only_as_last_resort_when_configured(network):
    # Nanjai station -> Shimonita 中小坂: 14 min direct by Tomioka's van, 56 or 89 min by train and feeder
    trip = Booking("lr1", loc(network, "st:Nanjai"), loc(network, "oz:下仁田町/中小坂"), 9 * HH,
                   TimeKind.DEPART_AFTER, home_municipality=SHIMONITA)
    vans = {SHIMONITA: 1, NANMOKU: 1}  # Tomioka, whose van would give the direct ride, runs none today
    strict = make_planner(network, vans=vans, direct_pairs=[[SHIMONITA, TOMIOKA]])
    assert [o.kind for o in strict.options(trip)] == [DIRECT]
    assert isinstance(strict.request(trip, NOW), Rejection)
    assert not [s for p in strict.dispatcher.plans().values() for s in p.stops]
    lenient = make_planner(network, vans=vans, direct_pairs=[[SHIMONITA, TOMIOKA]], slow_chains_as_last_resort=True)
    options = lenient.options(trip)
    assert options[0].kind == DIRECT and len(options) > 1 and all(o.kind == CHAIN for o in options[1:])
    assert all(o.total_s > lenient.model.chain_time_cap_s(options[0].total_s) for o in options[1:])
    offer = lenient.request(trip, NOW)
    assert isinstance(offer, Offer), offer
    assert lenient.itinerary("lr1").kind == CHAIN and offer.vehicle_id.startswith(SHIMONITA)
    assert lenient.dispatcher.check() == []


def test_a_leg_that_does_not_fit_releases_the_held_legs(network):
    # Tomioka has no vehicle: every chain ending in a Tomioka feeder fails at its second taxi leg
    planner = make_planner(network, vans={NANMOKU: 1, SHIMONITA: 1})
    trip = nanmoku_trip(network, "w1", wheelchairs=1, seats=0)  # no walking from the station either
    kinds = [o.kind for o in planner.options(trip)]
    assert kinds[0] == CHAIN and DIRECT in kinds
    offer = planner.request(trip, NOW)
    assert isinstance(offer, Offer)
    assert [leg.mode for leg in offer.legs] == [DRT], "falls back to the direct ride"
    itinerary = planner.itinerary("w1")
    assert itinerary.kind == DIRECT
    # the chains' Nanmoku feeders were held and then released: nothing but the direct ride is planned
    planned = {s.booking_id for p in planner.dispatcher.plans().values() for s in p.stops}
    assert planned == {"w1"}
    released = [b for b in planner.dispatcher.bookings() if b.trip_id == "w1" and b.id != "w1"]
    assert released and all(b.status in (BookingStatus.CANCELLED, BookingStatus.REJECTED) for b in released)


def test_rejection_when_no_option_fits_says_why(network):
    planner = make_planner(network, vans={TOMIOKA: 1})
    rejection = planner.request(nanmoku_trip(network, "r1", wheelchairs=1, seats=0), NOW)
    assert isinstance(rejection, Rejection)
    assert rejection.reason == RejectionReason.OUTSIDE_SERVICE_AREA
    assert "chain" in rejection.message and "direct" in rejection.message
    assert not [s for p in planner.dispatcher.plans().values() for s in p.stops]
    with pytest.raises(BookingNotFound):
        planner.itinerary("r1")


def test_local_trip_keeps_the_callers_booking_id(network):
    planner = make_planner(network)
    trip = Booking("loc1", loc(network, "oz:富岡市/一ノ宮"), loc(network, "tomioka_general_hospital"), 9 * HH)
    offer = planner.request(trip, NOW)
    assert isinstance(offer, Offer) and [leg.booking_id for leg in offer.legs] == ["loc1"]
    assert planner.itinerary("loc1").kind == LOCAL
    assert planner.dispatcher.booking("loc1").fleet == TOMIOKA
    planner.decline("loc1", NOW)
    assert planner.dispatcher.booking("loc1").status == BookingStatus.CANCELLED


def test_ten_minute_train_delay_replans_the_onward_leg_and_keeps_the_booking(network):
    planner = make_planner(network)
    offer = planner.request(nanmoku_trip(network, "d1", wheelchairs=1, seats=0), NOW)
    assert isinstance(offer, Offer)
    planner.confirm("d1", NOW)
    train, onward = offer.legs[1], offer.legs[2]
    replanned = planner.train_delayed(train.train_id, 600, 9 * HH)
    assert replanned == [onward.booking_id]
    itinerary = planner.itinerary("d1")
    rail = itinerary.legs[1]
    assert rail.arrive == train.arrive + 600 and rail.connection.delay_s == 600
    leg = planner.dispatcher.booking(onward.booking_id)
    assert leg.status == BookingStatus.CONFIRMED and leg.trip_id == "d1"
    access = planner.model.station_access.access_at(itinerary.legs[2].origin.stop_id)
    assert leg.pickup_window[0] == rail.arrive + access
    assert itinerary.legs[2].depart >= rail.arrive + access
    assert itinerary.status == BookingStatus.CONFIRMED and itinerary.replanned == [onward.booking_id]
    assert planner.dispatcher.check() == []
    assert planner.trips_on(train.train_id) == ["d1"] and planner.trips_on("D01") == []
    # a delay of a train nobody rides changes nothing
    assert planner.train_delayed("D01", 300, 9 * HH) == []
    # the same delay reported twice moves nothing again
    assert planner.train_delayed(train.train_id, 600, 9 * HH) == []
    with pytest.raises(InvalidEvent, match="no train 'X99'"):
        planner.train_delayed("X99", 300, 9 * HH)
    with pytest.raises(InvalidEvent, match="negative"):
        planner.train_delayed(train.train_id, -60, 9 * HH)
    assert planner.timetable.delay(train.train_id) == 600


def test_missed_train_moves_the_rider_to_the_next_one(network):
    planner = make_planner(network)
    offer = planner.request(nanmoku_trip(network, "m1", wheelchairs=1, seats=0), NOW)
    assert isinstance(offer, Offer)
    planner.confirm("m1", NOW)
    feeder, train, onward = offer.legs
    assert planner.reached_station(feeder.booking_id, train.depart - 600) == []  # in time: nothing to do
    assert planner.reached_station(onward.booking_id, train.arrive + 900) == []  # not a leg to the train
    replanned = planner.reached_station(feeder.booking_id, train.depart - 30)  # too late for the platform
    itinerary = planner.itinerary("m1")
    assert itinerary.legs[1].train_id != train.train_id
    assert itinerary.legs[1].depart > train.depart
    assert replanned == [onward.booking_id]
    leg = planner.dispatcher.booking(onward.booking_id)
    assert leg.pickup_window[0] >= itinerary.legs[1].arrive and leg.status == BookingStatus.CONFIRMED
    assert itinerary.at_risk == [] and planner.dispatcher.check() == []


def test_cancel_releases_every_leg(network):
    planner = make_planner(network)
    offer = planner.request(nanmoku_trip(network, "c1", wheelchairs=1, seats=0), NOW)
    assert isinstance(offer, Offer)
    planner.confirm("c1", NOW)
    planner.cancel("c1", NOW + 60)
    assert all(planner.dispatcher.booking(leg.booking_id).status == BookingStatus.CANCELLED
               for leg in offer.legs if leg.booking_id)
    assert not [s for p in planner.dispatcher.plans().values() for s in p.stops]
    planner.cancel("c1", NOW + 120)  # twice: no-op
    again = planner.request(nanmoku_trip(network, "c1", wheelchairs=1, seats=0), NOW + 180)
    assert isinstance(again, Offer)


def test_bad_input_is_a_clear_error_and_walk_and_train_alone_is_not_booked(network):
    planner = make_planner(network, vans={TOMIOKA: 1})
    hall = loc(network, "tomioka_city_hall")
    with pytest.raises(InvalidBooking, match="not in the road graph"):
        planner.request(Booking("x", Location(node=123456789, jis_code=TOMIOKA), hall, 9 * HH), NOW)
    with pytest.raises(InvalidBooking, match="same place"):
        planner.request(Booking("y", hall, hall, 9 * HH), NOW)
    # from the station square to Takasaki station: a walk and a train, no taxi leg to book
    square = replace(loc(network, "st:Joshu-Tomioka"), stop_id=None)
    options = planner.options(Booking("z", square, loc(network, "st:Takasaki"), 9 * HH))
    assert options == []
    rejection = planner.request(Booking("z", square, loc(network, "st:Takasaki"), 9 * HH), NOW)
    assert isinstance(rejection, Rejection) and "walk and train" in rejection.message


def test_snapshot_round_trip_keeps_trips_and_delays(network):
    import json

    planner = make_planner(network)
    offer = planner.request(nanmoku_trip(network, "s1", wheelchairs=1, seats=0), NOW)
    assert isinstance(offer, Offer)
    planner.confirm("s1", NOW)
    planner.train_delayed(offer.legs[1].train_id, 300, 9 * HH)
    saved_d = json.loads(json.dumps(planner.dispatcher.snapshot()))
    saved_p = json.loads(json.dumps(planner.snapshot()))
    dispatcher = Dispatcher.restore(saved_d, network)
    again = TripPlanner.restore(saved_p, dispatcher, network, read_gtfs(service_day="2026-12-01"), planner.model)
    before, after = planner.itinerary("s1"), again.itinerary("s1")
    assert after.legs == before.legs and after.option == before.option and after.booking == before.booking
    assert again.timetable.delay(offer.legs[1].train_id) == 300
    assert again.itinerary(offer.legs[2].booking_id) is after
    assert again.train_delayed(offer.legs[1].train_id, 900, 9 * HH) == [offer.legs[2].booking_id]
    with pytest.raises(ValueError, match="version"):
        TripPlanner.restore({"version": 0}, dispatcher, network, read_gtfs(), planner.model)


def test_a_refusal_with_alternatives_leaves_no_cancelled_booking_under_its_id(network):
    """Probing the nearby times must not leave the refused booking in the dispatcher as if it had been taken
    and cancelled (the API's record followed it: a refusal showed, and was reported, as a cancellation)."""
    planner = make_planner(network, vans={TOMIOKA: 1})
    full = Booking("full", loc(network, "oz:富岡市/一ノ宮"), loc(network, "tomioka_general_hospital"), 10 * HH, seats=7)
    assert isinstance(planner.request(full, NOW), Offer)
    planner.confirm("full", NOW)
    second = Booking("second", loc(network, "oz:富岡市/一ノ宮"), loc(network, "tomioka_general_hospital"), 10 * HH)
    rejection = planner.request(second, NOW)
    assert isinstance(rejection, Rejection) and rejection.alternatives, rejection
    assert planner.dispatcher.booking("second").status == BookingStatus.REJECTED  # was CANCELLED by the probe
    assert all(b.status != BookingStatus.OFFERED for b in planner.dispatcher.bookings() if b.id != "full")

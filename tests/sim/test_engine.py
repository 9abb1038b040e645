"""End to end: a short service window with real dispatcher, re-optimisation, cancellations and no-shows."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace

import numpy as np
import pytest

from dispatch.online.windows import booking_windows
from dispatch.problem import Request, RoutingProblem, Solution, VehicleSpec, Visit, VisitKind
from dispatch.validator import validate
from sim.kpis import FINAL_STATUSES
from sim.run import make_demand, simulate
from tests.sim.conftest import one_hour

# Whole-second clock: realised times may differ from the plan's rounded times by a second or two.
CLOCK_TOLERANCE_S = 2.0


@pytest.fixture(scope="module")
def result(network):
    return simulate(one_hour(), network)


def test_every_request_ends_in_a_final_state(result):
    requests = make_demand(one_hour(), result_network(result)).requests
    legs = {leg.id: leg for leg in result.records.legs}
    assert len(requests) >= 20
    assert set(legs) == {r.id for r in requests}
    for leg in legs.values():
        assert leg.status in FINAL_STATUSES, (leg.id, leg.status)
    statuses = {leg.status for leg in legs.values()}
    assert {"completed", "cancelled"} <= statuses
    assert result.kpis["unfinished"] == 0
    assert result.kpis["requests"] == sum(result.kpis[k] for k in ("served", "rejected", "declined", "cancelled",
                                                                   "no_shows"))


def result_network(result):
    from routing.network import RoadNetwork

    return RoadNetwork.load()


def test_cancelled_and_no_show_requests_are_not_carried(result):
    requests = {r.id: r for r in make_demand(one_hour(), result_network(result)).requests}
    for leg in result.records.legs:
        if leg.status in ("cancelled", "no_show", "rejected"):
            assert leg.pickup_at is None and leg.dropoff_at is None
        if leg.status == "completed":
            assert requests[leg.id].cancel_at is None and not requests[leg.id].no_show
    carried = [e for e in result.stop_log if e.kind == "pickup"]
    assert not any(requests[e.booking_id].no_show for e in carried)
    assert any(e.kind == "no_show" for e in result.stop_log) == any(
        leg.status == "no_show" for leg in result.records.legs)


def test_no_rider_in_two_vehicles_and_no_vehicle_over_capacity(result):
    legs = {leg.id: leg for leg in result.records.legs}
    vehicles = {v.id: v for v in result.vehicles[0]}
    aboard: dict[str, str] = {}
    load: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for entry in sorted(result.stop_log, key=lambda e: (e.departure, e.kind != "dropoff")):
        leg = legs[entry.booking_id]
        if entry.kind == "pickup":
            assert entry.booking_id not in aboard, f"{entry.booking_id} boards twice"
            aboard[entry.booking_id] = entry.vehicle_id
            load[entry.vehicle_id][0] += leg.seats
            load[entry.vehicle_id][1] += leg.wheelchairs
            v = vehicles[entry.vehicle_id]
            assert load[entry.vehicle_id][0] <= v.seats
            assert load[entry.vehicle_id][1] <= v.wheelchair_places
        elif entry.kind == "dropoff":
            assert aboard.pop(entry.booking_id) == entry.vehicle_id, "dropped off by another vehicle"
            load[entry.vehicle_id][0] -= leg.seats
            load[entry.vehicle_id][1] -= leg.wheelchairs
    assert not aboard, "riders left on board at the end of the day"
    assert all(v == [0, 0] for v in load.values())


def test_every_served_leg_validates(result, network):
    """Rebuild each vehicle's realised route as a routing problem and let the shared validator judge it."""
    rules = one_hour().service_rules
    legs = {leg.id: leg for leg in result.records.legs if leg.status == "completed"}
    vehicles = {v.id: v for v in result.vehicles[0]}
    by_vehicle: dict[str, list] = defaultdict(list)
    for entry in result.stop_log:
        if entry.booking_id in legs:
            by_vehicle[entry.vehicle_id].append(entry)
    assert by_vehicle
    nodes = sorted({e.node for entries in by_vehicle.values() for e in entries}
                   | {v.shifts[0].start_depot.node for v in vehicles.values()})
    index = {n: i for i, n in enumerate(nodes)}
    seconds, metres = network.matrices(nodes, nodes)
    requests = []
    for bid, leg in legs.items():
        pick = next(e for e in result.stop_log if e.booking_id == bid and e.kind == "pickup")
        drop = next(e for e in result.stop_log if e.booking_id == bid and e.kind == "dropoff")
        from dispatch.model import Booking, Location, TimeKind

        booking = Booking(bid, Location(pick.node), Location(drop.node), leg.requested_time,
                          TimeKind(leg.time_kind), leg.seats, leg.wheelchairs)
        w = booking_windows(booking, rules, float(seconds[index[pick.node], index[drop.node]]))
        requests.append(Request(
            id=bid, pickup=index[pick.node], dropoff=index[drop.node],
            pickup_window=(leg.promised_start, leg.promised_end), dropoff_window=w.dropoff,
            load=(leg.seats, leg.wheelchairs), pickup_service=w.pickup_service_s, dropoff_service=w.dropoff_service_s,
            max_ride=w.max_ride_s, required=True,
        ))
    specs, routes = [], {}
    for vid, entries in by_vehicle.items():
        v = vehicles[vid]
        depot = index[v.shifts[0].start_depot.node]
        entries.sort(key=lambda e: (e.start, e.departure))
        first = entries[0]
        start_time = first.arrival - float(seconds[depot, index[first.node]])
        specs.append(VehicleSpec(vid, depot, start_time, None, float("inf"), (v.seats, v.wheelchair_places)))
        routes[vid] = [Visit(e.booking_id, VisitKind(e.kind), e.arrival, e.start, e.departure) for e in entries]
    problem = RoutingProblem(np.asarray(seconds), np.asarray(metres), requests, specs)
    violations = validate(problem, Solution(routes=routes), tolerance=CLOCK_TOLERANCE_S)
    assert violations == []


def test_rejections_have_reasons_and_municipal_model_refuses_crossing(result):
    rejected = [leg for leg in result.records.legs if leg.status == "rejected"]
    assert all(leg.rejection_reason for leg in rejected)
    for leg in result.records.legs:
        if leg.origin_jis != leg.destination_jis:
            assert leg.status != "completed", "a municipal fleet carried a rider across a border"


def test_vehicles_move_along_the_road_graph(result):
    records = result.records
    driven = sum(v.distance_m for v in records.vehicles)
    assert driven > 0
    assert sum(records.edge_metres.values()) == pytest.approx(driven)
    for u, v in list(records.edge_metres)[:50]:
        assert result_network(result).graph.has_edge(u, v)
    for vr in records.vehicles:
        assert vr.empty_m <= vr.distance_m + 1e-6
        assert vr.shift_s >= 90 * 60


def test_same_seed_gives_identical_kpis(network):
    scenario = replace(one_hour(), reoptimisation=replace(one_hour().reoptimisation, enabled=False))
    a = simulate(scenario, network).kpis
    b = simulate(scenario, network).kpis
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    c = simulate(scenario.with_overrides(seed=8), network).kpis
    assert c != a


def test_wide_area_serves_crossing_trips_the_baseline_rejects(network):
    base = one_hour(fleets=[
        {"municipality": "Nanmoku", "vehicles": 1, "depot": "nanmoku_village_office", "shifts": [["09:00", "10:30"]]},
        {"municipality": "Shimonita", "vehicles": 1, "depot": "shimonita_town_office", "shifts": [["09:00", "10:30"]]},
    ], demand={"scale": 40.0, "hourly_profile": {9: 1.0}, "return_share": 0.0, "cancellation_share": 0.0,
               "no_show_share": 0.0, "municipalities": {"Tomioka": {"scale": 0}, "Kanra": {"scale": 0}}})
    wide = replace(base, operating_model="wide_area_direct",
                   wide_area=replace(base.wide_area, pairs=(("Nanmoku", "Shimonita"),)))
    demand = make_demand(base, network)
    crossing = [r for r in demand.requests if r.origin.jis_code != r.destination.jis_code
                and {r.origin.jis_code, r.destination.jis_code} == {"10382", "10383"}]
    assert crossing, "the demand should contain Nanmoku-Shimonita trips"
    k_base = simulate(base, network, demand).kpis
    k_wide = simulate(wide, network, demand).kpis
    assert k_base["cross_municipal_trips"] == 0
    assert k_base["rejections_by_reason"].get("outside_service_area", 0) >= len(crossing)
    assert k_wide["cross_municipal_trips"] > 0


def test_rail_feeder_chains_ride_the_train(network):
    """Nanmoku riders to Tomioka: feeder to Shimonita, the Joshin train, a Tomioka taxi; legs in order."""
    scenario = one_hour(
        operating_model="wide_area_rail",
        rules={"service_start": "08:00", "service_end": "12:00"},
        fleets=[
            {"municipality": "Nanmoku", "vehicles": 2, "depot": "nanmoku_village_office",
             "shifts": [["08:00", "12:00"]]},
            {"municipality": "Shimonita", "vehicles": 1, "depot": "shimonita_town_office",
             "shifts": [["08:00", "12:00"]]},
            {"municipality": "Tomioka", "vehicles": 2, "depot": "tomioka_city_hall", "shifts": [["08:00", "12:00"]]},
        ],
        wide_area={"pairs": [["Nanmoku", "Shimonita"]]},
        rail={"hubs": ["st:Shimonita", "st:Joshu-Tomioka"], "delay_mean": "1min"},
        demand={"scale": 30.0, "hourly_profile": {8: 1.0, 9: 1.0}, "return_share": 0.0, "cancellation_share": 0.0,
                "no_show_share": 0.0, "purposes": {"hospital": 1.0},
                "attraction": {"tomioka_general_hospital": 50.0},
                "municipalities": {"Tomioka": {"scale": 0}, "Kanra": {"scale": 0}, "Shimonita": {"scale": 0}}},
    )
    result = simulate(scenario, network)
    rail = [leg for leg in result.records.legs if leg.mode == "rail"]
    assert rail, "no trip was planned over the train"
    done = [leg for leg in rail if leg.status == "completed"]
    assert done and result.kpis["rail_legs"] >= len(done)
    legs = {leg.id: leg for leg in result.records.legs}
    for train in done:
        chain = sorted((x for x in legs.values() if x.trip_id == train.trip_id), key=lambda x: x.leg_index)
        before = [x for x in chain if x.leg_index < train.leg_index]
        after = [x for x in chain if x.leg_index > train.leg_index]
        assert all(x.status == "completed" and x.dropoff_at <= train.pickup_at for x in before)
        assert train.pickup_at < train.dropoff_at
        for x in after:
            if x.status == "completed":
                assert x.pickup_at >= train.dropoff_at
    assert result.kpis["unfinished"] == 0
    assert result.kpis["station_feeding"]["riders_by_station"].get("Shimonita", 0) > 0


@pytest.mark.slow
def test_baseline_day_repeats_exactly(network):
    """The shipped baseline (re-optimisation on, greedy descent under a cap) gives the same KPIs twice."""
    from pathlib import Path

    from sim.scenario import load_scenario

    path = Path(__file__).resolve().parents[2] / "sim" / "scenarios" / "baseline_municipal.yaml"
    scenario = load_scenario(path)
    first, second = simulate(scenario, network).kpis, simulate(scenario, network).kpis
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)

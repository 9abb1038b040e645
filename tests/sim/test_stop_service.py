"""The simulator's stop-based mode: Tomioka's doors are served at its stop poles, the walk counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.run import simulate, stop_mapper
from sim.scenario import load_scenario
from sim.schema import ScenarioError
from tests.sim.conftest import one_hour

TOMIOKA = "10210"
STOPS = {"feeds": ["tomioka"], "max_walk_m": 1000, "municipalities": ["Tomioka"]}


@pytest.fixture(scope="module")
def runs(network):
    door = simulate(one_hour(), network)
    stops = simulate(one_hour(stop_service=STOPS), network)
    return door, stops


def test_tomioka_rides_start_and_end_at_its_poles_and_others_stay_door_to_door(runs, network):
    door, stops = runs
    pole_nodes = {s.node for s in network.stops if s.feed == "tomioka"}
    served = {leg.id: leg for leg in stops.records.legs if leg.served}
    visited = [(e.booking_id, e.kind, e.node) for e in stops.stop_log if e.booking_id in served]
    tomioka = [(b, node) for b, kind, node in visited if kind == "pickup" and served[b].origin_jis == TOMIOKA]
    assert tomioka and all(node in pole_nodes for _, node in tomioka)
    for leg in served.values():
        if leg.origin_jis == TOMIOKA:  # walked to the pole and from the pole at the other end, within 1 km each
            assert 0 < leg.walk_s <= 2 * 1000 / (4 / 3.6) + 1e-6
    others = [leg for leg in served.values() if TOMIOKA not in (leg.origin_jis, leg.destination_jis)]
    same = {leg.id: leg.walk_s for leg in door.records.legs if leg.served}
    assert others and all(leg.walk_s == same.get(leg.id, leg.walk_s) for leg in others)  # door to door as before


def test_doors_out_of_reach_are_refused_with_the_reason(runs):
    door, stops = runs
    refused = [leg for leg in stops.records.legs if leg.rejection_reason == "no_stop_within_walk"]
    assert refused and all(leg.status == "rejected" for leg in refused)
    assert all(TOMIOKA in (leg.origin_jis, leg.destination_jis) for leg in refused)
    assert stops.kpis["rejections_by_reason"]["no_stop_within_walk"] == len(
        {leg.trip_id or leg.id for leg in refused}
    )
    assert "no_stop_within_walk" not in door.kpis["rejections_by_reason"]


def test_walk_minutes_are_part_of_the_journey_kpis(runs):
    door, stops = runs
    for kpis in (door, stops):
        k = kpis.kpis
        assert k["journey_min"]["mean"] == pytest.approx(
            k["walk_min"]["mean"] + k["wait_min"]["mean"] + k["ride_min"]["mean"], abs=0.02
        )
    assert stops.kpis["walk_min"]["mean"] > door.kpis["walk_min"]["mean"]  # walking to a pole
    leg = next(leg for leg in stops.records.legs if leg.served and leg.walk_s > 0)
    assert leg.journey_s == pytest.approx(leg.walk_s + leg.wait_s + leg.ride_s)


def test_the_baseline_runs_tomioka_from_stop_to_stop(network):
    scenario = load_scenario(Path(__file__).resolve().parents[2] / "sim" / "scenarios" / "baseline_municipal.yaml")
    spec = scenario.stop_service
    assert spec is not None and spec.feeds == ("tomioka",) and spec.municipalities == ("Tomioka",)
    mapper = stop_mapper(scenario, network)
    assert mapper.service.municipalities == (TOMIOKA,) and mapper.service.max_walk_m == spec.max_walk_m
    later = load_scenario(Path(__file__).resolve().parents[2] / "sim" / "scenarios" / "baseline_municipal_2040.yaml")
    assert later.stop_service == spec  # the 2040 baseline keeps today's stop-based service


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"max_walk_m": 0}, "positive max_walk_m"),
        ({"max_walk": 500}, "stop_service"),
        ({"feeds": ["atlantis"]}, "no stop of the set atlantis"),
        ({"municipalities": ["Gotham"]}, "unknown municipality"),
    ],
)
def test_bad_stop_service_blocks_are_named(network, block, message):
    with pytest.raises(ScenarioError, match=message):
        stop_mapper(one_hour(stop_service=block), network)

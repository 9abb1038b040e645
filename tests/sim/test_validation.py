"""Published vs simulated: the Tomioka fleet of the baseline beside 愛タク as it runs today."""

from pathlib import Path

import pytest

from sim.kpis import compute_kpis
from sim.scenario import load_scenario
from sim.validation import DAYS_PER_MONTH, published_facts, reasons, tomioka_validation
from tests.sim.conftest import one_hour_data
from tests.sim.test_kpis import records

BASELINE = Path(__file__).resolve().parents[2] / "sim" / "scenarios" / "baseline_municipal.yaml"
NAMES = {"10210": "Tomioka", "10382": "Shimonita"}


def test_baseline_tomioka_fleet_is_aitaku_as_it_runs_today():
    scenario = load_scenario(BASELINE)
    tomioka = next(f for f in scenario.fleets if f.municipality == "Tomioka")
    facts = published_facts()
    assert (tomioka.vehicles, tomioka.seats, tomioka.wheelchair_vehicles) == (6, 7, 2) == (
        int(facts["vehicles"]), int(facts["seats"]), int(facts["wheelchair_vehicles"]))
    assert tomioka.shifts == ((8 * 3600, 17 * 3600),)
    assert (facts["rides_per_month"], facts["rides_per_vehicle_hour"]) == ("4000", "2.5")


def test_published_vs_simulated_rows_come_from_the_tomioka_fleet():
    scenario = load_scenario(BASELINE)
    k = compute_kpis(records(), scenario, NAMES)
    rows = {r.en: r for r in tomioka_validation(scenario, k)}
    fleet = k["per_fleet"]["Tomioka"]
    assert rows["rides a month"].published == 4000
    assert rows["rides a month"].simulated == pytest.approx(fleet["rider_legs"] * DAYS_PER_MONTH)
    assert rows["rides per vehicle-hour"].simulated == fleet["rides_per_vehicle_hour"]
    assert rows["rides per vehicle-hour"].published == 2.5
    assert rows["vehicle-hours a day"].published == 54
    assert rows["service hours"].simulated == "08:00-17:00"
    assert rows["fleet (wheelchair-capable)"].simulated == "6 (2)"
    assert rows["where riders board"].simulated == "124 停留所 / stops、徒歩 1,000 m まで / walk up to 1,000 m"
    why = " ".join(reasons(scenario, k))
    assert f"{k['rejection_rate']:.0%} of requests are refused" in why
    assert "uses 124 stops (feeds: tomioka) instead of 愛タク's 432" in why
    assert "served at the door, standing in for the real stop" in why  # the baseline's beyond_walk: door


def test_replicated_kpis_keep_their_interval_in_the_comparison():
    scenario = load_scenario(BASELINE)
    k = compute_kpis(records(), scenario, NAMES)
    k["per_fleet"]["Tomioka"]["rider_legs"] = {"mean": 120.0, "ci95": [110.0, 130.0], "n": 4, "values": []}
    row = next(r for r in tomioka_validation(scenario, k) if r.en == "rides a month")
    assert row.simulated["mean"] == pytest.approx(120 * DAYS_PER_MONTH)
    assert row.simulated["ci95"] == pytest.approx([110 * DAYS_PER_MONTH, 130 * DAYS_PER_MONTH])


def test_no_tomioka_fleet_no_comparison():
    from sim.scenario import parse_scenario

    data = one_hour_data()
    data["fleets"] = [f for f in data["fleets"] if f["municipality"] != "Tomioka"]
    scenario = parse_scenario(data)
    assert tomioka_validation(scenario, compute_kpis(records(), scenario, NAMES)) == []


def test_report_has_the_published_vs_simulated_table(network):
    from sim.report.compose import render_run

    scenario = load_scenario(BASELINE)
    k = compute_kpis(records(), scenario, NAMES)
    page = render_run(scenario, k, records(), network)
    section = page[page.index("公表値との比較"):page.index("市町村別の費用負担")]
    assert "公表値 / published" in section and "シミュレーション / simulated" in section
    assert "4,000" in section and "2.50" in section and "差の理由 / why they differ" in section
    assert "富岡市 / Tomioka" in page


def test_door_to_door_service_says_so_and_why_it_differs():
    from dataclasses import replace

    door = replace(load_scenario(BASELINE), stop_service=None)
    k = compute_kpis(records(), door, NAMES)
    row = next(r for r in tomioka_validation(door, k) if r.en == "where riders board")
    assert row.simulated == "戸口 (大字の代表点) / door to door (大字 points)"
    why = " ".join(reasons(door, k))
    assert "the service boards at 432 stops; the model picks up at the door" in why
    stop_rules = replace(door, rules={**door.rules, "door_to_door": False})
    row = next(r for r in tomioka_validation(stop_rules, k, stops=139) if r.en == "where riders board")
    assert row.simulated == "139 停留所 / stops"

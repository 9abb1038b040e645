from pathlib import Path

import pytest

from sim.scenario import load_scenario, parse_scenario
from sim.schema import ScenarioError
from tests.sim.conftest import one_hour_data

SCENARIOS = Path(__file__).resolve().parents[2] / "sim" / "scenarios"


@pytest.mark.parametrize("name", ["baseline_municipal", "wide_area", "wide_area_rail_feeder"])
def test_shipped_scenarios_load(name):
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    assert scenario.name == name
    assert sum(f.vehicles for f in scenario.fleets) >= 4
    rules = scenario.service_rules
    assert rules.service_start == 8 * 3600 and rules.service_end == 17 * 3600


def test_baseline_is_municipal_with_tomiokas_fleet():
    scenario = load_scenario(SCENARIOS / "baseline_municipal.yaml")
    assert scenario.operating_model == "municipal"
    tomioka = next(f for f in scenario.fleets if f.municipality == "Tomioka")
    assert (tomioka.vehicles, tomioka.seats, tomioka.wheelchair_vehicles) == (6, 7, 2)


def test_rules_accept_clock_and_duration_text():
    data = one_hour_data(rules={"service_start": "07:30", "max_wait_s": "10min", "alpha": 2})
    rules = parse_scenario(data).service_rules
    assert (rules.service_start, rules.max_wait_s, rules.alpha) == (27000, 600, 2.0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rules": {"max_wiat_s": 60}}, r"rules: unknown service rule\(s\): max_wiat_s"),
        ({"rules": {"service_start": "18:00"}}, "service_end must be after service_start"),
        ({"operating_model": "teleport"}, "operating_model: 'teleport' is not one of municipal"),
        ({"demand": {"source": "replay"}}, "demand.replay_csv: required"),
        ({"demand": {"purposes": {"fishing": 1.0}}}, r"unknown purpose\(s\) fishing"),
        ({"demand": {"no_show_share": 1.5}}, "no_show_share must be within 0..1"),
        ({"operating_model": "wide_area_rail"}, "rail.hubs"),
        ({"days": 0}, "days must be at least 1"),
        ({"fleets": [{"municipality": "Tomioka", "vehicles": 2, "depot": "x", "wheelchair_vehicles": 3}]},
         "wheelchair_vehicles must be between 0 and vehicles"),
        ({"reoptimisation": {"every": "soon"}}, "reoptimisation.every: expected a non-negative duration"),
        ({"reoptimisation": {"solution_limit": 0}}, "reoptimisation.solution_limit must be at least 1"),
        ({"reoptimisation": {"solution_limit": 2.5}}, "reoptimisation.solution_limit: expected an integer"),
        ({"reoptimisation": {"method": "magic"}}, "reoptimisation.method 'magic' is not one of ortools, rr"),
        ({"reoptimisation": {"rr_iterations": 0}}, "reoptimisation.rr_iterations must be at least 1"),
    ],
)
def test_invalid_scenarios_name_the_problem(changes, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(one_hour_data(**changes))


def test_load_reports_bad_yaml_with_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nfleets:\n  - municipality: Tomioka\n   vehicles: 2\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad.yaml: invalid YAML at line \d+"):
        load_scenario(path)


def test_load_reports_missing_file_and_unknown_key(tmp_path):
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario(tmp_path / "nope.yaml")
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nfleets: []\nseeds: 3\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"s.yaml: unknown key\(s\) seeds"):
        load_scenario(path)


def test_replay_path_is_relative_to_the_scenario(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nfleets: [{municipality: Tomioka, vehicles: 1, depot: tomioka_city_hall}]\n"
                    "demand: {source: replay, replay_csv: data/b.csv}\n", encoding="utf-8")
    assert load_scenario(path).demand.replay_csv == str(tmp_path / "data" / "b.csv")


def test_overrides_replace_days_and_seed():
    scenario = parse_scenario(one_hour_data())
    assert scenario.with_overrides(days=3).days == 3
    assert scenario.with_overrides(seed=11).seed == 11
    assert scenario.with_overrides().seed == scenario.seed

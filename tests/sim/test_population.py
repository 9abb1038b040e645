"""demand.year: residents and their age follow the IPSS projection; 2040 demand is smaller but older."""

import csv

import pytest
import yaml

from dispatch.rules import ServiceRules
from routing.facts import DEFAULT_DATA_DIR, load_facts
from sim.cli import main
from sim.demand import DemandGenerator
from sim.demand_spec import DemandSpec
from sim.population import adjust_to_year, load_projection, projection_years
from sim.scenario import parse_scenario
from sim.schema import ScenarioError
from tests.sim.conftest import one_hour_data

RULES = ServiceRules()


@pytest.fixture(scope="module")
def facts():
    return load_facts()


def _aged(gen: DemandGenerator, facts) -> tuple[float, float]:
    people = [gen.residents(m.jis_code) for m in facts.municipalities]
    total = sum(p for p, _ in people)
    return total, sum(p * a for p, a in people) / total


def test_projection_is_the_shipped_file():
    with (DEFAULT_DATA_DIR / "population_projection.csv").open(encoding="utf-8") as fh:
        rows = {r["jis_code"]: r for r in csv.DictReader(fh)}
    projection = load_projection()
    assert projection_years() == (2020, 2025, 2030, 2035, 2040)
    assert projection.population["10383"][2040] == int(rows["10383"]["proj_2040"]) == 609
    assert projection.area_aged_share(2015) == 0.333 and projection.area_aged_share(2040) == 0.476


def test_2040_demand_is_lower_in_total_but_older(facts):
    now = DemandGenerator(DemandSpec(), facts, RULES, 3)
    later = DemandGenerator(DemandSpec(year=2040), facts, RULES, 3)
    people_now, aged_now = _aged(now, facts)
    people_later, aged_later = _aged(later, facts)
    assert people_now == sum(m.population_2020 for m in facts.municipalities)
    assert people_later == pytest.approx(people_now * 49_727 / 68_002, rel=0.01)  # the area total, IPSS
    # the area's aged share rises as many points as IPSS's 33.3 % (2015) -> 47.6 % (2040) does from 2020
    assert aged_later - aged_now == pytest.approx(0.476 - (0.333 + 0.143 / 5), abs=1e-3)
    for m in facts.municipalities:
        assert later.residents(m.jis_code)[1] > now.residents(m.jis_code)[1]
    tours_now = sum(now.expected_tours(m.jis_code) for m in facts.municipalities)
    tours_later = sum(later.expected_tours(m.jis_code) for m in facts.municipalities)
    assert 0.8 * tours_now < tours_later < 0.97 * tours_now  # fewer people, each travelling a little more
    drawn_now, drawn_later = len(now.days(10)), len(later.days(10))
    assert drawn_later < drawn_now


def test_year_2020_changes_nothing(facts):
    assert DemandGenerator(DemandSpec(year=2020), facts, RULES, 4).days(2) == \
        DemandGenerator(DemandSpec(), facts, RULES, 4).days(2)


def test_each_municipality_follows_its_own_projection():
    census = {"10210": 47_470, "10383": 1_612}
    out = adjust_to_year(census, {"10210": 0.333, "10383": 0.675}, 2030)
    assert out["10210"][0] == pytest.approx(47_470 * 42_041 / 47_370)
    assert out["10383"][0] == pytest.approx(1_612 * 996 / 1_590)
    assert 0.675 < out["10383"][1] < 1 and 0.333 < out["10210"][1] < out["10383"][1]


@pytest.mark.parametrize("year", [2050, 2027])
def test_unknown_year_is_a_scenario_error(year):
    with pytest.raises(ScenarioError, match=f"demand: year: {year} is not in the population projection; "
                                            "known: 2020, 2025, 2030, 2035, 2040"):
        parse_scenario(one_hour_data(demand={"year": year}))


def test_cli_unknown_year_exits_2_with_message(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(one_hour_data(demand={"year": 2050})), encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "year: 2050 is not in the population projection" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1

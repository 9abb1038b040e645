"""Cost sharing between municipalities, the rail-feeder KPIs, and how the report shows them."""

import json
from collections import Counter
from dataclasses import replace

import pytest
import yaml

from sim.cli import main
from sim.costs import fixed_shares, municipality_costs
from sim.kpis import compute_kpis, trip_outcomes
from sim.rail_kpis import rail_feeder
from sim.records import VehicleRecord
from sim.scenario import CostSharingSpec, CostSpec, parse_scenario
from sim.schema import ScenarioError
from tests.sim.conftest import one_hour, one_hour_data
from tests.sim.test_kpis import leg, records

NAMES = {"10210": "Tomioka", "10382": "Shimonita", "10384": "Kanra"}


def _served(recs):
    return [legs for status, _, legs in trip_outcomes(recs.legs).values() if status == "completed"]


def _two_vehicle_records():
    recs = records()
    recs.legs[0].home_jis = "10382"  # one rider of a Tomioka ride lives in Shimonita, paid 100 yen
    recs.vehicles.append(VehicleRecord("K1", 0, "10384", 7, 0, shift_s=3600, distance_m=30_000,
                                       metres_by_jis=Counter({"10384": 30_000})))
    return recs


@pytest.mark.parametrize(
    ("rule", "shares", "expected"),
    [
        ("vehicle_km", {}, {"Tomioka": 50 / 90, "Shimonita": 10 / 90, "Kanra": 30 / 90}),
        ("riders_resident", {}, {"Tomioka": 3 / 4, "Shimonita": 1 / 4, "Kanra": 0.0}),
        ("fixed", {"10210": 0.5, "10382": 0.2, "10384": 0.3}, {"Tomioka": 0.5, "Shimonita": 0.2, "Kanra": 0.3}),
    ],
)
def test_cost_is_split_by_the_rule_and_adds_up(rule, shares, expected):
    recs = _two_vehicle_records()
    out = municipality_costs(100_000, rule, shares, recs.vehicles, _served(recs), NAMES)
    assert set(out) == set(expected)
    for name, share in expected.items():
        assert out[name]["share"] == pytest.approx(share, abs=1e-4)
        assert out[name]["cost_share_yen"] == pytest.approx(100_000 * share, abs=1)
    assert sum(row["cost_share_yen"] for row in out.values()) == pytest.approx(100_000, abs=2)
    assert (out["Shimonita"]["riders_resident"], out["Shimonita"]["fare_revenue_yen"]) == (1, 100)
    assert (out["Tomioka"]["riders_resident"], out["Tomioka"]["fare_revenue_yen"]) == (3, 200)
    assert out["Tomioka"]["net_cost_yen"] == out["Tomioka"]["cost_share_yen"] - 200
    assert out["Kanra"]["vehicle_km_inside"] == 30.0


def test_kpis_carry_the_rule_and_the_per_municipality_costs():
    scenario = one_hour(costs={"sharing": {"rule": "riders_resident"}})
    k = compute_kpis(_two_vehicle_records(), scenario, NAMES)
    assert k["cost_sharing_rule"] == "riders_resident"
    assert sum(r["cost_share_yen"] for r in k["per_municipality_cost"].values()) == pytest.approx(k["cost_yen"], abs=2)


@pytest.mark.parametrize(
    ("sharing", "message"),
    [
        ({"rule": "by_population"}, "costs.sharing.rule: 'by_population' is not one of"),
        ({"rule": "fixed"}, "needs a share per municipality"),
        ({"rule": "fixed", "shares": {"Tomioka": 0.7, "Kanra": 0.2}}, "must add up to 1, got 0.9"),
        ({"rule": "vehicle_km", "shares": {"Tomioka": 1.0}}, "only used with rule 'fixed'"),
    ],
)
def test_bad_cost_sharing_is_a_scenario_error(sharing, message):
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(")):
        parse_scenario(one_hour_data(costs={"sharing": sharing}))


def test_fixed_shares_resolve_names_and_reject_unknown_ones(network):
    spec = CostSharingSpec("fixed", {"富岡市": 0.6, "Kanra": 0.25, "10382": 0.15})
    assert fixed_shares(spec, network.facts) == {"10210": 0.6, "10384": 0.25, "10382": 0.15}
    with pytest.raises(ScenarioError, match="costs.sharing.shares.Atlantis: unknown municipality"):
        fixed_shares(CostSharingSpec("fixed", {"Atlantis": 1.0}), network.facts)


def test_cli_unknown_municipality_in_shares_exits_2(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(one_hour_data(costs={"sharing": {"rule": "fixed", "shares": {"Atlantis": 1}}}),
                                   allow_unicode=True), encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "costs.sharing.shares.Atlantis: unknown municipality" in err and "Traceback" not in err


def test_rail_feeder_transfer_waits_and_missed_connections():
    legs = [
        leg("t/0", trip="t", index=0, pickup=30000, dropoff=31000, destination="st:Shimonita"),
        leg("t/1", trip="t", index=1, mode="rail", pickup=31600, dropoff=33000),   # 10 min on the platform
        leg("t/2", trip="t", index=2, pickup=33300, dropoff=34000),                # 5 min to the feeder
        leg("u/0", trip="u", index=0, pickup=30000, dropoff=31000, seats=2),
        leg("u/1", trip="u", index=1, mode="rail", status="missed", seats=2),
        leg("v", pickup=30000, dropoff=31000),                                     # a direct ride: no transfer
    ]
    out = rail_feeder(legs)
    assert (out["chained_trips"], out["chained_trips_served"], out["transfers"]) == (2, 1, 2)
    assert out["transfer_wait_min"]["mean"] == pytest.approx(7.5)
    assert out["missed_connections"] == 2


def test_report_shows_costs_per_municipality_and_the_station_target(network):
    from sim.report.compose import render_run

    scenario = replace(one_hour(), costs=CostSpec(sharing=CostSharingSpec("riders_resident")))
    k = compute_kpis(_two_vehicle_records(), scenario, NAMES)
    page = render_run(scenario, k, _two_vehicle_records(), network)
    section = page[page.index("市町村別の費用負担"):page.index("鉄道との接続")]
    assert "住民の利用者数で按分 / by riders served who live there" in section
    assert f"{k['per_municipality_cost']['Tomioka']['cost_share_yen']:,}" in section
    assert f"{sum(r['cost_share_yen'] for r in k['per_municipality_cost'].values()):,}" in section  # total row
    rail = page[page.index("鉄道との接続"):]
    assert "1,140,000" in rail and "1,351,000" in rail and "211,000" in rail
    json.dumps(k)  # still JSON-safe


def test_report_names_municipalities_and_stations_apart(network):
    from sim.report.compose import render_run

    scenario = one_hour()
    k = compute_kpis(_two_vehicle_records(), scenario, NAMES)
    page = render_run(scenario, k, _two_vehicle_records(), network)
    costs = page[page.index("市町村別の費用負担"):page.index("鉄道との接続")]
    rail = page[page.index("鉄道との接続"):]
    assert "下仁田町 / Shimonita" in costs and "下仁田 / Shimonita" not in costs
    assert "下仁田 / Shimonita" in rail  # the station


def test_report_shows_transfers_when_trips_were_chained_via_rail():
    from sim.report.tables import rail_feeder as feeder_section

    k = {"rail_feeder": {"chained_trips": {"mean": 15.0, "ci95": [12.0, 18.0], "n": 3, "values": [12, 15, 18]},
                         "chained_trips_served": 14, "transfers": 26, "missed_connections": 1,
                         "transfer_wait_min": {"mean": 9.9, "median": 8.8, "p95": 18.5}},
         "station_feeding": {"riders_by_station": {"Shimonita": 11}, "annualised_boardings_alightings": 13_140,
                             "share_of_vision_gap": 0.0623}}
    page = feeder_section(k, {"Shimonita": "下仁田 / Shimonita"})
    assert "鉄道乗継ぎの依頼 / requests chained via rail" in page and "15.0 [12.0 – 18.0]" in page
    assert "平均乗継ぎ待ち (分) / mean transfer wait (min)</td><td class=\"n\">9.9" in page
    assert "乗り遅れ (人) / missed connections (riders)</td><td class=\"n\">1" in page
    assert "下仁田 / Shimonita" in page and "13,140" in page and "6.2%" in page
    assert "鉄道乗継ぎ" not in feeder_section({"station_feeding": {}}, {})  # no chains: no transfer table

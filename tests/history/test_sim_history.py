"""The simulator writes its days into the history schema, and the municipal report runs on them: a month's
totals are the sums of its days', and the history agrees with the simulator's own records."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from api.history.costrule import CostRule
from api.history.reports import Period, build_report, municipalities_of_region
from api.history.sim_days import SimHistory
from api.history.store import connect
from sim.fleet import fare_table
from sim.run import simulate
from tests.sim.conftest import one_hour, one_hour_data

from .pg import fresh_database

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def network():
    from routing.network import RoadNetwork

    return RoadNetwork.load()


@pytest.fixture(scope="module")
def simulated(network):
    """Two simulated days in a history database of their own: (url, result)."""
    scenario = one_hour(days=2, start_date="2026-11-02")
    with fresh_database("kanra_test_history_sim") as url:
        history = SimHistory(url, scenario.name, network, fare_table(scenario, network.facts))
        result = simulate(scenario, network, day_done=history.day_done)
        history.close()
        yield url, result


def test_each_simulated_day_lands_in_the_history(simulated):
    url, result = simulated
    engine = connect(url)
    try:
        with engine.connect() as conn:
            days = conn.execute(text("SELECT service_day::text, source, verified_at IS NOT NULL FROM archived_days "
                                     "ORDER BY 1")).all()
            assert days == [("2026-11-02", "sim", True), ("2026-11-03", "sim", True)]
            statuses = Counter(dict(conn.execute(text("SELECT status, count(*) FROM bookings GROUP BY status")).all()))
            stops = conn.execute(text("SELECT count(*) FROM executed_stops")).scalar()
            km = conn.execute(text("SELECT sum(vehicle_km) FROM shifts")).scalar()
            shared = conn.execute(text("SELECT sum(vehicle_km) FROM cost_shares")).scalar()
            kinds = dict(conn.execute(text("SELECT kind, count(*) FROM executed_stops GROUP BY kind")).all())
    finally:
        engine.dispose()
    legs = result.records.legs
    assert sum(statuses.values()) == len(legs)  # every request, refused ones included
    for status in ("completed", "rejected", "cancelled", "no_show"):
        assert statuses.get(status, 0) == sum(1 for leg in legs if leg.status == status), status
    assert statuses["completed"] > 0
    assert kinds == {"pickup": sum(1 for leg in legs if leg.pickup_at is not None),
                     "dropoff": sum(1 for leg in legs if leg.dropoff_at is not None)}
    assert stops == sum(kinds.values())
    driven = sum(v.distance_m for v in result.records.vehicles) / 1000.0
    assert km == pytest.approx(driven)  # the simulator's odometer
    # the cost basis: the accounts' segments between stops (drives to no-shows too); rows rounded to 1e-6 km
    assert shared <= km + 1e-3 and shared > 0.9 * km


def test_a_months_report_is_the_sum_of_its_days(simulated):
    url, _ = simulated
    engine = connect(url)
    names = municipalities_of_region()
    rule = CostRule(basis="served_hours", hourly_cost_yen=3000, equal_portion=0.2)
    try:
        month = build_report(engine, Period.month("2026-11"), rule, names)
        days = [build_report(engine, Period.day(d), rule, names) for d in Period.month("2026-11").days()]
    finally:
        engine.dispose()
    assert month.days_with_data == 2 and sum(d.days_with_data for d in days) == 2
    for table, columns in (("residents", ("rides", "riders", "refusals", "cancellations", "no_shows", "fares_yen",
                                          "bookings")),
                           ("fleets", ("vehicle_km", "vehicle_h", "riders_carried", "pickups", "pickups_on_time",
                                       "fare_revenue_yen"))):
        for column in columns:
            assert month.total(table, column) == pytest.approx(sum(d.total(table, column) for d in days)), column
        for m in names:
            for column in columns:
                assert getattr(month, table)[m].get(column, 0) == pytest.approx(
                    sum(getattr(d, table)[m].get(column, 0) for d in days)), (m, column)
    assert month.total("residents", "rides") > 0 and month.total("fleets", "vehicle_h") > 0
    assert sum(month.cost_shares.values()) == pytest.approx(month.net_cost_yen)
    net = month.total("fleets", "vehicle_h") * 3000 - month.total("residents", "fares_yen")
    assert month.net_cost_yen == pytest.approx(net)
    assert sum(d.net_cost_yen for d in days) == pytest.approx(month.net_cost_yen)


def test_sim_run_writes_its_days_with_the_history_flag(tmp_path):
    scenario = tmp_path / "one_hour.yaml"
    scenario.write_text(yaml.safe_dump({**one_hour_data(), "days": 1, "start_date": "2026-11-05"},
                                       allow_unicode=True), encoding="utf-8")
    with fresh_database("kanra_test_history_simcli") as url:
        done = subprocess.run([sys.executable, "-m", "sim", "run", str(scenario), "--out", str(tmp_path / "run"),
                               "--no-progress", "--history-url", url], cwd=REPO, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        assert "1 日" in done.stdout
        report = subprocess.run([sys.executable, "-m", "api.report", "--month", "2026-11", "--url", url,
                                 "--source", "sim", "--out", str(tmp_path / "reports")], cwd=REPO,
                                capture_output=True, text=True, timeout=120)
        assert report.returncode == 0, report.stderr
        assert "利用実績" in report.stdout and "富岡市" in report.stdout
        html = (tmp_path / "reports" / "report_2026-11.html").read_text(encoding="utf-8")
        assert "利用実績報告" in html and "費用負担" in html
        from openpyxl import load_workbook

        book = load_workbook(tmp_path / "reports" / "report_2026-11.xlsx")
        assert "費用負担" in book.sheetnames and "利用実績（住民別）" in book.sheetnames
    bad = subprocess.run([sys.executable, "-m", "sim", "run", str(scenario), "--out", str(tmp_path / "bad"),
                          "--no-progress", "--history-url", "postgresql+psycopg://postgres@127.0.0.1:1/none"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--history-url" in bad.stderr and "Traceback" not in bad.stderr


def test_wide_area_trips_keep_their_legs_and_feed_the_stations(network):
    from sim.scenario import parse_scenario

    data = yaml.safe_load((REPO / "sim/scenarios/wide_area_rail_feeder.yaml").read_text(encoding="utf-8"))
    data["demand"]["scale"] = 0.4
    scenario = parse_scenario(data)
    with fresh_database("kanra_test_history_rail") as url:
        history = SimHistory(url, scenario.name, network, fare_table(scenario, network.facts))
        result = simulate(scenario, network, day_done=history.day_done)
        history.close()
        engine = connect(url)
        try:
            with engine.connect() as conn:
                chains = conn.execute(text("SELECT b.id, string_agg(l.mode, '-' ORDER BY l.leg_index) FROM bookings b "
                                           "JOIN legs l ON l.booking_id = b.id WHERE b.kind = 'chain' "
                                           "GROUP BY b.id")).all()
            report = build_report(engine, Period.month(scenario.start_date[:7]), CostRule(),
                                  municipalities_of_region(), source="sim")
        finally:
            engine.dispose()
    legs = result.records.legs
    assert chains and all("rail" in modes and modes.startswith(("drt", "walk", "rail")) for _, modes in chains)
    assert len(chains) == len({leg.trip_id for leg in legs if leg.mode == "rail"})
    fed = Counter(leg.destination for leg in legs
                  if leg.mode == "drt" and leg.dropoff_at is not None and leg.destination.startswith("st:"))
    assert {st: sum(c.values()) for st, c in report.stations.items()} == {
        st: sum(leg.party for leg in legs if leg.mode == "drt" and leg.dropoff_at is not None
                and leg.destination == st) for st in fed}
    assert report.total("residents", "rides") == len({leg.trip_id or leg.id for leg in legs if leg.status == "completed"
                                                      and leg.mode == "drt"})

"""The municipal report on a real archived day, and the report command's handling of bad arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from api.history.archive import Archiver
from api.history.costrule import CostRule, CostRuleError
from api.history.report_render import tables, to_html, to_xlsx
from api.history.reports import Period, PeriodError, build_report, municipalities_of_region

from .day import closed_after, settings

REPO = Path(__file__).resolve().parents[2]
TOMIOKA = "10210"


def test_the_report_of_an_archived_day(day_redis, world, history_engine, history_settings, tmp_path):
    made, redis = day_redis
    Archiver(redis, settings(), world, history_engine, history_settings).run_once(closed_after(made.day))
    rule = CostRule(basis="riders", hourly_cost_yen=4000)
    period = Period.month(made.day[:7])
    report = build_report(history_engine, period, rule, municipalities_of_region())
    tomioka = report.residents[TOMIOKA]
    assert (tomioka["rides"], tomioka["riders"], tomioka["refusals"], tomioka["cancellations"],
            tomioka["no_shows"], tomioka["distinct_riders"]) == (1, 1, 1, 1, 1, 1)
    assert report.refusals[TOMIOKA] == {"outside_service_hours": 1}
    assert report.cancellations[TOMIOKA] == {"illness": 1}
    assert report.stations == {"st:Joshu-Tomioka": {TOMIOKA: 1}}  # the ride to the station fed the train
    fleet = report.fleets[TOMIOKA]
    assert fleet["vehicle_h"] == pytest.approx(9.0)  # shift reported 08:00-17:00 (idle vehicles: none reported)
    assert fleet["riders_carried"] == 1 and fleet["rides_per_vehicle_h"] == pytest.approx(1 / 9)
    assert fleet["pickups"] == 1 and fleet["pickups_on_time"] == 1
    assert fleet["fare_revenue_yen"] == 100
    assert report.net_cost_yen == pytest.approx(9.0 * 4000 - 100)
    assert report.cost_shares[TOMIOKA] == pytest.approx(report.net_cost_yen)  # Tomioka's residents rode alone
    html = to_html(report)
    assert html.index("利用実績") < html.index("Use by residents")  # Japanese first
    assert "上州富岡" in html and "運行時間外" in html
    book = to_xlsx(report, tmp_path / "r.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(book)["輸送実績（車両の所属別）"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows["富岡市 Tomioka"][2] == pytest.approx(9.0)
    assert [t[0].split(" ")[0] for t in tables(report)][:2] == ["利用実績（住民別）", "輸送実績（車両の所属別）"]


def test_periods_and_rules_are_checked():
    assert Period.month("2026-02").end.day == 28 and Period.year("2028").end.isoformat() == "2028-12-31"
    for bad in ("2026-13", "2026-1", "26-11", "november", "2026-00"):
        with pytest.raises(PeriodError):
            Period.month(bad)
    with pytest.raises(PeriodError):
        Period.year("20x6")
    with pytest.raises(CostRuleError, match="basis"):
        CostRule(basis="population")
    with pytest.raises(CostRuleError, match="unknown field"):
        CostRule.from_dict({"hourly_cost": 1})
    net, shares = CostRule(basis="riders", hourly_cost_yen=1000, equal_portion=0.5).shares(
        ["a", "b"], {"a": 3.0, "b": 1.0}, hours=10.0, km=0.0, fares_yen=2000.0)
    assert net == 8000 and shares == {"a": pytest.approx(2000 + 3000), "b": pytest.approx(2000 + 1000)}


@pytest.mark.parametrize("args, needle", [
    (["--month", "2026-13"], "YYYY-MM"),
    (["--year", "26"], "YYYY"),
    ([], "one of the arguments"),
    (["--month", "2026-11", "--year", "2026"], "not allowed"),
    (["--month", "2026-11", "--source", "mars"], "invalid choice"),
])
def test_bad_report_arguments_exit_2_with_a_message(args, needle):
    done = subprocess.run([sys.executable, "-m", "api.report", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2, done.stderr
    assert needle in done.stderr and "Traceback" not in done.stderr


def test_a_bad_rule_file_exits_2(tmp_path):
    rule = tmp_path / "rule.json"
    rule.write_text(json.dumps({"basis": "population"}), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "api.report", "--month", "2026-11", "--rule", str(rule)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "basis" in done.stderr and "Traceback" not in done.stderr

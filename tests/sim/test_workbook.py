"""kpis.xlsx: one sheet per table, the same numbers as kpis.json, intervals where replicated."""

from openpyxl import load_workbook

from sim.kpis import compute_kpis
from sim.output import write_run
from sim.report.labels import KPIS
from sim.report.values import lookup
from sim.report.workbook import write_workbook
from tests.sim.conftest import one_hour
from tests.sim.test_kpis import records

NAMES = {"10210": "Tomioka", "10382": "Shimonita"}


def test_run_folder_has_a_workbook_with_one_sheet_per_table(tmp_path):
    k = compute_kpis(records(), one_hour(), NAMES)
    paths = write_run(tmp_path, k, records(), None)
    assert paths["xlsx"] == tmp_path / "kpis.xlsx"
    book = load_workbook(paths["xlsx"])
    assert {"指標 KPIs", "車両群 per fleet", "費用負担 cost sharing", "駅別 stations", "鉄道接続 rail feeder",
            "前提 basis"} <= set(book.sheetnames)
    rows = list(book["指標 KPIs"].iter_rows(values_only=True))
    assert rows[0][:3] == ("キー / key", "指標 / KPI", "値 / value")
    by_key = {r[0]: r for r in rows[1:]}
    assert set(by_key) == {kpi.key for kpi in KPIS}
    for kpi in KPIS:
        assert by_key[kpi.key][1] == kpi.label
        assert by_key[kpi.key][2] == lookup(k, kpi.key)
    cost = {r[0]: r for r in book["費用負担 cost sharing"].iter_rows(values_only=True)}
    header = cost["市町村 / municipality"]
    col = header.index("負担額 (円) / cost share (yen) [cost_share_yen]")
    assert cost["Tomioka"][col] == k["per_municipality_cost"]["Tomioka"]["cost_share_yen"]
    stations = list(book["駅別 stations"].iter_rows(values_only=True))
    assert stations[1:] == [("Shimonita", 2)]


def test_replicated_kpis_get_their_interval_in_the_workbook(tmp_path):
    k = compute_kpis(records(), one_hour(), NAMES)
    k["rejection_rate"] = {"mean": 0.2, "ci95": [0.15, 0.25], "n": 3, "values": [0.15, 0.2, 0.25]}
    k["per_fleet"]["Tomioka"]["vehicle_km"] = {"mean": 61.0, "ci95": [58.0, 64.0], "n": 3, "values": [58, 61, 64]}
    book = load_workbook(write_workbook(tmp_path / "k.xlsx", k))
    row = next(r for r in book["指標 KPIs"].iter_rows(values_only=True) if r[0] == "rejection_rate")
    assert row[2:] == (0.2, 0.15, 0.25)
    fleet = list(book["車両群 per fleet"].iter_rows(values_only=True))
    col = fleet[0].index("走行キロ / vehicle-km [vehicle_km]")
    assert fleet[0][col + 1].endswith("95%下限 / ci95 low") and fleet[1][col:col + 3] == (61.0, 58.0, 64.0)

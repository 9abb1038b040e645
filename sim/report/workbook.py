"""``kpis.xlsx`` beside ``kpis.json``: one sheet per table of the report, for the municipal office's Excel.

Headers are Japanese / English like the report. A replicated KPI takes three cells: the mean and the
two ends of its 95% confidence interval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from sim.report.labels import KPIS, text
from sim.report.values import interval, is_replicated, lookup, scalar

# Column keys of the nested tables and the TEXT label each shows under.
_COLUMNS = {
    "vehicles": "vehicles", "vehicle_km": "vehicle_km", "vehicle_hours": "vehicle_hours", "rider_legs": "rider_legs",
    "rides_per_vehicle_hour": "rides_per_vehicle_hour", "occupancy_pkm_per_vkm": "occupancy",
    "riders_resident": "riders_resident", "fare_revenue_yen": "fare_revenue", "cost_share_yen": "cost_share",
    "share": "share", "net_cost_yen": "net_cost", "vehicle_km_inside": "vehicle_km", "pickups": "pickups",
    "dropoffs": "dropoffs",
}
_LOW = "95%下限 / ci95 low"
_HIGH = "95%上限 / ci95 high"


def _cell(value: Any) -> Any:
    value = scalar(value)
    if isinstance(value, dict | list | tuple):
        return str(value)
    return value


def _kpi_sheet(kpis: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["キー / key", "指標 / KPI", "値 / value", _LOW, _HIGH]
    rows = []
    for kpi in KPIS:
        value = lookup(kpis, kpi.key)
        band = interval(value) or (None, None)
        rows.append([kpi.key, kpi.label, _cell(value), band[0], band[1]])
    return header, rows


def _nested_sheet(data: dict[str, dict[str, Any]], first: str) -> tuple[list[str], list[list[Any]]]:
    """Rows per name, one column per key (three for a replicated key: mean, low, high)."""
    columns: list[str] = []
    for row in data.values():
        columns.extend(c for c in row if c not in columns)
    replicated = {c for c in columns if any(is_replicated(row.get(c)) for row in data.values())}
    header = [first]
    for c in columns:
        name = f"{text(_COLUMNS[c])} [{c}]" if c in _COLUMNS else c
        header.extend([name, f"{name} {_LOW}", f"{name} {_HIGH}"] if c in replicated else [name])
    rows = []
    for name, row in data.items():
        cells: list[Any] = [name]
        for c in columns:
            cells.append(_cell(row.get(c)))
            if c in replicated:
                cells.extend(interval(row.get(c)) or (None, None))
        rows.append(cells)
    return header, rows


def _pairs_sheet(data: dict[str, Any], first: str, second: str) -> tuple[list[str], list[list[Any]]]:
    header = [first, second]
    rows = [[k, _cell(v)] for k, v in data.items()]
    if any(is_replicated(v) for v in data.values()):
        header += [_LOW, _HIGH]
        rows = [r + list(interval(data[r[0]]) or (None, None)) for r in rows]
    return header, rows


def sheets(kpis: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The workbook's tables by sheet name: (header, rows)."""
    out = {"指標 KPIs": _kpi_sheet(kpis)}
    station = kpis.get("station_feeding") or {}
    nested = {
        "車両群 per fleet": (kpis.get("per_fleet"), text("fleet")),
        "費用負担 cost sharing": (kpis.get("per_municipality_cost"), text("municipality")),
        "市町村内走行 served": (kpis.get("per_municipality_served"), text("municipality")),
    }
    for name, (data, first) in nested.items():
        if data:
            out[name] = _nested_sheet(data, first)
    out["お断り理由 rejections"] = _pairs_sheet(kpis.get("rejections_by_reason") or {}, text("reason"), text("count"))
    out["駅別 stations"] = _pairs_sheet(station.get("riders_by_station") or {}, text("station"), text("riders"))
    feeder = dict(kpis.get("rail_feeder") or {})
    for key, value in (feeder.pop("transfer_wait_min", None) or {}).items():
        feeder[f"transfer_wait_min.{key}"] = value
    for key in ("riders_per_day", "annualised_boardings_alightings", "vision_baseline_2020", "vision_target_2025",
                "share_of_vision_gap"):
        if key in station:
            feeder[f"station_feeding.{key}"] = station[key]
    out["鉄道接続 rail feeder"] = _pairs_sheet(feeder, text("item"), text("value"))
    about = {k: kpis.get(k) for k in ("scenario", "operating_model", "days", "seed", "replications", "seeds",
                                      "cost_sharing_rule") if k in kpis}
    out["前提 basis"] = _pairs_sheet(about, text("item"), text("detail"))
    return out


def write_workbook(path: Path, kpis: dict[str, Any]) -> Path:
    """Write ``kpis.xlsx`` with one sheet per table and return its path."""
    book = Workbook()
    book.remove(book.active)
    for name, (header, rows) in sheets(kpis).items():
        sheet = book.create_sheet(name[:31])
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "B2"
        for i, head in enumerate(header, start=1):
            width = max([len(str(head))] + [len(str(r[i - 1])) for r in rows if i - 1 < len(r)])
            sheet.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 60)
    book.save(path)
    return path

"""One self-contained ``report.html`` per run (figures embedded as base64 PNG), and one per comparison."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sim.kpis import TABLE_ROWS, format_value, lookup, table_rows
from sim.report import plots
from sim.scenario import Scenario

_CSS = """
body{font-family:system-ui,'Hiragino Sans','Noto Sans JP',sans-serif;max-width:1000px;margin:2em auto;color:#222}
h1{font-size:1.5em} h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9em} td,th{padding:3px 10px;border-bottom:1px solid #eee}
td.n{text-align:right;font-variant-numeric:tabular-nums} th{text-align:left;background:#f5f5f5}
img{max-width:100%} .meta{color:#666;font-size:.85em} code{background:#f3f3f3;padding:0 3px}
"""

_COMPARE_KEYS = (
    ("rejection rate", "rejection_rate"), ("rides / veh-h", "rides_per_vehicle_hour"),
    ("pooled share", "pooled_share"), ("pkm / vkm", "occupancy_pkm_per_vkm"),
    ("wait mean (min)", "wait_min.mean"), ("cost / rider", "cost_per_rider_yen"),
)


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="n"' if i > 0 else ""
            cells.append(f"<td{cls}>{html.escape(str(cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _nested_table(title: str, data: dict[str, dict[str, Any]]) -> str:
    if not data:
        return ""
    cols = list(next(iter(data.values())).keys())
    rows = [[name] + ["-" if v.get(c) is None else v.get(c) for c in cols] for name, v in data.items()]
    return f"<h3>{html.escape(title)}</h3>" + _table([""] + cols, rows)


def _scenario_block(scenario: Scenario) -> str:
    fleets = [[f.municipality, f.vehicles, f.seats, f.wheelchair_vehicles, f.depot,
               ", ".join(f"{a // 3600:02d}:{a % 3600 // 60:02d}-{b // 3600:02d}:{b % 3600 // 60:02d}"
                         for a, b in f.shifts)] for f in scenario.fleets]
    return (f"<p>{html.escape(scenario.description)}</p>"
            f"<p class=meta>operating model <code>{scenario.operating_model}</code>, seed {scenario.seed}, "
            f"{scenario.days} day(s) from {scenario.start_date}, source <code>{html.escape(scenario.source)}</code>, "
            f"re-optimisation every {scenario.reoptimisation.every // 60} min "
            f"({scenario.reoptimisation.time_limit:g} s)</p>"
            + _table(["fleet", "vehicles", "seats", "wheelchair vehicles", "depot", "shifts"], fleets))


def run_report(scenario: Scenario, kpis: dict[str, Any], records, graph, stations, labels) -> str:
    """The HTML of one run: scenario, KPI table, per-fleet/municipality tables and the figures."""
    fleet_size = len({v.vehicle_id for v in records.vehicles})
    station = kpis.get("station_feeding", {})
    reasons = kpis.get("rejections_by_reason") or {}
    parts = [
        f"<h1>乗合タクシー simulation: {html.escape(scenario.name)}</h1>",
        f"<p class=meta>generated {datetime.now().isoformat(timespec='seconds')}</p>",
        _scenario_block(scenario),
        "<h2>KPIs</h2>",
        _table(["KPI", "value"], table_rows(kpis)),
        "<h3>Rejections by reason</h3>" + (_table(["reason", "requests"], list(reasons.items())) if reasons
                                           else "<p>none</p>"),
        _nested_table("Per fleet", kpis.get("per_fleet", {})),
        _nested_table("Per municipality served (vehicle-km driven inside it; vehicle-hours pro rata)",
                      kpis.get("per_municipality_served", {})),
        "<h3>Riders fed to Joshin stations</h3>",
        _table(["station", "riders"], list((station.get("riders_by_station") or {}).items())),
        f"<p>{station.get('riders_per_day', 0)} riders a day to or from stations: about "
        f"{station.get('annualised_boardings_alightings', 0):,} station boardings and alightings a year, "
        f"{100 * (station.get('share_of_vision_gap') or 0):.1f}% of the vision's gap from "
        f"{station.get('vision_baseline_2020', 0):,} (2020) to {station.get('vision_target_2025', 0):,} (2025).</p>",
        "<h2>Figures</h2>",
        _img(plots.wait_distribution(records.legs), "wait distribution"),
        _img(plots.occupancy_over_day(records, fleet_size), "occupancy over the day"),
        _img(plots.fleet_utilisation(records), "fleet utilisation"),
        _img(plots.network_map(graph, records, stations, labels), "network map"),
        "<p class=meta>Files beside this report: <code>kpis.json</code>, <code>legs.csv</code> (one row per rider "
        "leg), <code>vehicles.csv</code> (one row per vehicle and day). KPI definitions: docs/sim.md.</p>",
    ]
    return _page(scenario.name, parts)


def compare_report(columns: dict[str, dict[str, Any]]) -> str:
    """The HTML of ``sim compare``: the KPI table side by side and a bar chart of the key ones."""
    names = list(columns)
    rows = [[label] + [format_value(lookup(columns[n], key), fmt) for n in names] for label, key, fmt in TABLE_ROWS]
    parts = [
        f"<h1>Scenario comparison: {' vs '.join(html.escape(n) for n in names)}</h1>",
        "<p>Both runs see the same requests (same demand seed and settings of the first scenario).</p>",
        _table(["KPI"] + names, rows),
        _img(plots.compare_bars(columns, _COMPARE_KEYS), "comparison"),
    ]
    return _page("comparison", parts)


def _page(title: str, parts: Sequence[str]) -> str:
    return (f"<!doctype html><html lang=ja><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")

"""One self-contained ``report.html`` per run (figures embedded as base64 PNG), and one per comparison.

Every heading, column and KPI name is Japanese first, English second, from :mod:`sim.report.labels`;
replicated KPIs print as ``mean [low – high]`` (:mod:`sim.report.values`).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sim.report import plots
from sim.report.labels import KPIS, TEXT, bi, kpi_label, reason_label, text
from sim.report.values import lookup, show
from sim.scenario import Scenario

_CSS = """
body{font-family:'Hiragino Sans','Noto Sans JP','IPAexGothic',system-ui,sans-serif;max-width:1060px;margin:2em auto;
color:#222;line-height:1.5}
h1{font-size:1.5em} h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.88em;margin:.5em 0} td,th{padding:3px 10px;border-bottom:1px solid #eee;
vertical-align:top} td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th{text-align:left;background:#f5f5f5} img{max-width:100%} .meta{color:#666;font-size:.85em}
code{background:#f3f3f3;padding:0 3px} .note{background:#fff8e1;padding:.5em 1em;border-left:3px solid #f0b400}
"""

_COMPARE_KEYS = ("rejection_rate", "rides_per_vehicle_hour", "pooled_share", "occupancy_pkm_per_vkm",
                 "wait_min.mean", "cost_per_rider_yen")


def img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], numeric_from: int = 1) -> str:
    """An HTML table; cells from column ``numeric_from`` on are right-aligned (numbers)."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="n"' if i >= numeric_from else ""
            cells.append(f"<td{cls}>{html.escape(str(cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def h(level: int, key: str) -> str:
    return f"<h{level}>{html.escape(text(key))}</h{level}>"


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _scenario_block(scenario: Scenario, names: dict[str, str]) -> str:
    fleets = [[names.get(f.municipality, f.municipality), f.vehicles, f.seats, f.wheelchair_vehicles, f.depot,
               ", ".join(f"{_clock(a)}-{_clock(b)}" for a, b in f.shifts)] for f in scenario.fleets]
    header = [text(k) for k in ("fleet", "vehicles", "seats", "wheelchair_vehicles", "depot", "shifts")]
    return (f"<p>{html.escape(scenario.description)}</p>"
            f"<p class=meta>運行形態 / operating model <code>{scenario.operating_model}</code>; "
            f"乱数シード / seed {scenario.seed}; {scenario.days} 日 / day(s) from {scenario.start_date}; "
            f"ファイル / file <code>{html.escape(scenario.source)}</code></p>"
            + table(header, fleets))


def kpi_table(kpis: dict[str, Any]) -> str:
    rows = [[k.label, show(lookup(kpis, k.key), k.fmt)] for k in KPIS]
    return table([text("kpi"), text("value")], rows)


def nested_table(title: str, data: dict[str, dict[str, Any]], columns: Sequence[tuple[str, str, str]],
                 names: dict[str, str] | None = None, first: str = "fleet") -> str:
    """A table of per-name rows; ``columns`` are (key in the row, TEXT label key, format); ``names`` relabels rows.

    ``first`` is the TEXT key of the first column's header.
    """
    if not data:
        return ""
    names = names or {}
    rows = [[names.get(name, name)] + [show(row.get(key), fmt) for key, _, fmt in columns]
            for name, row in data.items()]
    return f"<h3>{html.escape(title)}</h3>" + table([text(first)] + [text(label) for _, label, _ in columns], rows)


_FLEET_COLUMNS = (("vehicles", "vehicles", "{:d}"), ("vehicle_km", "vehicle_km", "{:,.1f}"),
                  ("vehicle_hours", "vehicle_hours", "{:,.1f}"), ("rider_legs", "rider_legs", "{:d}"),
                  ("rides_per_vehicle_hour", "rides_per_vehicle_hour", "{:.2f}"),
                  ("occupancy_pkm_per_vkm", "occupancy", "{:.2f}"))


def run_report(scenario: Scenario, kpis: dict[str, Any], records, graph, stations, labels,
               sections: Sequence[str] = (), names: dict[str, str] | None = None) -> str:
    """The HTML of one run: scenario, KPI table, extra ``sections`` (HTML), per-fleet tables and the figures.

    ``names`` maps the English names the KPIs are keyed by to the report's ``日本語 / English`` ones.
    """
    fleet_size = len({v.vehicle_id for v in records.vehicles})
    reasons = kpis.get("rejections_by_reason") or {}
    parts = [
        f"<h1>{html.escape(text('title'))}: {html.escape(scenario.name)}</h1>",
        f"<p class=meta>{html.escape(text('generated'))} {datetime.now().isoformat(timespec='seconds')}</p>",
        _scenario_block(scenario, names or {}),
        h(2, "kpis"),
        kpi_table(kpis),
        h(3, "rejections") + (table([text("reason"), text("count")],
                                    [[reason_label(r), show(n, "{:d}")] for r, n in reasons.items()])
                              if reasons else f"<p>{text('none')}</p>"),
        nested_table(text("per_fleet"), kpis.get("per_fleet", {}), _FLEET_COLUMNS, names),
        *sections,
        h(2, "figures"),
        img(plots.wait_distribution(records.legs), TEXT["wait_title"][1]),
        img(plots.occupancy_over_day(records, fleet_size), TEXT["occ_title"][1]),
        img(plots.fleet_utilisation(records), TEXT["util_title"][1]),
        img(plots.network_map(graph, records, stations, labels), TEXT["map_title"][1]),
        h(2, "files"),
        "<p class=meta><code>kpis.json</code>, <code>kpis.xlsx</code> (表ごとに1シート / one sheet per table), "
        "<code>legs.csv</code> (区間ごとに1行 / one row per rider leg), <code>vehicles.csv</code> "
        "(車両・日ごとに1行 / one row per vehicle and day).</p>",
    ]
    return page(scenario.name, parts)


def _signed(fmt: str) -> str:
    """A format with an explicit sign, fractional for counts (a difference of means)."""
    return {"{:d}": "{:+.1f}", "{:,d}": "{:+,.1f}"}.get(fmt, fmt.replace("{:", "{:+", 1))


def paired_table(document: dict[str, Any]) -> str:
    """Per KPI: both means, the paired difference B - A with its 95% interval, and whether it is significant."""
    paired = document.get("paired") or {}
    replicated = int(document.get("replications") or 1) > 1
    head = [text("kpi"), str(document.get("a", "A")), str(document.get("b", "B")),
            "差 B−A [95%信頼区間] / difference B−A [95% CI]"]
    if replicated:
        head.append("有意差 / significant")
    rows = []
    for k in KPIS:
        row = paired.get(k.key)
        if row is None:
            continue
        diff = show(row.get("difference"), _signed(k.fmt))
        if row.get("ci95"):
            low, high = row["ci95"]
            diff += f" [{show(low, _signed(k.fmt))} – {show(high, _signed(k.fmt))}]"
        cells = [k.label, show(row.get("a"), k.fmt), show(row.get("b"), k.fmt), diff]
        if replicated:
            cells.append({True: "あり / yes", False: "なし (n.s.) / not significant", None: "-"}
                         [row.get("significant")])
        rows.append(cells)
    n = int(document.get("replications") or 1)
    note = ""
    if replicated:
        note = (f"<p class=meta>{n} 回の反復、各反復で両シナリオに同じ需要 (共通乱数)。"
                "「なし」は差の95%信頼区間が0を含むこと / replications on common random numbers "
                "(the same demand for both in each replication); 'not significant' means the "
                "difference's 95% interval contains 0.</p>")
    return table(head, rows) + note


def compare_report(columns: dict[str, dict[str, Any]], document: dict[str, Any] | None = None) -> str:
    """The HTML of ``sim compare``: the KPIs side by side (or, given ``compare.json``'s document, both
    means with the paired difference and its interval) and a bar chart of the key ones."""
    names = list(columns)
    if document is not None and document.get("paired"):
        body = paired_table(document)
    else:
        rows = [[k.label] + [show(lookup(columns[n], k.key), k.fmt) for n in names] for k in KPIS]
        body = table([text("kpi")] + names, rows)
    parts = [
        f"<h1>{html.escape(text('compare_title'))}: {' vs '.join(html.escape(n) for n in names)}</h1>",
        "<p>両シナリオは同じ依頼を受ける (最初のシナリオの需要設定と乱数シード) / Both runs see the same requests "
        "(demand settings and seed of the first scenario).</p>",
        body,
        img(plots.compare_bars(columns, [(kpi_label(k), k) for k in _COMPARE_KEYS]), TEXT["cmp_title"][1]),
    ]
    return page(bi("比較", "comparison"), parts)


def page(title: str, parts: Sequence[str]) -> str:
    return (f"<!doctype html><html lang=ja><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")

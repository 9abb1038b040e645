"""Report tables a council asks for: cost per municipality under the sharing rule, and the rail feeder."""

from __future__ import annotations

import html
from typing import Any

from sim.report.html import h, table
from sim.report.labels import bi, text
from sim.report.values import lookup, number, show
from sim.scenario import Scenario
from sim.validation import reasons, tomioka_validation

RULES = {
    "vehicle_km": ("市町村内の走行キロで按分", "by vehicle-km driven inside each municipality"),
    "riders_resident": ("住民の利用者数で按分", "by riders served who live there"),
    "fixed": ("協定の負担割合", "fixed agreed shares"),
}

_COST_COLUMNS = (
    ("riders_resident", "riders_resident", "{:,d}"),
    ("fare_revenue_yen", "fare_revenue", "{:,.0f}"),
    ("vehicle_km_inside", "vehicle_km", "{:,.1f}"),
    ("share", "share", "{:.1%}"),
    ("cost_share_yen", "cost_share", "{:,.0f}"),
    ("net_cost_yen", "net_cost", "{:,.0f}"),
)


def cost_sharing(kpis: dict[str, Any], names: dict[str, str] | None = None) -> str:
    """Cost in yen per municipality under the scenario's rule, beside its riders and fare revenue."""
    names = names or {}
    per = kpis.get("per_municipality_cost") or {}
    if not per:
        return ""
    rule = str(kpis.get("cost_sharing_rule") or "vehicle_km")
    ja, en = RULES.get(rule, (rule, rule))
    rows = [[names.get(name, name)] + [show(row.get(key), fmt) for key, _, fmt in _COST_COLUMNS]
            for name, row in per.items()]
    totals = ["計 / total"]
    for key, _, fmt in _COST_COLUMNS:
        values = [number(row.get(key)) for row in per.values()]
        totals.append(show(sum(v for v in values if v is not None), fmt.replace(":,d", ":,.0f")))
    rows.append(totals)
    header = [text("municipality")] + [text(label) for _, label, _ in _COST_COLUMNS]
    days = number(kpis.get("days")) or 1
    return (h(2, "per_municipality")
            + f"<p>負担の方法 / cost-sharing rule: <b>{html.escape(ja)} / {html.escape(en)}</b> "
              f"(<code>costs.sharing.rule: {html.escape(rule)}</code>); {days:g} 日分 / for {days:g} day(s). "
              "利用者と運賃は住民 (自宅の市町村) ごと / riders and fares by where the rider lives.</p>"
            + table(header, rows))


def rail_feeder(kpis: dict[str, Any], names: dict[str, str] | None = None) -> str:
    """Transfer waits, missed connections, riders per station and the vision's station KPI."""
    names = names or {}
    station = kpis.get("station_feeding") or {}
    feeder = kpis.get("rail_feeder") or {}
    parts = [h(2, "rail")]
    if (number(feeder.get("chained_trips")) or 0) > 0:
        rows = [
            ["鉄道乗継ぎの依頼 / requests chained via rail", show(feeder.get("chained_trips"), "{:,d}")],
            ["うち完了 / of which served", show(feeder.get("chained_trips_served"), "{:,d}")],
            ["乗継ぎ回数 (人回) / transfers (rider count)", show(feeder.get("transfers"), "{:,d}")],
            ["平均乗継ぎ待ち (分) / mean transfer wait (min)",
             show(lookup(feeder, "transfer_wait_min.mean"), "{:.1f}")],
            ["乗継ぎ待ち95%値 (分) / transfer wait p95 (min)", show(lookup(feeder, "transfer_wait_min.p95"), "{:.1f}")],
            ["乗り遅れ (人) / missed connections (riders)", show(feeder.get("missed_connections"), "{:,d}")],
        ]
        parts.append(table([text("item"), text("value")], rows))
    by_station = station.get("riders_by_station") or {}
    if by_station:
        parts.append("<h3>駅別の送迎利用者 / Riders to or from each station</h3>"
                     + table([text("station"), text("riders")], [[names.get(s, s), show(n, "{:,d}")]
                                                                          for s, n in by_station.items()]))
    base = number(station.get("vision_baseline_2020")) or 1_140_000
    target = number(station.get("vision_target_2025")) or 1_351_000
    rows = [
        ["2020年の駅乗降客数 / station boardings and alightings, 2020", f"{base:,.0f}"],
        ["2025年の目標 / vision target, 2025", f"{target:,.0f}"],
        ["目標までの差 / gap to close", f"{target - base:,.0f}"],
        ["乗合タクシーによる駅乗降 年換算 / added by the shared taxi, a year",
         show(station.get("annualised_boardings_alightings"), "{:,.0f}")],
        ["差に対する割合 / share of the gap", show(station.get("share_of_vision_gap"), "{:.1%}")],
    ]
    parts.append("<h3>駅乗降客数の目標 (定住自立圏ビジョン) / The vision's station KPI</h3>"
                 + table([text("item"), text("value")], rows))
    return "".join(parts)


def validation(scenario: Scenario, kpis: dict[str, Any], stops: int | None = None) -> str:
    """Published vs simulated for the Tomioka fleet (愛タク), with the reasons they differ."""
    rows = tomioka_validation(scenario, kpis, stops)
    if not rows:
        return ""
    body = [[bi(r.ja, r.en), show(r.published, r.fmt), show(r.simulated, r.fmt), r.note] for r in rows]
    why = "".join(f"<li>{html.escape(line)}</li>" for line in reasons(scenario, kpis))
    return (h(2, "validation") + table([text("kpi"), text("published"), text("simulated"), text("note")], body)
            + f"<h3>{html.escape(text('why'))}</h3><ul>{why}</ul>")

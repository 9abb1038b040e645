"""Published vs simulated: the Tomioka part of a run beside the figures of 愛タク as it runs today.

The published figures are in ``data/osm_gunma/published_aitaku.csv`` (from ``service_facts.md``).
:func:`tomioka_validation` returns one row per figure with the simulated value taken from the KPIs
(the Tomioka fleet's rider legs and vehicle-hours, the scenario's Tomioka fleet) and the reasons they
differ, so a planner sees how far the model is from the running service and why.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from routing.facts import DEFAULT_DATA_DIR
from sim.report.values import is_replicated, number
from sim.scenario import FleetSpec, Scenario

TOMIOKA_NAMES = ("tomioka", "富岡市", "10210")
DAYS_PER_MONTH = 365 / 12  # 愛タク runs every day


@dataclass(frozen=True)
class ValidationRow:
    """One published figure beside the simulated one (``simulated`` may be a replicated KPI mapping)."""

    ja: str
    en: str
    published: Any
    simulated: Any
    fmt: str
    note: str = ""


@cache
def published_facts(data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, str]:
    """Published figures of 愛タク by metric name (as text)."""
    with (Path(data_dir) / "published_aitaku.csv").open(encoding="utf-8") as fh:
        return {row["metric"]: row["value"] for row in csv.DictReader(fh)}


@cache
def stop_count(feeds: tuple[str, ...], data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """Stops of the given feeds in ``data/osm_gunma/stops.csv``."""
    path = Path(data_dir) / "stops.csv"
    if not path.exists():
        return 0
    with path.open(encoding="utf-8") as fh:
        return sum(1 for row in csv.DictReader(fh) if row.get("feed") in feeds)


def tomioka_at_stops(scenario: Scenario) -> bool:
    """True if Tomioka's riders board at stops (a ``stop_service`` covering Tomioka, or no door-to-door)."""
    spec = scenario.stop_service
    if spec is not None and (not spec.municipalities
                             or any(str(m).strip().lower() in TOMIOKA_NAMES for m in spec.municipalities)):
        return True
    return not scenario.service_rules.door_to_door


def _boarding(scenario: Scenario, stops: int | None) -> str:
    if not tomioka_at_stops(scenario):
        return "戸口 (大字の代表点) / door to door (大字 points)"
    spec = scenario.stop_service
    if stops is None:
        stops = stop_count(tuple(spec.feeds)) if spec is not None else None
    walk = f"、徒歩 {spec.max_walk_m:,.0f} m まで / walk up to {spec.max_walk_m:,.0f} m" if spec is not None else ""
    return f"{stops if stops is not None else '-'} 停留所 / stops{walk}"


def tomioka_fleet(scenario: Scenario) -> FleetSpec | None:
    return next((f for f in scenario.fleets if str(f.municipality).strip().lower() in TOMIOKA_NAMES), None)


def _scaled(value: Any, factor: float) -> Any:
    """A KPI times ``factor``, keeping a replicated KPI's interval."""
    if is_replicated(value):
        low, high = value["ci95"]
        return {"mean": value["mean"] * factor, "ci95": [low * factor, high * factor], "n": value.get("n")}
    point = number(value)
    return None if point is None else point * factor


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def tomioka_validation(scenario: Scenario, kpis: dict[str, Any], stops: int | None = None) -> list[ValidationRow]:
    """Rows of the published-vs-simulated table, or [] when the scenario has no Tomioka fleet.

    ``stops`` overrides the number of stops shown for a stop-based service (default: those of its feeds).
    """
    fleet = tomioka_fleet(scenario)
    row = (kpis.get("per_fleet") or {}).get("Tomioka")
    if fleet is None or not row:
        return []
    facts = published_facts()
    days = number(kpis.get("days")) or 1
    hours = " ".join(f"{_clock(a)}-{_clock(b)}" for a, b in fleet.shifts)
    return [
        ValidationRow("1か月の乗車人回", "rides a month", float(facts["rides_per_month"]),
                      _scaled(row.get("rider_legs"), DAYS_PER_MONTH / days), "{:,.0f}",
                      "公表値は「4,000回超」(2021年末) / published: 'more than 4,000' (end of 2021)"),
        ValidationRow("車両1時間あたり乗車人回", "rides per vehicle-hour", float(facts["rides_per_vehicle_hour"]),
                      row.get("rides_per_vehicle_hour"), "{:.2f}"),
        ValidationRow("1日の車両時間", "vehicle-hours a day",
                      float(facts["vehicles"]) * 9, _scaled(row.get("vehicle_hours"), 1 / days), "{:,.1f}",
                      "6台 × 9時間 / 6 vans × 9 h"),
        ValidationRow("運行時間", "service hours", f"{facts['service_start']}-{facts['service_end']}", hours, "{}"),
        ValidationRow("台数 (うち車いす対応)", "fleet (wheelchair-capable)",
                      f"{facts['vehicles']} ({facts['wheelchair_vehicles']})",
                      f"{fleet.vehicles} ({fleet.wheelchair_vehicles})", "{}"),
        ValidationRow("定員", "seats", facts["seats"], str(fleet.seats), "{}"),
        ValidationRow("乗降場所", "where riders board",
                      f"{facts['stops']} 停留所 / stops", _boarding(scenario, stops), "{}"),
    ]


def reasons(scenario: Scenario, kpis: dict[str, Any]) -> list[str]:
    """Why the simulated Tomioka figures differ from the published ones, from what the run shows."""
    out = []
    rejection = number(kpis.get("rejection_rate"))
    if rejection is not None and rejection > 0.02:
        out.append(f"需要は月約4,000回に較正したが、{rejection:.0%} の依頼を断っているため実績より少ない / demand is "
                   f"calibrated to about 4,000 rides a month, but {rejection:.0%} of requests are refused, so "
                   "fewer rides are carried than demanded.")
    out.append("道路網は公開情報から作った骨格網で、実際の道路より所要時間の誤差が大きい / the road network is a "
               "skeleton built from public facts, so drive times are rougher than on the real roads.")
    spec = scenario.stop_service
    if tomioka_at_stops(scenario) and spec is not None:
        far = number((kpis.get("rejections_by_reason") or {}).get("no_stop_within_walk")) or 0
        requests = number(kpis.get("requests")) or 0
        share = f"{far / requests:.0%}" if requests else "-"
        stops = stop_count(tuple(spec.feeds))
        if spec.beyond_walk == "door":
            out.append(f"愛タクの432停留所の代わりに {stops} 停留所 (feeds: {', '.join(spec.feeds)}) を使い、"
                       f"停留所から {spec.max_walk_m:,.0f} m より遠い戸口は戸口で乗降させる (実際の停留所の代わり) / "
                       "the model uses "
                       f"{stops} stops (feeds: {', '.join(spec.feeds)}) instead of 愛タク's 432; a door farther than "
                       f"{spec.max_walk_m:,.0f} m from every one is served at the door, standing in for the real "
                       "stop there.")
        else:
            out.append(f"愛タクの432停留所の代わりに {stops} 停留所 (feeds: "
                       f"{', '.join(spec.feeds)}) を使い、停留所から {spec.max_walk_m:,.0f} m より遠い戸口の依頼は断る "
                       f"(依頼の {share}) / the model uses {stops} stops (feeds: "
                       f"{', '.join(spec.feeds)}) instead of 愛タク's 432 and refuses doors farther than "
                       f"{spec.max_walk_m:,.0f} m from every stop ({share} of requests).")
    elif not tomioka_at_stops(scenario):
        out.append("実際は432か所の停留所で乗降するが、モデルは戸口 (大字の代表点) で乗降する。停留所に集まると乗合が"
                   "増え、車両1時間あたりの乗車人回は上がる / the service boards at 432 stops; the model picks up at "
                   "the door (大字 points). Stops gather riders, so pooling and rides per vehicle-hour are higher.")
    out.append("需要は平日1日の時間分布で、曜日・季節・天候の変動を含まない。利用者の居住地は大字内で均等 / demand is "
               "one weekday profile without weekday, season or weather effects, and homes are spread evenly over "
               "each municipality's 大字.")
    out.append("公表値は2021年の実績、シミュレーションは富岡市の車両が運んだ乗車人回 / the published figures are "
               "2021 counts; the simulated ones are the rides of the Tomioka fleet.")
    if scenario.operating_model != "municipal":
        out.append("広域運行のため富岡市の車両は市外の利用者も運ぶ / in wide-area operation the Tomioka fleet "
                   "also carries riders from other municipalities.")
    return out

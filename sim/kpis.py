"""Key performance indicators of a run, with stable names (documented in ``docs/sim.md``).

Conventions follow the service facts: MATSim DRT (wait mean/median/p95, waits under 10 and 15 min,
rejection rate, empty-km share, passenger-km / vehicle-km), FleetPy (rides per vehicle-hour, pooled
share) and Japanese municipal reporting (passengers per run, cost per rider, fare recovery).
Distances are reported in km, times in minutes or hours as the name says.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from sim.costs import municipality_costs
from sim.rail_kpis import rail_feeder
from sim.records import LegRecord, RunRecords, VehicleRecord
from sim.report.labels import KPIS
from sim.scenario import Scenario

# Station boardings and alightings in the sphere: 1,140 k (2020), vision target 1,351 k (2025).
STATION_BASELINE_2020 = 1_140_000
STATION_TARGET_2025 = 1_351_000
FINAL_STATUSES = ("completed", "rejected", "declined", "cancelled", "no_show", "missed")


def trip_outcomes(legs: Iterable[LegRecord]) -> dict[str, tuple[str, str, list[LegRecord]]]:
    """Outcome per trip request (a direct ride or a chain of legs): status, rejection reason, legs.

    A chain counts as completed when every leg is; otherwise it takes the first non-completed
    leg's status.
    """
    by_trip: dict[str, list[LegRecord]] = defaultdict(list)
    for leg in legs:
        by_trip[leg.trip_id or leg.id].append(leg)
    out = {}
    for trip_id, trip_legs in by_trip.items():
        trip_legs.sort(key=lambda x: x.leg_index)
        bad = [x for x in trip_legs if x.status != "completed"]
        status = bad[0].status if bad else "completed"
        reason = next((x.rejection_reason for x in trip_legs if x.rejection_reason), "")
        out[trip_id] = (status, reason, trip_legs)
    return out


def pooled_ids(legs: Iterable[LegRecord]) -> set[str]:
    """Ids of completed DRT legs that shared the vehicle with another booking for part of the ride."""
    by_vehicle: dict[tuple[int, str], list[LegRecord]] = defaultdict(list)
    for leg in legs:
        if leg.mode == "drt" and leg.served and leg.pickup_at is not None and leg.dropoff_at is not None:
            by_vehicle[(leg.day, leg.vehicle_id)].append(leg)
    pooled: set[str] = set()
    for group in by_vehicle.values():
        group.sort(key=lambda x: x.pickup_at or 0)
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if (b.pickup_at or 0) >= (a.dropoff_at or 0):
                    break
                pooled.update((a.id, b.id))
    return pooled


def _stats(values: list[float], scale: float = 1.0) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "median": None, "p95": None}
    arr = np.asarray(values) / scale
    return {"mean": round(float(arr.mean()), 2), "median": round(float(np.median(arr)), 2),
            "p95": round(float(np.percentile(arr, 95)), 2)}


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def _ratio(a: float, b: float, digits: int = 3) -> float | None:
    return round(a / b, digits) if b > 0 else None


def compute_kpis(records: RunRecords, scenario: Scenario, names: dict[str, str] | None = None,
                 cost_shares: dict[str, float] | None = None) -> dict[str, Any]:
    """All KPIs of a run as a JSON-safe dict (no wall-clock figures: same seed, same KPIs).

    Parameters
    ----------
    records
        What the run recorded.
    scenario
        The scenario (unit costs, fares, days).
    names
        English names by JIS code, for per-municipality tables.
    cost_shares
        Fixed cost shares by JIS code (``sim.costs.fixed_shares``) when the sharing rule is ``fixed``.
    """
    names = names or {}
    days = max(records.days, 1)
    outcomes = trip_outcomes(records.legs)
    status_counts = Counter(status for status, _, _ in outcomes.values())
    reasons = Counter(reason for status, reason, _ in outcomes.values() if status == "rejected")
    requests = len(outcomes)
    served_trips = [legs for status, _, legs in outcomes.values() if status == "completed"]
    drt = [leg for leg in records.legs if leg.mode == "drt"]
    done = [leg for leg in drt if leg.served]
    riders = sum(legs[0].party for legs in served_trips)
    rider_legs = sum(leg.party for leg in done)
    waits = [leg.wait_s for leg in done if leg.wait_s is not None]
    rides = [leg.ride_s for leg in done if leg.ride_s is not None]
    walks = [leg.walk_s for leg in done]
    journeys = [leg.journey_s for leg in done if leg.journey_s is not None]
    detours = [leg.detour for leg in done if leg.detour is not None]
    on_time = [bool(leg.on_time) for leg in done if leg.on_time is not None]
    pooled = pooled_ids(drt)
    veh = records.vehicles
    vkm = sum(v.distance_m for v in veh) / 1000
    vh = sum(v.shift_s for v in veh) / 3600
    pkm = sum(v.passenger_m for v in veh) / 1000
    runs = sum(v.runs for v in veh)
    cost = (vh * scenario.costs.vehicle_hour_yen + vkm * scenario.costs.vehicle_km_yen
            + len(veh) * scenario.costs.fixed_per_vehicle_day_yen)
    fares = sum(leg.fare_yen for leg in done)
    cross = sum(1 for legs in served_trips if _trip_crosses(legs))
    stations = _station_feeding(done, days)
    out: dict[str, Any] = {
        "scenario": scenario.name,
        "operating_model": scenario.operating_model,
        "days": days,
        "seed": scenario.seed,
        "requests": requests,
        "served": status_counts.get("completed", 0),
        "rejected": status_counts.get("rejected", 0),
        "declined": status_counts.get("declined", 0),
        "cancelled": status_counts.get("cancelled", 0),
        "no_shows": status_counts.get("no_show", 0),
        "unfinished": requests - sum(status_counts.get(s, 0) for s in FINAL_STATUSES),
        "rejection_rate": _ratio(status_counts.get("rejected", 0), requests, 4),
        "rejections_by_reason": dict(sorted(reasons.items())),
        "riders_served": riders,
        "riders_per_day": round(riders / days, 1),
        "drt_rider_legs": rider_legs,
        "rides_per_vehicle_hour": _ratio(rider_legs, vh, 2),
        "passengers_per_run": _ratio(sum(v.boarded for v in veh), runs, 2),
        "pooled_share": _ratio(len(pooled), len(done), 4),
        "occupancy_pkm_per_vkm": _ratio(pkm, vkm, 3),
        "empty_km_share": _ratio(sum(v.empty_m for v in veh) / 1000, vkm, 4),
        "vehicle_km": round(vkm, 1),
        "vehicle_hours": round(vh, 1),
        "passenger_km": round(pkm, 1),
        "wait_min": _stats(waits, 60),
        "ride_min": _stats(rides, 60),
        "walk_min": _stats(walks, 60),
        "journey_min": _stats(journeys, 60),
        "detour_factor": _stats(detours),
        "wait_under_10_min_share": _share([w <= 600 for w in waits]),
        "wait_under_15_min_share": _share([w <= 900 for w in waits]),
        "on_time_share": _share(on_time),
        "cross_municipal_trips": cross,
        "rail_legs": sum(leg.party for leg in records.legs if leg.mode == "rail" and leg.served),
        "station_feeding": stations,
        "cost_yen": round(cost),
        "fare_revenue_yen": fares,
        "cost_per_rider_yen": _ratio(cost, riders, 0),
        "subsidy_per_rider_yen": _ratio(cost - fares, riders, 0),
        "fare_recovery": _ratio(fares, cost, 4),
        "per_fleet": _per_fleet(veh, done, names),
        "per_municipality_served": _per_municipality(veh, done, names),
        "cost_sharing_rule": scenario.costs.sharing.rule,
        "per_municipality_cost": municipality_costs(cost, scenario.costs.sharing.rule, cost_shares or {}, veh,
                                                    served_trips, names),
        "rail_feeder": rail_feeder(records.legs),
        "per_origin_municipality": _per_origin(outcomes, names),
    }
    return out


def _trip_crosses(legs: list[LegRecord]) -> bool:
    first, last = legs[0], legs[-1]
    return bool(first.origin_jis and last.destination_jis and first.origin_jis != last.destination_jis)


def _station_feeding(done: list[LegRecord], days: int) -> dict[str, Any]:
    """Riders taken to or from each Joshin station, and what that adds to the vision's station KPI."""
    per_station: Counter[str] = Counter()
    for leg in done:
        for end in (leg.origin, leg.destination):
            if end.startswith("st:"):
                per_station[end[3:]] += leg.party
    per_day = sum(per_station.values()) / days
    annual = per_day * 365
    return {
        "riders_by_station": dict(per_station.most_common()),
        "riders_per_day": round(per_day, 1),
        "annualised_boardings_alightings": round(annual),
        "vision_baseline_2020": STATION_BASELINE_2020,
        "vision_target_2025": STATION_TARGET_2025,
        "share_of_vision_gap": round(annual / (STATION_TARGET_2025 - STATION_BASELINE_2020), 4),
    }


def _per_fleet(vehicles: list[VehicleRecord], done: list[LegRecord], names: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for jis in sorted({v.fleet_jis for v in vehicles}):
        mine = [v for v in vehicles if v.fleet_jis == jis]
        riders = sum(leg.party for leg in done if leg.fleet_jis == jis)
        hours = sum(v.shift_s for v in mine) / 3600
        km = sum(v.distance_m for v in mine) / 1000
        out[names.get(jis, jis)] = {
            "vehicles": len({v.vehicle_id for v in mine}),
            "vehicle_km": round(km, 1),
            "vehicle_hours": round(hours, 1),
            "rider_legs": riders,
            "rides_per_vehicle_hour": _ratio(riders, hours, 2),
            "occupancy_pkm_per_vkm": _ratio(sum(v.passenger_m for v in mine) / 1000, km, 3),
        }
    return out


def _per_municipality(vehicles: list[VehicleRecord], done: list[LegRecord], names: dict[str, str]) -> dict[str, Any]:
    """Vehicle-km driven inside each municipality and riders picked up or set down there."""
    metres: Counter[str] = Counter()
    for v in vehicles:
        metres.update(v.metres_by_jis)
    total = sum(metres.values())
    hours = sum(v.shift_s for v in vehicles) / 3600
    out: dict[str, Any] = {}
    for jis in sorted(set(metres) | {leg.origin_jis or "" for leg in done} - {""}):
        share = metres.get(jis, 0) / total if total else 0.0
        out[names.get(jis, jis)] = {
            "vehicle_km": round(metres.get(jis, 0) / 1000, 1),
            "vehicle_hours": round(hours * share, 1),
            "pickups": sum(leg.party for leg in done if leg.origin_jis == jis),
            "dropoffs": sum(leg.party for leg in done if leg.destination_jis == jis),
        }
    return out


def _per_origin(outcomes: dict[str, tuple[str, str, list[LegRecord]]], names: dict[str, str]) -> dict[str, Any]:
    """Service level of the trips starting in each municipality (what its own fleet size decides).

    ``requests``, ``served``, ``rejection_rate`` (trip level) and ``wait_min`` (of each served trip's
    first taxi leg), by the trip's origin municipality.
    """
    by_jis: dict[str, list[tuple[str, list[LegRecord]]]] = defaultdict(list)
    for status, _, legs in outcomes.values():
        if legs[0].origin_jis:
            by_jis[legs[0].origin_jis].append((status, legs))
    out: dict[str, Any] = {}
    for jis in sorted(by_jis):
        trips = by_jis[jis]
        rejected = sum(1 for status, _ in trips if status == "rejected")
        waits = []
        for status, legs in trips:
            first = next((x for x in legs if x.mode == "drt"), None)
            if status == "completed" and first is not None and first.wait_s is not None:
                waits.append(first.wait_s)
        out[names.get(jis, jis)] = {
            "requests": len(trips),
            "served": sum(1 for status, _ in trips if status == "completed"),
            "rejection_rate": _ratio(rejected, len(trips), 4),
            "wait_min": _stats(waits, 60),
        }
    return out


# Rows of the printed and HTML KPI table: (label, getter on the KPI dict, format), from the one catalogue
# of KPI names (Japanese / English) in sim.report.labels.
TABLE_ROWS: tuple[tuple[str, str, str], ...] = tuple((k.label, k.key, k.fmt) for k in KPIS)


def lookup(kpis: dict[str, Any], dotted: str) -> Any:
    value: Any = kpis
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def format_value(value: Any, fmt: str) -> str:
    """One KPI as text; a replication summary shows its mean and 95 % interval, ``12.3 [11.0, 13.6]``."""
    if isinstance(value, dict) and "ci95" in value and "mean" in value:
        if value["mean"] is None:
            return "-"
        fmt = {"{:d}": "{:.1f}", "{:,d}": "{:,.0f}"}.get(fmt, fmt)  # a mean of counts is not whole
        mean = format_value(value["mean"], fmt)
        ci = value["ci95"]
        return mean if ci is None else f"{mean} [{format_value(ci[0], fmt)}, {format_value(ci[1], fmt)}]"
    if value is None:
        return "-"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def table_rows(kpis: dict[str, Any]) -> list[tuple[str, str]]:
    return [(label, format_value(lookup(kpis, key), fmt)) for label, key, fmt in TABLE_ROWS]


def format_table(columns: dict[str, dict[str, Any]]) -> str:
    """Plain-text KPI table with one column per run (the CLI prints it)."""
    heads = list(columns)
    rows = [[label] + [format_value(lookup(columns[h], key), fmt) for h in heads] for label, key, fmt in TABLE_ROWS]
    head = ["指標 / KPI"] + heads
    widths = [max(_cells(r[i]) for r in rows + [head]) for i in range(len(heads) + 1)]
    lines = ["  ".join(_pad(x, widths[i], i == 0) for i, x in enumerate(head))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(_pad(x, widths[i], i == 0) for i, x in enumerate(row)))
    return "\n".join(lines)


def _cells(text: str) -> int:
    """Terminal columns of ``text`` (kanji and kana take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, left: bool) -> str:
    fill = " " * max(width - _cells(text), 0)
    return text + fill if left else fill + text

"""Writes a run's folder: ``kpis.json``, ``legs.csv``, ``vehicles.csv`` and ``report.html``."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sim.records import LegRecord, RunRecords, VehicleRecord
from sim.report.workbook import write_workbook

LEG_COLUMNS = (
    "id", "trip_id", "leg_index", "mode", "day", "status", "rejection_reason", "purpose", "home_jis",
    "origin", "origin_jis", "destination", "destination_jis", "seats", "wheelchairs", "time_kind", "booked_at",
    "requested_time", "promised_start", "promised_end", "expected_pickup", "expected_dropoff", "pickup_at",
    "dropoff_at", "wait_s", "pickup_delay_s", "ride_s", "direct_s", "direct_m", "detour", "on_time", "vehicle_id",
    "fleet_jis", "train_id", "fare_yen",
)
VEHICLE_COLUMNS = (
    "vehicle_id", "day", "fleet_jis", "seats", "wheelchair_places", "shift_h", "drive_h", "empty_drive_h",
    "dwell_h", "km", "empty_km", "passenger_km", "boarded", "runs", "max_load",
)


def _leg_row(leg: LegRecord) -> dict[str, Any]:
    row = {c: getattr(leg, c) for c in LEG_COLUMNS}
    for key in ("wait_s", "ride_s", "detour", "direct_s", "direct_m"):
        if isinstance(row[key], float):
            row[key] = round(row[key], 2 if key == "detour" else 1)
    return {k: "" if v is None else v for k, v in row.items()}


def _vehicle_row(v: VehicleRecord) -> dict[str, Any]:
    return {
        "vehicle_id": v.vehicle_id, "day": v.day, "fleet_jis": v.fleet_jis, "seats": v.seats,
        "wheelchair_places": v.wheelchair_places, "shift_h": round(v.shift_s / 3600, 3),
        "drive_h": round(v.drive_s / 3600, 3), "empty_drive_h": round(v.empty_drive_s / 3600, 3),
        "dwell_h": round(v.dwell_s / 3600, 3), "km": round(v.distance_m / 1000, 3),
        "empty_km": round(v.empty_m / 1000, 3), "passenger_km": round(v.passenger_m / 1000, 3),
        "boarded": v.boarded, "runs": v.runs, "max_load": v.max_load,
    }


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def write_run(out: Path, kpis: dict[str, Any], records: RunRecords, report_html: str | None) -> dict[str, Path]:
    """Write the run folder and return the paths written by name."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"kpis": out / "kpis.json", "legs": out / "legs.csv", "vehicles": out / "vehicles.csv"}
    paths["kpis"].write_text(json.dumps(kpis, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    paths["xlsx"] = write_workbook(out / "kpis.xlsx", kpis)
    legs = sorted(records.legs, key=lambda x: (x.day, x.trip_id or x.id, x.leg_index, x.id))
    write_csv(paths["legs"], LEG_COLUMNS, [_leg_row(leg) for leg in legs])
    vehicles = sorted(records.vehicles, key=lambda v: (v.day, v.vehicle_id))
    write_csv(paths["vehicles"], VEHICLE_COLUMNS, [_vehicle_row(v) for v in vehicles])
    if report_html is not None:
        paths["report"] = out / "report.html"
        paths["report"].write_text(report_html, encoding="utf-8")
    return paths

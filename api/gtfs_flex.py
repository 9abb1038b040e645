"""``python -m api.gtfs_flex --out DIR``: publish the service as a GTFS feed with GTFS-Flex, so journey
planners can show the shared taxis next to the Joshin trains.

What the feed holds:

* the Joshin line as it is (the pattern timetable of ``data/osm_gunma/joshin_gtfs``) as the fixed part;
* one demand-responsive route per municipality (乗合タクシー), one trip a day serving its area during the
  service hours of the rules (``dispatch.rules.ServiceRules``): two ``stop_times`` rows on its area with
  ``start/end_pickup_drop_off_window``, pickup and drop-off by booking;
* ``locations.geojson``: each municipality's area as a polygon, the union of the nearest-point cells of its
  大字 (the same zones as ``routing.zones``), clipped to the region;
* ``location_groups.txt`` / ``location_group_stops.txt``: each municipality's Joshin stations, where its
  feeders meet the trains;
* ``booking_rules.txt``: book by phone from the booking horizon up to the least notice before the ride.

Times are GTFS ``HH:MM:SS`` of the service day; the feed's calendar is the Joshin feed's (the engine has
no days off).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from dispatch.rail.gtfs import DEFAULT_GTFS_DIR
from dispatch.rules import ServiceRules
from routing.facts import RegionFacts, load_facts

AGENCY_ID = "kanra_tomioka_drt"
DRT_ROUTE_TYPE = 3  # bus: GTFS's basic route types; a demand-responsive route is marked by its flex stop_times


def hhmmss(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def municipal_areas(facts: RegionFacts, margin_deg: float = 0.02) -> dict[str, Any]:
    """JIS code -> shapely polygon of its area: the union of the nearest-大字 cells, within the region's hull."""
    from shapely import MultiPoint, Point, voronoi_polygons
    from shapely.ops import unary_union

    points = [(o.lon, o.lat, o.jis_code) for o in facts.oaza]
    hull = MultiPoint([(x, y) for x, y, _ in points]).convex_hull.buffer(margin_deg)
    cells = voronoi_polygons(MultiPoint([(x, y) for x, y, _ in points]), extend_to=hull)
    by_code: dict[str, list[Any]] = defaultdict(list)
    for cell in cells.geoms:
        owner = next((code for x, y, code in points if cell.covers(Point(x, y))), None)
        if owner is not None:
            by_code[owner].append(cell.intersection(hull))
    return {code: unary_union(parts) for code, parts in sorted(by_code.items())}


def _write(path: Path, header: list[str], rows: list[list[Any]], mode: str = "w") -> None:
    with path.open(mode, encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if mode == "w":
            writer.writerow(header)
        writer.writerows(rows)


def _append_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """Append rows to a copied GTFS file, widening its header with the new columns."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        existing = list(reader)
    for row in rows:
        header += [k for k in row if k not in header]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(existing + rows)


def export(out: Path, rules: ServiceRules | None = None, facts: RegionFacts | None = None,
           rail_dir: Path = DEFAULT_GTFS_DIR) -> Path:
    """Write the feed into folder ``out`` (created; files of the same names replaced); returns ``out``."""
    from shapely.geometry import mapping

    rules = rules or ServiceRules()
    facts = facts or load_facts()
    out.mkdir(parents=True, exist_ok=True)
    for name in ("agency.txt", "calendar.txt", "routes.txt", "trips.txt", "stop_times.txt", "stops.txt"):
        shutil.copyfile(rail_dir / name, out / name)
    with (rail_dir / "calendar.txt").open(encoding="utf-8") as handle:
        service_id = next(csv.DictReader(handle))["service_id"]
    with (rail_dir / "stops.txt").open(encoding="utf-8") as handle:
        rail_stops = list(csv.DictReader(handle))
    _append_rows(out / "agency.txt", [{"agency_id": AGENCY_ID, "agency_name": "甘楽富岡地域 乗合タクシー",
                                       "agency_url": "https://www.city.tomioka.lg.jp/",
                                       "agency_timezone": "Asia/Tokyo", "agency_lang": "ja"}])
    areas = municipal_areas(facts)
    names = {m.jis_code: m for m in facts.municipalities}
    features, routes, trips, stop_times, groups, group_stops = [], [], [], [], [], []
    for code, area in areas.items():
        m = names[code]
        location = f"area_{code}"
        features.append({"type": "Feature", "id": location, "geometry": mapping(area),
                         "properties": {"stop_name": f"{m.name_ja} 乗合タクシー区域",
                                        "stop_desc": f"{m.name_en} shared taxi area"}})
        route, trip = f"drt_{code}", f"drt_{code}_day"
        routes.append({"route_id": route, "agency_id": AGENCY_ID, "route_short_name": f"{m.name_ja}乗合タクシー",
                       "route_long_name": f"{m.name_en} demand-responsive shared taxi", "route_type": DRT_ROUTE_TYPE})
        trips.append({"route_id": route, "service_id": service_id, "trip_id": trip,
                      "trip_headsign": f"{m.name_ja} 予約制", "direction_id": 0})
        for sequence in (1, 2):  # on the area and off it again: any trip within the area, by booking
            stop_times.append({"trip_id": trip, "stop_sequence": sequence, "location_id": location,
                               "start_pickup_drop_off_window": hhmmss(rules.service_start),
                               "end_pickup_drop_off_window": hhmmss(rules.service_end),
                               "pickup_type": 2, "drop_off_type": 2,
                               "pickup_booking_rule_id": "phone_ahead", "drop_off_booking_rule_id": "phone_ahead"})
        stations = [s for s in facts.stations if s.jis_code == code]
        if stations:
            group = f"stations_{code}"
            groups.append([group, f"{m.name_ja}の上信電鉄駅 (Joshin stations)"])
            ids = {s["stop_name"]: s["stop_id"] for s in rail_stops}
            group_stops += [[group, ids[s.name_ja]] for s in stations if s.name_ja in ids]
    _append_rows(out / "routes.txt", routes)
    _append_rows(out / "trips.txt", trips)
    _append_rows(out / "stop_times.txt", stop_times)
    (out / "locations.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features},
                                                      ensure_ascii=False), encoding="utf-8")
    _write(out / "location_groups.txt", ["location_group_id", "location_group_name"], groups)
    _write(out / "location_group_stops.txt", ["location_group_id", "stop_id"], group_stops)
    _write(out / "booking_rules.txt",
           ["booking_rule_id", "booking_type", "prior_notice_duration_min", "prior_notice_duration_max", "message"],
           [["phone_ahead", 1, rules.min_notice_s // 60, rules.horizon_s // 60,
             f"電話で予約（{rules.horizon_s // 86400}日前から{rules.min_notice_s // 60}分前まで） / book by phone "
             f"from {rules.horizon_s // 86400} days to {rules.min_notice_s // 60} min ahead"]])
    _write(out / "feed_info.txt", ["feed_publisher_name", "feed_publisher_url", "feed_lang"],
           [["甘楽富岡地域 乗合タクシー", "https://www.city.tomioka.lg.jp/", "ja"]])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.gtfs_flex",
                                     description="GTFS-Flex で運行情報を公開 / publish the service as GTFS-Flex")
    parser.add_argument("--out", type=Path, default=Path("out/gtfs_flex"))
    parser.add_argument("--rules", type=Path, help="service rules JSON (default: KANRA_RULES_FILE or the defaults)")
    args = parser.parse_args(argv)
    import os

    path = args.rules or (Path(os.environ["KANRA_RULES_FILE"]) if os.environ.get("KANRA_RULES_FILE") else None)
    try:
        rules = ServiceRules.from_dict(json.loads(path.read_text(encoding="utf-8"))) if path else ServiceRules()
    except (OSError, ValueError, TypeError) as exc:
        print(f"python -m api.gtfs_flex: --rules: {exc}", file=sys.stderr)
        return 2
    out = export(args.out, rules)
    print(f"GTFS-Flex を書き出しました / feed written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

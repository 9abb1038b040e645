"""The GTFS-Flex export, read back with partridge: the Joshin timetable intact, one booked area per
municipality with the rules' service hours and notice, areas that hold their own town offices."""

from __future__ import annotations

import csv
import json

import partridge
from shapely.geometry import Point, shape

from api.gtfs_flex import export, main
from dispatch.rail.gtfs import DEFAULT_GTFS_DIR
from dispatch.rules import ServiceRules
from routing.facts import load_facts

OFFICES = {"10210": "tomioka_city_hall", "10384": "kanra_town_office", "10382": "shimonita_town_office",
           "10383": "nanmoku_village_office"}


def test_the_feed_reads_back_with_partridge(tmp_path):
    rules = ServiceRules(service_start=7 * 3600 + 1800, service_end=18 * 3600, min_notice_s=30 * 60,
                         horizon_s=3 * 86_400)
    out = export(tmp_path / "feed", rules)
    feed = partridge.load_feed(str(out))
    routes = dict(zip(feed.routes.route_id, feed.routes.route_type, strict=True))
    assert routes.pop("joshin_line") == 2 and sorted(routes) == [f"drt_{c}" for c in sorted(OFFICES)]
    rail = feed.stop_times[feed.stop_times.trip_id.isin(feed.trips[feed.trips.route_id == "joshin_line"].trip_id)]
    with (DEFAULT_GTFS_DIR / "stop_times.txt").open(encoding="utf-8") as handle:
        assert len(rail) == sum(1 for _ in csv.DictReader(handle))  # the fixed part as published
    flex = feed.stop_times[feed.stop_times.location_id.notna()]
    assert len(flex) == 2 * len(OFFICES)
    assert set(flex.start_pickup_drop_off_window) == {"07:30:00"} and set(flex.end_pickup_drop_off_window) == {
        "18:00:00"}
    areas = {f["id"]: shape(f["geometry"]) for f in json.loads((out / "locations.geojson").read_text())["features"]}
    assert set(flex.location_id) == set(areas)
    places = {p.key: p for p in load_facts().landmarks}
    for code, office in OFFICES.items():
        point = Point(places[office].lon, places[office].lat)
        assert [a for a, poly in areas.items() if poly.covers(point)] == [f"area_{code}"], office
    polygons = list(areas.values())
    assert all(a.intersection(b).area < 1e-9 for i, a in enumerate(polygons) for b in polygons[i + 1:])
    with (out / "booking_rules.txt").open(encoding="utf-8") as handle:
        rule = next(csv.DictReader(handle))
    assert (rule["prior_notice_duration_min"], rule["prior_notice_duration_max"]) == ("30", str(3 * 1440))
    assert set(flex.pickup_booking_rule_id) == {rule["booking_rule_id"]}
    with (out / "location_group_stops.txt").open(encoding="utf-8") as handle:
        groups = list(csv.DictReader(handle))
    stops = dict(zip(feed.stops.stop_id, feed.stops.stop_name, strict=True))
    assert all(g["stop_id"] in stops for g in groups)
    assert "下仁田" in {stops[g["stop_id"]] for g in groups if g["location_group_id"] == "stations_10382"}


def test_a_bad_rules_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "rules.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["--rules", str(bad), "--out", str(tmp_path / "x")]) == 2
    assert "--rules" in capsys.readouterr().err

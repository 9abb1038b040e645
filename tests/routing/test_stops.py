"""Real stop poles (乗降場所): read, keyed, read aloud, snapped with their walk, searchable, with municipality."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from routing import RoadNetwork
from routing.errors import RoutingError
from routing.facts import DEFAULT_DATA_DIR, BusStop, load_facts
from routing.geo import haversine_m
from routing.network import ACCESS_CIRCUITY
from routing.stops import plain_romaji, read_stop_poles

TOMIOKA, SHIMONITA, NANMOKU = "10210", "10382", "10383"


def test_all_290_poles_of_four_services_are_places(net: RoadNetwork) -> None:
    stops = net.stops
    assert len(stops) == 290 and all(isinstance(s, BusStop) and s.kind == "stop" for s in stops)
    by_feed: dict[str, int] = {}
    for s in stops:
        by_feed[s.feed] = by_feed.get(s.feed, 0) + 1
    assert by_feed == {"tomioka": 124, "shimonita": 101, "nanmoku": 56, "uenomura": 9}
    assert len({s.key for s in stops}) == 290  # poles sharing a name get #2, #3
    assert net.place("stop:tomioka/屋敷#2").name_ja == "屋敷"
    assert all("愛タク" in s.service for s in stops if s.feed == "tomioka")


def test_poles_are_snapped_with_their_access_walk(net: RoadNetwork) -> None:
    for s in net.stops:
        assert s.node in net.graph
        nlat, nlon = net.node_latlon(s.node)
        assert s.access_m == pytest.approx(haversine_m(s.lat, s.lon, nlat, nlon) * ACCESS_CIRCUITY, rel=1e-9)
        assert s.access_s == pytest.approx(s.access_m / (4.0 / 3.6))  # walking at 4 km/h
    station_stop = net.place("stop:tomioka/富岡駅")
    assert station_stop.access_m < 100  # the pole stands at Joshu-Tomioka station, a node of the graph


def test_poles_have_the_municipality_they_stand_in(net: RoadNetwork) -> None:
    by_feed_jis: dict[tuple[str, str], int] = {}
    for s in net.stops:
        by_feed_jis[(s.feed, s.jis_code)] = by_feed_jis.get((s.feed, s.jis_code), 0) + 1
    assert by_feed_jis[("tomioka", TOMIOKA)] >= 120  # the city's own taxi runs in the city
    assert by_feed_jis[("nanmoku", NANMOKU)] >= 40  # the village bus mostly in the village ...
    assert by_feed_jis[("nanmoku", SHIMONITA)] >= 1  # ... and runs down to Shimonita station
    assert net.place("stop:shimonita/下仁田駅").jis_code == SHIMONITA
    for s in net.stops:  # each pole is in the municipality of its nearest 大字 point
        if s.jis_code:
            assert net.zone_of(s.lat, s.lon).jis_code == s.jis_code


def test_search_by_name_kana_and_romaji(net: RoadNetwork) -> None:
    assert net.search_places("総合病院")[0].key == "stop:tomioka/総合病院"
    assert net.place("そうごうびょういん").key == "stop:tomioka/総合病院"  # kana
    assert net.place("sougoubyouin").key == "stop:tomioka/総合病院"  # Hepburn with long vowels
    assert net.place("sogobyoin").key == "stop:tomioka/総合病院"  # as signs write it
    assert "stop:tomioka/富岡駅" in [p.key for p in net.search_places("tomioka eki")]
    hits = [p.key for p in net.search_places("しもにたえき")]
    assert {"stop:shimonita/下仁田駅", "stop:nanmoku/下仁田駅"} <= set(hits[:2])  # both services' poles
    # the places that were there before keep their answers
    assert net.place("下仁田").key == "st:Shimonita"
    assert net.search_places("ohinata")[0].key == "oz:南牧村/大日向"


def test_plain_romaji_drops_long_vowels() -> None:
    assert plain_romaji("tomioka shougakkou") == "tomioka shogakko"
    assert plain_romaji("oomori") == "omori"


def test_nearest_stops_within_a_walking_limit(net: RoadNetwork) -> None:
    pole = net.place("stop:tomioka/富岡駅")
    hits = net.nearest_stops(pole.lat, pole.lon, 500, feeds=["tomioka"])
    assert hits[0][0].key == pole.key and hits[0][1] == pytest.approx(0.0)
    assert all(w <= 500 for _, w in hits) and [w for _, w in hits] == sorted(w for _, w in hits)
    assert all(s.feed == "tomioka" for s, _ in hits)
    nanmoku_office = net.place("nanmoku_village_office")
    assert net.nearest_stops(nanmoku_office.lat, nanmoku_office.lon, 800, feeds=["tomioka"]) == []
    assert net.nearest_stops(nanmoku_office.lat, nanmoku_office.lon, 800, feeds=["nanmoku"])


def test_readings_are_reproducible_from_the_dictionary() -> None:
    pytest.importorskip("pykakasi", reason="pykakasi (dev extra) derives the readings")
    from routing.stop_readings import readings_csv

    committed = (DEFAULT_DATA_DIR / "stop_readings.csv").read_text(encoding="utf-8")
    assert readings_csv(DEFAULT_DATA_DIR) == committed


def test_stops_file_is_the_shared_copy_with_all_rows() -> None:
    with (DEFAULT_DATA_DIR / "stops.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 290 and set(rows[0]) == {"feed", "service", "stop_name", "lat", "lon"}


def test_a_data_dir_without_stops_has_none(facts_dir: Path) -> None:
    (facts_dir / "stops.csv").unlink()
    facts = load_facts(facts_dir)
    assert facts.stops == () and len(facts.all_places) == len(facts.places)


def test_a_bad_stop_row_is_a_routing_error(facts_dir: Path) -> None:
    with (facts_dir / "stops.csv").open("a", encoding="utf-8") as fh:
        fh.write('tomioka,"x",broken,north,east\n')
    with pytest.raises(RoutingError, match=r"stops.csv:292: bad stop row"):
        load_facts(facts_dir)


def test_readings_are_optional(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_DATA_DIR / "stops.csv", tmp_path / "stops.csv")
    poles = read_stop_poles(tmp_path)
    assert len(poles) == 290 and all(p.kana == "" and p.romaji == "" for p in poles)

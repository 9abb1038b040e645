"""The facts skeleton: reproducible from its inputs, lengths = straight line x circuity, all two-way,
speeds from the fitted speed model, the expressway with its interchanges, every bus stop pole joined."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import pytest

from routing.facts import DEFAULT_DATA_DIR, load_facts
from routing.geo import SERVICE_BOX, haversine_m
from routing.skeleton import LOCAL_CIRCUITY, SKELETON_FILE, write_skeleton
from routing.skeleton_inputs import load_added_roads, load_stop_poles
from routing.speed_model import FITTED

COMMITTED = DEFAULT_DATA_DIR / SKELETON_FILE


@pytest.fixture(scope="module")
def osm() -> ET.Element:
    return ET.parse(COMMITTED).getroot()


def _ways(osm: ET.Element) -> list[tuple[dict[str, str], list[int]]]:
    return [
        ({t.get("k"): t.get("v") for t in w.iter("tag")}, [int(nd.get("ref")) for nd in w.iter("nd")])
        for w in osm.iter("way")
    ]


def test_committed_skeleton_is_reproducible_from_the_facts(tmp_path: Path) -> None:
    out = write_skeleton(DEFAULT_DATA_DIR, tmp_path / "again.osm")
    assert out.read_bytes() == COMMITTED.read_bytes(), "run `python -m routing build-skeleton` and commit"


def test_corridor_ways_are_tagged_and_long_by_circuity(osm: ET.Element) -> None:
    facts = load_facts(DEFAULT_DATA_DIR)
    nodes = {int(n.get("id")): (float(n.get("lat")), float(n.get("lon"))) for n in osm.iter("node")}
    place_of = {
        int(n.get("id")): t.get("v") for n in osm.iter("node") for t in n.iter("tag") if t.get("k") == "skeleton:place"
    }
    corridors = {c.name: c for c in facts.corridors}
    pieces: dict[str, list[int]] = {}
    for tags, refs in _ways(osm):
        assert tags["source"] == "facts-skeleton" and "oneway" not in tags
        assert max(haversine_m(*nodes[a], *nodes[b]) for a, b in pairwise(refs)) < 400.0
        c = corridors.get(tags["name"])
        if c is None:
            continue
        assert tags["highway"] == c.road_class
        # a corridor is split where its modelled speed changes (town centres): the runs join up
        mid = [(nodes[a][0] + nodes[b][0]) / 2 for a, b in pairwise(refs)], [
            (nodes[a][1] + nodes[b][1]) / 2 for a, b in pairwise(refs)]
        want = {FITTED.piece_kph(c.road_class, c.typical_kmh, la, lo) for la, lo in zip(*mid, strict=True)}
        assert want == {float(tags["maxspeed"])}
        run = pieces.setdefault(c.name, [])
        assert not run or run[-1] == refs[0]
        run.extend(refs if not run else refs[1:])
    assert set(pieces) == set(corridors)
    for name, refs in pieces.items():
        c = corridors[name]
        stops = [r for r in refs if r in place_of]
        assert [place_of[r] for r in stops] == list(c.sequence)
        straight = sum(haversine_m(*nodes[a], *nodes[b]) for a, b in pairwise(stops))
        length = sum(haversine_m(*nodes[a], *nodes[b]) for a, b in pairwise(refs))
        assert length == pytest.approx(straight * c.circuity, rel=1e-4)


def test_local_ways_join_places_and_every_stop_pole(osm: ET.Element) -> None:
    poles = load_stop_poles(DEFAULT_DATA_DIR)
    stop_nodes = {int(n.get("id")) for n in osm.iter("node") for t in n.iter("tag")
                  if t.get("k") == "highway" and t.get("v") == "bus_stop"}
    assert len(stop_nodes) == len(poles) > 250
    local_ends = set()
    for tags, refs in _ways(osm):
        if tags["name"].endswith("access road"):
            assert tags["highway"] == "unclassified"
            assert float(tags["maxspeed"]) in {FITTED.local_kph, round(FITTED.local_kph * FITTED.urban_factor, 1)}
            local_ends.add(refs[-1])
    assert stop_nodes <= local_ends


def test_expressway_and_interchanges(osm: ET.Element) -> None:
    roads = load_added_roads(DEFAULT_DATA_DIR)
    junctions = {t.get("v") for n in osm.iter("node") for t in n.iter("tag") if t.get("k") == "name"
                 and any(tt.get("v") == "motorway_junction" for tt in n.iter("tag"))}
    assert {"藤岡JCT", "吉井IC", "甘楽スマートIC", "富岡IC", "下仁田IC", "松井田妙義IC", "碓氷軽井沢IC"} <= junctions
    mainline = [(tags, refs) for tags, refs in _ways(osm) if tags["highway"] == "motorway"]
    assert mainline and all(tags["ref"] == "E18" and 80 <= float(tags["maxspeed"]) <= 100 for tags, _ in mainline)
    links = {tags["name"] for tags, _ in _ways(osm) if tags["highway"] == "motorway_link"}
    assert links == {r.name for r in roads if r.highway == "motorway_link"}


def test_every_place_is_a_node_inside_the_box(osm: ET.Element) -> None:
    facts = load_facts(DEFAULT_DATA_DIR)
    keys = {t.get("v") for t in osm.iter("tag") if t.get("k") == "skeleton:place"}
    assert keys == {p.key for p in facts.places}
    for n in osm.iter("node"):
        assert SERVICE_BOX.contains(float(n.get("lat")), float(n.get("lon")))


def test_local_circuity_is_kept(osm: ET.Element) -> None:
    nodes = {int(n.get("id")): (float(n.get("lat")), float(n.get("lon"))) for n in osm.iter("node")}
    by_way: dict[int, list[int]] = {}  # a local way split into runs keeps id // 10
    for w in osm.iter("way"):
        tags = {t.get("k"): t.get("v") for t in w.iter("tag")}
        if tags["name"].endswith("access road"):
            run = by_way.setdefault(int(w.get("id")) // 10, [])
            refs = [int(nd.get("ref")) for nd in w.iter("nd")]
            run.extend(refs if not run else refs[1:])
    assert by_way
    for refs in by_way.values():
        straight = haversine_m(*nodes[refs[0]], *nodes[refs[-1]])
        length = sum(haversine_m(*nodes[a], *nodes[b]) for a, b in pairwise(refs))
        if straight > 5.0:
            assert length == pytest.approx(straight * LOCAL_CIRCUITY, rel=1e-3)


def test_bad_added_road_is_a_clear_error(facts_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from routing.cli import main

    (facts_dir / "skeleton_roads.csv").write_text(
        'road,highway,ref,maxspeed,circuity,sequence\nX,primary,,40,1.1,"@36.2,north 下仁田IC; oz:下仁田町/本宿"\n',
        encoding="utf-8",
    )
    assert main(["--data-dir", str(facts_dir), "build-skeleton"]) == 2
    assert "skeleton_roads.csv line 2: bad point" in capsys.readouterr().err


def test_expressway_speeds_are_not_scaled_and_towns_are_slower() -> None:
    assert FITTED.piece_kph("motorway", 90.0, 36.2604, 138.8918) == 90.0
    town = FITTED.piece_kph("primary", 45.0, 36.2604, 138.8918)
    country = FITTED.piece_kph("primary", 45.0, 36.23, 138.8)
    assert town == pytest.approx(country * FITTED.urban_factor, abs=0.1)  # rounded to 0.1 km/h
    assert FITTED.piece_kph("unclassified", None, 36.23, 138.8) == FITTED.local_kph

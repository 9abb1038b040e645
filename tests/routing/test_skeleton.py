"""The facts skeleton: reproducible from the facts, lengths = straight line x circuity, all two-way."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import pytest

from routing.facts import DEFAULT_DATA_DIR, load_facts
from routing.geo import SERVICE_BOX, haversine_m
from routing.skeleton import LOCAL_CIRCUITY, SKELETON_FILE, write_skeleton

COMMITTED = DEFAULT_DATA_DIR / SKELETON_FILE


@pytest.fixture(scope="module")
def osm() -> ET.Element:
    return ET.parse(COMMITTED).getroot()


def test_committed_skeleton_is_reproducible_from_the_facts(tmp_path: Path) -> None:
    out = write_skeleton(DEFAULT_DATA_DIR, tmp_path / "again.osm")
    assert out.read_bytes() == COMMITTED.read_bytes(), "run `python -m routing build-skeleton` and commit"


def test_ways_are_tagged_and_long_by_circuity(osm: ET.Element) -> None:
    facts = load_facts(DEFAULT_DATA_DIR)
    nodes = {int(n.get("id")): (float(n.get("lat")), float(n.get("lon"))) for n in osm.iter("node")}
    place_of = {
        int(n.get("id")): t.get("v") for n in osm.iter("node") for t in n.iter("tag") if t.get("k") == "skeleton:place"
    }
    corridors = {c.name: c for c in facts.corridors}
    seen = set()
    for way in osm.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        refs = [int(nd.get("ref")) for nd in way.iter("nd")]
        assert tags["source"] == "facts-skeleton"
        assert "oneway" not in tags
        c = corridors.get(tags["name"])
        if c is None:  # a local access way from a road node to a station or landmark
            assert tags["highway"] == "unclassified" and "maxspeed" not in tags
            assert refs[-1] in place_of
            circuity, stops = LOCAL_CIRCUITY, [refs[0], refs[-1]]
        else:
            seen.add(c.name)
            assert tags["highway"] == c.road_class
            assert float(tags["maxspeed"]) == c.typical_kmh
            assert [place_of[r] for r in refs if r in place_of] == list(c.sequence)
            circuity, stops = c.circuity, [r for r in refs if r in place_of]
        straight = sum(haversine_m(*nodes[a], *nodes[b]) for a, b in pairwise(stops))
        length = sum(haversine_m(*nodes[a], *nodes[b]) for a, b in pairwise(refs))
        assert length == pytest.approx(straight * circuity, rel=1e-4)
        spacing = [haversine_m(*nodes[a], *nodes[b]) for a, b in pairwise(refs)]
        assert max(spacing) < 400.0
    assert seen == set(corridors)


def test_every_place_is_a_node_inside_the_box(osm: ET.Element) -> None:
    facts = load_facts(DEFAULT_DATA_DIR)
    keys = {t.get("v") for t in osm.iter("tag") if t.get("k") == "skeleton:place"}
    assert keys == {p.key for p in facts.places}
    for n in osm.iter("node"):
        assert SERVICE_BOX.contains(float(n.get("lat")), float(n.get("lon")))

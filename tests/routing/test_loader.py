"""Reading OSM files: a hand-written extract through osmnx, .osm.pbf, source preference, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from routing import RoadNetwork, RoutingError
from routing.build import EXTRACT_GRAPHML, SOURCE_EXTRACT, SOURCE_SKELETON, build_extract, load_graph
from routing.facts import DEFAULT_DATA_DIR
from routing.skeleton import SKELETON_FILE
from routing.speeds import JP_DEFAULT_KPH, JUNCTION_DELAY_S, parse_maxspeed


def _edge(G, u: int, v: int) -> dict:
    return min(G[u][v].values(), key=lambda d: d["travel_time"])


def test_fixture_extract_speeds_oneway_and_filter(mini_osm: Path, tmp_path: Path) -> None:
    build_extract(mini_osm, tmp_path, simplify=False)
    loaded = load_graph(tmp_path)
    G = loaded.graph
    assert loaded.source == SOURCE_EXTRACT
    # footway, service driveway, private road, building and the way outside the box are gone
    assert set(G.nodes) == {1, 2, 3, 4, 5}
    assert G.has_edge(3, 4) and not G.has_edge(4, 3)  # oneway=yes
    assert G.has_edge(1, 2) and G.has_edge(2, 1)  # two-way
    assert _edge(G, 1, 2)["speed_kph"] == 50.0  # maxspeed=50
    assert _edge(G, 3, 4)["speed_kph"] == JP_DEFAULT_KPH["tertiary"]  # no maxspeed
    assert _edge(G, 4, 5)["speed_kph"] == JP_DEFAULT_KPH["residential"]  # no maxspeed
    assert _edge(G, 5, 1)["speed_kph"] == pytest.approx(30 * 1.609344)  # "30 mph"
    for u, v in G.edges():
        e = _edge(G, u, v)
        assert e["travel_time"] == pytest.approx(e["length"] / (e["speed_kph"] / 3.6) + e["junction_delay_s"])
    assert _edge(G, 1, 2)["length"] == pytest.approx(448.6, abs=1.0)  # 0.005 deg of lon at 36.25 N


def test_fixture_extract_simplified_keeps_travel_times(mini_osm: Path, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    G = load_graph(build_extract(mini_osm, tmp_path).parent).graph
    full = load_graph(build_extract(mini_osm, tmp_path / "full", simplify=False).parent).graph
    assert set(G.nodes) == {3, 4}  # the junctions of the one-way street; the rest is merged
    around = sum(_edge(full, u, v)["travel_time"] for u, v in [(4, 5), (5, 1), (1, 2), (2, 3)])
    assert _edge(G, 4, 3)["travel_time"] == pytest.approx(around)
    assert _edge(G, 3, 4)["travel_time"] == pytest.approx(_edge(full, 3, 4)["travel_time"])


def test_fixture_extract_as_pbf_gives_the_same_graph(mini_osm: Path, tmp_path: Path) -> None:
    osmium = pytest.importorskip("osmium")
    pbf = tmp_path / "mini.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(mini_osm)):
            writer.add(obj)
    xml_dir, pbf_dir = tmp_path / "xml", tmp_path / "pbf"
    xml_dir.mkdir()
    pbf_dir.mkdir()
    Gx = load_graph(build_extract(mini_osm, xml_dir).parent).graph
    Gp = load_graph(build_extract(pbf, pbf_dir).parent).graph
    assert sorted(Gx.edges()) == sorted(Gp.edges())
    for u, v in Gx.edges():
        assert _edge(Gx, u, v)["travel_time"] == pytest.approx(_edge(Gp, u, v)["travel_time"])


def test_real_extract_is_preferred_over_the_skeleton(mini_osm: Path, facts_dir: Path) -> None:
    shutil.copy(DEFAULT_DATA_DIR / SKELETON_FILE, facts_dir / SKELETON_FILE)
    assert load_graph(facts_dir).source == SOURCE_SKELETON
    shutil.copy(mini_osm, facts_dir / "region.osm")  # a raw extract dropped in is built on load
    loaded = load_graph(facts_dir)
    assert loaded.source == SOURCE_EXTRACT
    assert (facts_dir / EXTRACT_GRAPHML).is_file()
    net = RoadNetwork.load(facts_dir)
    assert net.source == "osm-extract" and set(net.graph.nodes) == {3, 4}
    assert net.place("st:Joshu-Tomioka").node in {3, 4}  # places snap onto whatever graph is loaded


def test_skeleton_is_read_through_the_same_loader(net: RoadNetwork) -> None:
    assert net.source == "facts-skeleton"
    assert net.source_path.name == SKELETON_FILE
    delays = {d["junction_delay_s"] for _, _, d in net.graph.edges(data=True)}
    assert delays == {0.0, JUNCTION_DELAY_S}


@pytest.mark.parametrize(
    ("text", "kph"),
    [("40", 40.0), ("40;60", 50.0), ("25 mph", 40.2336), ("none", None), ("JP:urban", None), (None, None)],
)
def test_parse_maxspeed(text: str | None, kph: float | None) -> None:
    assert parse_maxspeed(text) == (pytest.approx(kph) if kph is not None else None)


def test_bad_osm_inputs_raise_routing_error(tmp_path: Path) -> None:
    with pytest.raises(RoutingError, match="does not exist"):
        build_extract(tmp_path / "missing.osm", tmp_path)
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id='1'", encoding="utf-8")
    with pytest.raises(RoutingError, match="not valid OSM XML"):
        build_extract(bad, tmp_path)
    empty = tmp_path / "empty.osm"
    empty.write_text("<osm version='0.6'></osm>", encoding="utf-8")
    with pytest.raises(RoutingError, match="no drivable"):
        build_extract(empty, tmp_path)
    with pytest.raises(RoutingError, match="expected an OSM file"):
        build_extract(Path(__file__), tmp_path)
    with pytest.raises(RoutingError, match="no road network"):
        load_graph(tmp_path / "nothing_here" if (tmp_path / "nothing_here").mkdir() is None else tmp_path)


def test_download_failure_is_a_routing_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import osmnx as ox

    from routing.build import build_download

    def offline(*args: object, **kwargs: object) -> None:
        raise ConnectionError("no network")

    monkeypatch.setattr(ox, "graph_from_bbox", offline)
    with pytest.raises(RoutingError, match="Overpass download failed"):
        build_download(tmp_path)

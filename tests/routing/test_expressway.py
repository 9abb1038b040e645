"""The 上信越自動車道 in the skeleton: used between Tomioka and Shimonita where it is faster, not for a short hop."""

from __future__ import annotations

from itertools import pairwise

import pytest

from routing import RoadNetwork


def _classes(net: RoadNetwork, a: int, b: int) -> set[str]:
    nodes = net.path(a, b).nodes
    fastest = (min(net.graph[u][v].values(), key=lambda e: e["travel_time"]) for u, v in pairwise(nodes))
    return {e["highway"] for e in fastest}


@pytest.fixture(scope="module")
def no_motorway(net: RoadNetwork) -> RoadNetwork:
    g = net.graph.copy()
    g.remove_edges_from(
        [(u, v, k) for u, v, k, d in g.edges(keys=True, data=True) if d["highway"].startswith("motorway")]
    )
    return RoadNetwork(g, "test-without-motorway", facts=net.facts)


@pytest.mark.parametrize(
    ("a", "b"), [("st:Joshu-Tomioka", "st:Shimonita"), ("shimonita_town_office", "tomioka_city_hall")]
)
def test_tomioka_shimonita_takes_the_motorway_when_faster(
    net: RoadNetwork, no_motorway: RoadNetwork, a: str, b: str
) -> None:
    na, nb = net.place(a).node, net.place(b).node
    assert {"motorway", "motorway_link"} <= _classes(net, na, nb)
    with_mw, without = net.travel_time(na, nb), no_motorway.travel_time(na, nb)
    assert with_mw < without - 60  # the expressway saves more than a minute over R254
    assert 15 * 60 <= with_mw <= 30 * 60


@pytest.mark.parametrize(("a", "b"), [("st:Joshu-Tomioka", "st:Joshu-Ichinomiya"), ("st:Nanjai", "st:Shimonita")])
def test_short_hop_stays_off_the_motorway(net: RoadNetwork, no_motorway: RoadNetwork, a: str, b: str) -> None:
    na, nb = net.place(a).node, net.place(b).node
    assert not any(c.startswith("motorway") for c in _classes(net, na, nb))
    assert net.travel_time(na, nb) == pytest.approx(no_motorway.travel_time(na, nb))


def test_nobody_is_snapped_onto_the_expressway(net: RoadNetwork) -> None:
    on_mainline = next(
        (net.graph.nodes[v]["y"], net.graph.nodes[v]["x"])
        for u, v, d in net.graph.edges(data=True)
        if d["highway"] == "motorway" and all(e["highway"] == "motorway" for _, _, e in net.graph.edges(v, data=True))
    )
    node = net.snap(*on_mainline).node
    assert any(not str(d["highway"]).startswith("motorway") for _, _, d in net.graph.edges(node, data=True))

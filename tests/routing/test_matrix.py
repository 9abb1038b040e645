"""MatrixEngine on synthetic grids: the row-cache path, both Dijkstra directions, against networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing import RoadNetwork, RoutingError
from routing.matrix import MatrixEngine
from routing.synthetic import grid_graph, grid_network


@pytest.fixture(scope="module")
def grid() -> RoadNetwork:
    G = grid_graph(400, seed=3)
    G.remove_edge(0, 1)  # a one-way street makes the two directions differ
    return RoadNetwork(G, source="synthetic", all_pairs_max_nodes=0)


def _fastest(G: nx.MultiDiGraph, u: int, v: int) -> dict:
    return min(G[u][v].values(), key=lambda e: e["travel_time"])


def _reference(G: nx.MultiDiGraph, a: int, b: int) -> tuple[float, float]:
    nodes = nx.shortest_path(G, a, b, weight="travel_time")
    edges = [_fastest(G, u, v) for u, v in zip(nodes, nodes[1:], strict=False)]
    return sum(e["travel_time"] for e in edges), sum(e["length"] for e in edges)


@pytest.mark.parametrize(("n_o", "n_d"), [(3, 8), (8, 3)])  # forward rows, then reversed-graph rows
def test_row_path_matches_networkx(grid: RoadNetwork, n_o: int, n_d: int) -> None:
    rng = np.random.default_rng(n_o)
    origins = [0, *rng.choice(grid.node_ids, n_o - 1).tolist()]
    dests = [1, *rng.choice(grid.node_ids, n_d - 1).tolist()]
    seconds, metres = grid.matrices(origins, dests)
    for i, a in enumerate(origins):
        for j, b in enumerate(dests):
            t, d = _reference(grid.graph, a, b)
            assert seconds[i, j] == pytest.approx(t, rel=1e-5)
            assert metres[i, j] == pytest.approx(d, rel=1e-5)


def test_all_pairs_table_equals_rows(grid: RoadNetwork) -> None:
    table = RoadNetwork(grid.graph, source="synthetic")
    assert table.engine.all_pairs and not grid.engine.all_pairs
    nodes = grid.node_ids[::37].tolist()
    for got, want in zip(table.matrices(nodes, nodes), grid.matrices(nodes, nodes), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_duplicates_empty_and_unreachable() -> None:
    G = nx.MultiDiGraph()
    for n, x in enumerate([138.8, 138.81, 138.82]):
        G.add_node(n, x=x, y=36.25)
    G.add_edge(0, 1, length=100.0, travel_time=10.0)
    G.add_edge(0, 1, length=50.0, travel_time=20.0)  # slower parallel edge is ignored
    G.add_edge(1, 0, length=100.0, travel_time=10.0)
    G.add_edge(1, 2, length=100.0, travel_time=10.0)
    eng = MatrixEngine(np.array([0, 1, 2]), *_arrays(G), all_pairs_max_nodes=0)
    seconds, metres = eng.matrices([0, 0, 2], [2, 1])
    assert seconds.tolist() == [[20.0, 10.0], [20.0, 10.0], [0.0, np.inf]]
    assert metres.tolist() == [[200.0, 100.0], [200.0, 100.0], [0.0, np.inf]]
    assert eng.matrices([], [1])[0].shape == (0, 1)
    with pytest.raises(RoutingError, match="cannot be reached"):
        eng.path_indices(2, 0)


def _arrays(G: nx.MultiDiGraph) -> tuple[np.ndarray, ...]:
    rows = [(u, v, d["travel_time"], d["length"]) for u, v, d in G.edges(data=True)]
    u, v, t, length = (np.array(c) for c in zip(*rows, strict=True))
    return u, v, t, length


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=399), st.integers(min_value=0, max_value=399))
def test_scalar_queries_agree_with_paths(a: int, b: int) -> None:
    net = _small_grid()
    p = net.path(a, b)
    assert p.travel_time_s == pytest.approx(net.travel_time(a, b), rel=1e-5)
    edges = [_fastest(net.graph, u, v) for u, v in zip(p.nodes, p.nodes[1:], strict=False)]
    assert sum(e["length"] for e in edges) == pytest.approx(net.distance(a, b), rel=1e-5)


_GRID: list[RoadNetwork] = []


def _small_grid() -> RoadNetwork:
    if not _GRID:
        _GRID.append(grid_network(400, seed=5))
    return _GRID[0]


def test_grid_network_fits_the_box_and_snaps() -> None:
    net = grid_network(2500)
    assert net.graph.number_of_nodes() == 2500 and nx.is_strongly_connected(net.graph)
    lat, lon = net.node_latlon(int(net.node_ids[-1]))
    assert net.snap(lat, lon).node == int(net.node_ids[-1])
    with pytest.raises(ValueError):
        grid_network(2)


def test_concurrent_queries_agree(grid: RoadNetwork) -> None:
    from concurrent.futures import ThreadPoolExecutor

    nodes = grid.node_ids[::11].tolist()
    want = RoadNetwork(grid.graph, source="synthetic", all_pairs_max_nodes=0).travel_time_matrix(nodes, nodes)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: grid.travel_time_matrix(nodes, nodes), range(8)))
    for got in results:
        np.testing.assert_array_equal(got, want)

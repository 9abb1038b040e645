import numpy as np
import pytest

from dispatch.costs import MatrixCosts, TravelCache, TravelCosts


class CountingCosts:
    """A non-matrix cost source over arbitrary node ids, counting matrix calls."""

    def __init__(self) -> None:
        self.calls = 0

    def matrices(self, origins, destinations):
        self.calls += 1
        o = np.asarray(origins, dtype=float)[:, None]
        d = np.asarray(destinations, dtype=float)[None, :]
        return np.abs(o - d) * 2.0, np.abs(o - d) * 10.0

    def travel_time(self, a, b):
        return abs(a - b) * 2.0

    def distance(self, a, b):
        return abs(a - b) * 10.0


def test_matrix_costs_rejects_bad_shapes_and_negative_values():
    with pytest.raises(ValueError, match="square"):
        MatrixCosts(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="negative"):
        MatrixCosts(-np.ones((2, 2)), np.zeros((2, 2)))


def test_from_points_uses_circuity_and_speed():
    costs = MatrixCosts.from_points([(0, 0), (3000, 4000)], speed_kmh=36.0, circuity=1.2)
    assert costs.distance(0, 1) == pytest.approx(6000.0)
    assert costs.travel_time(0, 1) == pytest.approx(600.0)  # 6 km at 10 m/s
    s, m = costs.matrices([1, 0], [0])
    assert s.shape == (2, 1) and s[0, 0] == pytest.approx(600.0) and m[1, 0] == 0.0
    assert isinstance(costs, TravelCosts)


def test_cache_grows_with_new_nodes_and_matches_the_source():
    src = CountingCosts()
    cache = TravelCache(src)
    cache.add([1000, 1007, 1003])
    first_calls = src.calls
    cache.add([1003, 1000])  # all known: no call
    assert src.calls == first_calls
    for _ in range(70):  # past the initial capacity: arrays are regrown and copied
        cache.index(2000 + _)
    nodes = [1000, 1007, 1003, 2000, 2069]
    idx = [cache.index(n) for n in nodes]
    for a, ia in zip(nodes, idx, strict=True):
        for b, ib in zip(nodes, idx, strict=True):
            assert cache.seconds[ia, ib] == src.travel_time(a, b)
            assert cache.metres[ia, ib] == src.distance(a, b)


def test_cache_over_matrix_costs_uses_the_matrix_itself():
    costs = MatrixCosts.from_points([(0, 0), (100, 0), (200, 0)])
    cache = TravelCache(costs)
    assert cache.index(2) == 2
    assert cache.seconds is costs.seconds
    with pytest.raises(KeyError, match="node 7"):
        cache.index(7)

"""Insertion search: every offered plan validates, and the numpy pruning misses nothing brute force finds."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.model import Offer, TimeKind
from dispatch.online.insertion import InsertionParams, best_insertion, exact
from dispatch.problem import VisitKind
from tests.dispatch.dispatch_helpers import H, M, booking, cloud_costs, dispatcher, vehicle

COSTS = cloud_costs(40, size_m=10_000, seed=3)

def _trips(first: int, last: int) -> st.SearchStrategy:
    return st.tuples(
        st.integers(1, 39),  # pickup node
        st.integers(1, 39),  # drop-off node
        st.integers(first, last),  # requested time
        st.integers(1, 3),  # seats
        st.integers(0, 1),  # wheelchairs
        st.booleans(),  # arrive by
    )


trip = _trips(8 * H + 30 * M, 16 * H)
busy_hour = _trips(9 * H, 10 * H)  # dense: plans overlap and riders share


def _fleet():
    return [
        vehicle("a", depot=0, seats=3, wheelchairs=1),
        vehicle("b", depot=5, seats=4),
        vehicle("c", depot=9, seats=3),
    ]


def _drive(plan) -> float:
    return plan.drive_s


def _brute_force(d, b, now):
    """Cheapest added drive time over every vehicle and gap pair, by exact scheduling alone."""
    windows = d._placement.windows(b)
    if windows.empty:
        return None
    request = d._placement.request_for(b, windows)
    best = None
    for vs in d._fleet.eligible(b):
        before = d.plan(vs.id).drive_s
        k = len(vs.sequence)
        for i in range(vs.locked, k + 1):
            for j in range(i, k + 1):
                found = exact(vs, d._fleet.cache, request, i, j, now)
                if found is None:
                    continue
                seq, _ = found
                added = _sequence_drive(d, vs, seq, request) - before
                if best is None or added < best - 1e-9:
                    best = added
    return best


def _sequence_drive(d, vs, seq, request) -> float:
    cache = d._fleet.cache
    t = cache.seconds
    here = cache.index(vs.position.node)
    total = 0.0
    for rid, kind in seq:
        r = request if rid == request.id else vs.requests[rid]
        there = r.pickup if kind == VisitKind.PICKUP else r.dropoff
        total += float(t[here, there])
        here = there
    return total + float(t[here, cache.index(vs.shift.return_depot.node)])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(trip, busy_hour), min_size=1, max_size=18))
def test_every_offered_plan_validates(trips):
    d = dispatcher(COSTS, _fleet())
    offered = 0
    for n, (p, q, t, seats, chairs, by) in enumerate(trips):
        if p == q:
            continue
        kind = TimeKind.ARRIVE_BY if by else TimeKind.DEPART_AFTER
        answer = d.request(booking(f"b{n}", p, q, t, seats=seats, wheelchairs=chairs, kind=kind), now=7 * H)
        if isinstance(answer, Offer):
            offered += 1
            lo, hi = answer.pickup_window
            assert lo <= answer.expected_pickup <= hi
            assert hi - lo <= d.rules.max_wait_s
            if n % 3:
                d.confirm(f"b{n}", now=7 * H)
        assert d.check() == []
    assert sum(len(p.stops) for p in d.plans().values()) == 2 * offered


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(busy_hour, min_size=2, max_size=16))
def test_pruned_search_finds_what_brute_force_finds(trips):
    d = dispatcher(COSTS, _fleet(), insertion=InsertionParams(delay_weight=0.0, max_exact_checks=10_000))
    *earlier, (p, q, t, seats, chairs, by) = trips
    for n, (a, b, at, s, c, by) in enumerate(earlier):
        if a != b:
            kind = TimeKind.ARRIVE_BY if by else TimeKind.DEPART_AFTER
            d.request(booking(f"e{n}", a, b, at, seats=s, wheelchairs=c, kind=kind), now=7 * H)
    if p == q:
        return
    kind = TimeKind.ARRIVE_BY if by else TimeKind.DEPART_AFTER
    new = booking("new", p, q, t, seats=seats, wheelchairs=chairs, kind=kind)
    brute = _brute_force(d, new, 7 * H)
    windows = d._placement.windows(new)
    found = None
    if not windows.empty:
        request = d._placement.request_for(new, windows)
        found = best_insertion(d._fleet.eligible(new), d._fleet.cache, request, 7 * H, d._fleet.insertion)
    assert (found is None) == (brute is None)
    if found is not None:
        assert found.cost == np.float64(found.cost)
        assert found.cost <= brute + 1e-6


def test_cheapest_vehicle_wins():
    d = dispatcher(vehicles=[vehicle("west", depot=0), vehicle("east", depot=20)])
    assert d.request(booking("a", 17, 19, 10 * H), now=8 * H).vehicle_id == "east"
    assert d.request(booking("b", 1, 3, 10 * H), now=8 * H).vehicle_id == "west"

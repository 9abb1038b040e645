"""The compiled kernels of the ruin-and-recreate search against its plain-Python statement.

On random small problems (two capacity dimensions, ride limits, a rider on board, a locked stop, a
vehicle-restricted request, optional requests), the compiled route timing, insertion query and
exact scheduler must give exactly what :mod:`dispatch.solver.rr.reference` and
:func:`dispatch.solver.rr.route.earliest_starts` give: same feasibility, same costs and times.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dispatch.solver import SolveParams
from dispatch.solver.rr import kernels
from dispatch.solver.rr.flat import flatten
from dispatch.solver.rr.plan import Plan
from dispatch.solver.rr.reference import Placement, ReferencePlan
from dispatch.solver.rr.route import earliest_starts, route_arrays, route_distance
from dispatch.validator import TOLERANCE
from tests.dispatch.test_solver_rr import dispatch_like


def problems():
    for seed in range(6):
        problem = dispatch_like(seed, n_requests=12)
        yield problem
        if seed % 2 == 0:  # the same without ride limits: the estimate is then exact, no scheduler
            yield replace(problem, requests=[replace(r, max_ride=None) for r in problem.requests])


def greedy_reference(flat, rng: np.random.Generator) -> ReferencePlan:
    """A partial plan built with the reference rules (random order, some requests left out)."""
    codes = [list(c) for c in flat.v_locked]
    for k in range(flat.n_vehicles):
        codes[k] += [2 * r + 1 for r in flat.v_onboard[k] if 2 * r + 1 not in codes[k]]
    plan = ReferencePlan(flat, codes)
    for r in rng.permutation(flat.n_requests).tolist():
        if r in plan.route_of or rng.random() < 0.3:
            continue
        place = plan.best_placement(r, rng, 0.0, 10_000)
        if place is not None:
            plan.insert(r, place)
    return plan


def test_tolerance_is_the_validators():
    assert kernels.TOLERANCE == TOLERANCE


@pytest.mark.parametrize("index", range(9))
def test_route_timing_and_every_insertion_agree_exactly_with_the_reference(index):
    problem = list(problems())[index]
    flat = flatten(problem, SolveParams())
    rng = np.random.default_rng(index)
    reference = greedy_reference(flat, rng)
    plan = Plan(flat, reference.codes)
    compared = 0
    for k, seq in enumerate(reference.codes):
        a, n = route_arrays(flat, k, seq), len(seq)
        assert plan.route(k) == seq
        assert np.array_equal(plan.start[k, :n], a.start_next[:n])
        assert np.array_equal(plan.dep[k, :n], a.dep_prev[1:])
        assert np.array_equal(plan.wc[k, :n], a.waits_cum[:n])
        assert np.array_equal(plan.la[k, : n + 1], a.latest_arrival)
        assert np.array_equal(plan.load[k, : n + 1], a.load_before)
        assert plan.dist[k] == pytest.approx(route_distance(flat, k, seq), rel=1e-12, abs=1e-12)
    for r in sorted(reference.unassigned):
        if flat.pinned[r]:
            continue
        want = reference.best_placement(r, rng, 0.0, 10_000)
        cost, k, i, j = plan.best_insertion(r, 10_000)
        if want is None:
            assert cost == np.inf
            continue
        compared += 1
        assert cost == want.cost  # exactly: the same operations in the same order
        seq = plan.route(k)
        trial = seq[:i] + [2 * r] + seq[i:j] + [2 * r + 1] + seq[j:]
        assert earliest_starts(flat, k, trial) is not None
        # the kernel's choice costs the same in the reference's own terms
        other = reference.copy()
        other.insert(r, Placement(k, i, j, cost))
        assert sum(other.dist) - sum(reference.dist) + (flat.v_fixed[k] if not reference.codes[k] else 0.0) == (
            pytest.approx(cost, abs=1e-9)
        )
    assert compared or not reference.unassigned - {r for r in range(flat.n_requests) if flat.pinned[r]}


@pytest.mark.parametrize("seed", range(4))
def test_exact_scheduler_agrees_with_the_reference_on_random_orders(seed):
    problem = dispatch_like(seed, n_requests=8)
    flat = flatten(problem, SolveParams())
    pb = kernels.problem_arrays(flat)
    rng = np.random.default_rng(seed)
    feasible = infeasible = 0
    begin = np.empty(4 * flat.n_requests + 4)
    for _ in range(300):
        k = int(rng.integers(flat.n_vehicles))
        chosen = rng.choice(flat.n_requests, size=int(rng.integers(1, 5)), replace=False).tolist()
        codes = list(flat.v_locked[k]) + [2 * r + 1 for r in flat.v_onboard[k]]
        for r in chosen:
            if 2 * r in codes or 2 * r + 1 in codes or flat.onboard[r] >= 0:
                continue
            i = int(rng.integers(len(codes) + 1))
            j = int(rng.integers(i, len(codes) + 1))
            codes = codes[:i] + [2 * r] + codes[i:j] + [2 * r + 1] + codes[j:]
        want = earliest_starts(flat, k, codes)
        ok = kernels.earliest(k, np.asarray(codes, dtype=np.int64), len(codes), begin, pb)
        assert ok == (want is not None)
        if ok:
            feasible += 1
            assert begin[: len(codes)].tolist() == want
        else:
            infeasible += 1
    assert feasible and infeasible


def test_removal_and_recreate_keep_rows_equal_to_a_fresh_timing():
    problem = dispatch_like(5, n_requests=14)
    flat = flatten(problem, SolveParams())
    reference = greedy_reference(flat, np.random.default_rng(0))
    plan = Plan(flat, reference.codes)
    movable = [r for r in plan.routed().tolist() if not flat.pinned[r]]
    plan.remove(movable[::2])
    waiting = sorted(r for r in plan.unassigned if not flat.pinned[r])
    inserted = plan.recreate(waiting, 7, 0.0, 1000)
    assert inserted > 0
    fresh = Plan(flat, plan.codes)
    for name in ("start", "dep", "wc", "la", "load", "dist", "size", "route_of"):
        got, want = getattr(plan, name), getattr(fresh, name)
        if name in ("start", "dep", "wc", "la", "load"):
            for k in range(flat.n_vehicles):
                n = int(plan.size[k])
                width = n + 1 if name in ("la", "load") else n
                assert np.array_equal(got[k, :width], want[k, :width]), name
        else:
            assert np.array_equal(got, want), name
    for k, seq in enumerate(plan.codes):
        assert earliest_starts(flat, k, seq) is not None


@pytest.mark.parametrize("seed", range(3))
def test_lateness_of_an_insertion_agrees_with_a_full_timing_on_late_routes(seed):
    """Route minimisation's penalised insertion: the lateness of every insertion from prefix and
    suffix segments equals a fresh timing of the new order, on routes that are already late."""
    problem = dispatch_like(seed, n_requests=12)
    problem = replace(problem, requests=[replace(r, max_ride=None) for r in problem.requests])
    flat = flatten(problem, SolveParams())
    rng = np.random.default_rng(seed)
    codes = [list(flat.v_locked[k]) + [2 * r + 1 for r in flat.v_onboard[k]] for k in range(flat.n_vehicles)]
    out = []
    for r in rng.permutation(flat.n_requests).tolist():
        if flat.pinned[r]:
            continue
        if rng.random() < 0.3:
            out.append(r)
            continue
        k = int(rng.integers(flat.n_vehicles))
        seq = codes[k]
        i = int(rng.integers(len(flat.v_locked[k]), len(seq) + 1))
        j = int(rng.integers(i, len(seq) + 1))
        codes[k] = seq[:i] + [2 * r] + seq[i:j] + [2 * r + 1] + seq[j:]
    plan = Plan(flat, codes)
    assert plan.total_warp() > 0  # random orders: late somewhere
    for k in range(flat.n_vehicles):
        n = int(plan.size[k])
        assert plan.warp[k] == pytest.approx(kernels._route_warp(k, plan.seq[k], n, plan.pb), abs=1e-6)
        trial = np.empty(n + 2, dtype=np.int64)
        for r in out:
            warps = np.empty((n + 1, n + 1))
            own = kernels.insertion_warps(k, n, r, plan.seq, plan.pb, warps)
            assert own == pytest.approx(plan.warp[k], abs=1e-6)
            for i in range(n + 1):
                for j in range(i, n + 1):
                    kernels._with(plan.seq, k, n, r, i, j, trial)
                    assert warps[i, j] == pytest.approx(kernels._route_warp(k, trial, n + 2, plan.pb), abs=1e-6)
    before = plan.route_of.copy()
    assert plan.insert_warped(out, 10.0) == len(out)
    assert (plan.route_of[out] >= 0).all() and (plan.route_of[before >= 0] == before[before >= 0]).all()


def test_warm_up_runs_both_paths_quickly_once_compiled():
    from dispatch.solver.rr import warm_up

    warm_up()  # compiles on a fresh tree
    assert 0.0 < warm_up() < 5.0

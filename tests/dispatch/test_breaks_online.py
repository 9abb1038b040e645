"""Driver breaks in the online dispatcher: offers never break a break, breaks survive snapshots, drivers
report them (or the clock takes them as planned), re-optimisation keeps them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dispatch.errors import InvalidEvent
from dispatch.model import Break, Location, Offer, Shift, StopKind, Vehicle
from dispatch.online.dispatcher import Dispatcher
from dispatch.solver.params import SolveParams
from tests.dispatch.dispatch_helpers import DAY, H, M, booking, cloud_costs, dispatcher, line_costs

LUNCH = Break(12 * H, 13 * H, 45 * M, Location(0, name="depot"))  # at the depot, starting 12:00-13:00
REST = Break(15 * H, 15 * H, 15 * M)  # anywhere, at 15:00 sharp


def _vehicle(vid: str = "v1", depot: int = 0, breaks: tuple[Break, ...] = (LUNCH, REST)) -> Vehicle:
    home = Location(depot, name="depot")
    fixed = tuple(Break(b.earliest, b.latest, b.duration, home if b.location is not None else None) for b in breaks)
    return Vehicle(vid, "10210", seats=4, shifts=(Shift(8 * H, 17 * H, home, breaks=fixed),))


def _breaks_kept(d: Dispatcher) -> None:
    """Every vehicle's plan holds each untaken break once, in its window, full length, nobody on board."""
    assert d.check() == []
    for vid, plan in d.plans().items():
        vs = d._fleet.states[vid]
        pending = {bid for bid, kind in vs.sequence if kind == "break"}
        stops = [s for s in plan.stops if s.kind == StopKind.BREAK]
        assert {s.booking_id for s in stops} == pending
        load = sum(d.booking(r).party_size for r in vs.onboard)
        for stop in plan.stops:
            if stop.kind == StopKind.BREAK:
                brk = vs.shift_breaks[stop.booking_id]
                assert load == 0, f"riders on board during {stop.booking_id}"
                if not vs.break_started() or stop is not plan.stops[0]:
                    assert brk.earliest <= stop.service_start <= brk.latest
                assert stop.departure - stop.service_start >= brk.duration
            else:
                load = stop.seats_after + stop.wheelchairs_after


def test_a_new_vehicle_plans_its_breaks_and_shows_them():
    d = dispatcher(vehicles=[_vehicle()])
    plan = d.plan("v1")
    assert [s.kind for s in plan.stops] == [StopKind.BREAK, StopKind.BREAK]
    lunch, rest = plan.stops
    assert lunch.service_start == 12 * H and lunch.departure == 12 * H + 45 * M and not lunch.anywhere
    assert rest.service_start == 15 * H and rest.anywhere
    assert plan.booking_ids == set()
    _breaks_kept(d)


def test_offers_never_break_a_break_on_random_days():
    """Property-style: random requests into a fleet with breaks; every plan validates and keeps them."""
    costs = cloud_costs(40, seed=3)
    rng = np.random.default_rng(7)
    for trial in range(3):
        d = dispatcher(costs, vehicles=[_vehicle("a", 0), _vehicle("b", 5, breaks=(Break(11 * H, 14 * H, 60 * M),))])
        offered = 0
        for n in range(30):
            p, q = rng.choice(40, size=2, replace=False)
            at = int(rng.integers(9 * H, 16 * H))
            out = d.request(booking(f"t{trial}-{n}", int(p), int(q), at), now=7 * H)
            if isinstance(out, Offer):
                d.confirm(out.booking_id, now=7 * H)
                offered += 1
            _breaks_kept(d)
        assert offered > 5


def test_a_fixed_break_blocks_a_ride_across_it_and_the_offer_goes_around_it():
    d = dispatcher(line_costs(), vehicles=[_vehicle(breaks=(Break(10 * H, 10 * H, 30 * M, Location(0)),))])
    out = d.request(booking("b1", 5, 15, 9 * H + 50 * M), now=7 * H)  # a ride that would span 10:00
    assert not isinstance(out, Offer) and 10 * H + 30 * M in out.alternatives
    assert all(a <= 9 * H + 20 * M or a >= 10 * H + 30 * M for a in out.alternatives)
    out = d.request(booking("b1", 5, 15, 10 * H + 30 * M), now=7 * H)
    assert isinstance(out, Offer)
    plan = d.plan("v1")
    kinds = [(s.kind, s.booking_id) for s in plan.stops]
    assert kinds.index((StopKind.BREAK, "break:v1:1")) < kinds.index((StopKind.PICKUP, "b1"))
    assert out.expected_pickup >= 10 * H + 30 * M  # after the break and the drive out
    _breaks_kept(d)


def test_breaks_survive_a_snapshot_round_trip():
    costs = line_costs()
    d = dispatcher(costs, vehicles=[_vehicle()])
    d.confirm(d.request(booking("b1", 3, 8, 9 * H), now=7 * H).booking_id, now=7 * H)
    snap = json.loads(json.dumps(d.snapshot()))
    back = Dispatcher.restore(snap, costs)
    assert back.vehicles[0].shifts[0].breaks == d.vehicles[0].shifts[0].breaks
    assert [(s.kind, s.booking_id, s.service_start) for s in back.plan("v1").stops] == [
        (s.kind, s.booking_id, s.service_start) for s in d.plan("v1").stops
    ]
    _breaks_kept(back)


def test_driver_reports_a_break_and_the_clock_takes_one_not_reported():
    d = dispatcher(line_costs(), vehicles=[_vehicle()])
    d.start_shift("v1", 8 * H)
    with pytest.raises(InvalidEvent, match="may start from"):
        d.start_break("v1", "break:v1:1", 11 * H)
    d.start_break("v1", "break:v1:1", 12 * H + 5 * M)
    first = d.plan("v1").stops[0]
    assert first.kind == StopKind.BREAK and first.service_start == 12 * H + 5 * M
    assert first.departure == 12 * H + 50 * M
    # a booking asked during the break is planned after it
    out = d.request(booking("b1", 2, 6, 12 * H + 50 * M), now=12 * H + 10 * M)
    assert isinstance(out, Offer) and out.expected_pickup >= 12 * H + 50 * M
    _breaks_kept(d)
    with pytest.raises(InvalidEvent, match="not on break"):
        d.end_break("v1", "break:v1:2", 12 * H + 20 * M)
    d.end_break("v1", "break:v1:1", 12 * H + 50 * M)
    done = d.executed("v1")
    assert done[-1].kind == StopKind.BREAK and (done[-1].service_start, done[-1].departure) == (
        12 * H + 5 * M, 12 * H + 50 * M)
    d.confirm("b1", 12 * H + 50 * M)
    d.board("v1", "b1", 12 * H + 58 * M)
    with pytest.raises(InvalidEvent, match="riders on board"):
        d.start_break("v1", "break:v1:2", 14 * H + 58 * M)
    d.drop_off("v1", "b1", 13 * H + 10 * M)
    # nobody reports the 15:00 break: the clock takes it as planned
    d.update_position("v1", Location(6), 14 * H)
    d.tick(15 * H + 20 * M)
    assert [s.booking_id for s in d.executed("v1") if s.kind == StopKind.BREAK] == ["break:v1:1", "break:v1:2"]
    assert not [s for s in d.plan("v1").stops if s.kind == StopKind.BREAK]


def test_reoptimisation_keeps_breaks_in_place():
    costs = cloud_costs(30, seed=1)
    d = dispatcher(costs, vehicles=[_vehicle("a", 0), _vehicle("b", 7)], solve_params=SolveParams(time_limit_s=2.0))
    rng = np.random.default_rng(2)
    for n in range(16):
        p, q = rng.choice(30, size=2, replace=False)
        out = d.request(booking(f"r{n}", int(p), int(q), int(rng.integers(9 * H, 16 * H))), now=7 * H)
        if isinstance(out, Offer):
            d.confirm(out.booking_id, now=7 * H)
    result = d.reoptimise(7 * H, time_limit_s=2.0)
    # OR-Tools plans the breaks itself: its result validates and is published unless it is no shorter
    assert result.improved or result.reason == "no shorter plan found", result.reason
    assert result.solver.startswith("ortools")
    _breaks_kept(d)


def test_end_of_shift_drops_breaks_not_taken():
    d = dispatcher(line_costs(), vehicles=[_vehicle()])
    d.start_shift("v1", 8 * H)
    d.end_shift("v1", 11 * H)
    assert d.plan("v1").stops == []
    assert DAY


def test_a_break_in_progress_is_locked_through_reoptimisation_and_refusals_name_it():
    lunch = Break(10 * H, 10 * H, 60 * M, Location(10))
    d = dispatcher(line_costs(), vehicles=[_vehicle("a", breaks=()), _vehicle("b", depot=10, breaks=(lunch,))],
                   solve_params=SolveParams(time_limit_s=1.0))
    out = d.request(booking("x", 5, 15, 9 * H + 50 * M), now=7 * H)  # a ride across b's break: on a
    assert isinstance(out, Offer) and out.vehicle_id == "a"
    with pytest.raises(Exception, match="break from 10:00"):
        d.reassign("x", "b", 7 * H)
    d.start_shift("b", 8 * H)
    d.start_break("b", "break:b:1", 10 * H)
    for n, at in enumerate((11 * H + 5 * M, 11 * H + 20 * M)):
        placed = d.request(booking(f"y{n}", 10 + n, 12 + n, at), now=10 * H)
        assert isinstance(placed, Offer), placed
        d.confirm(placed.booking_id, now=10 * H)
    assert {"y0", "y1"} <= d.plan("b").booking_ids  # after the break, from where b rests
    result = d.reoptimise(10 * H + 5 * M, time_limit_s=1.0)
    assert result.improved or result.reason == "no shorter plan found", result.reason
    assert result.solver.startswith("ortools")  # OR-Tools' own plan validated, the break a locked node
    first = d.plan("b").stops[0]
    assert (first.kind, first.service_start, first.departure) == (StopKind.BREAK, 10 * H, 11 * H)
    _breaks_kept(d)


@pytest.mark.parametrize("place", [Location(0), None], ids=["at-depot", "anywhere"])
def test_pruned_insertion_with_breaks_finds_what_brute_force_finds(place):
    """The vectorised estimate drops no insertion that exact scheduling of every gap pair accepts."""
    from dispatch.online.insertion import InsertionParams, best_insertion, exact

    costs = cloud_costs(40, size_m=10_000, seed=3)
    rng = np.random.default_rng(11)
    fleet = [_vehicle("a", 0, breaks=(Break(9 * H + 20 * M, 9 * H + 40 * M, 20 * M, place),)),
             _vehicle("b", 5, breaks=(Break(9 * H + 15 * M, 9 * H + 45 * M, 15 * M),)), _vehicle("c", 9, breaks=())]
    feasible = 0
    for _ in range(40):
        d = dispatcher(costs, fleet, insertion=InsertionParams(delay_weight=0.0, max_exact_checks=10_000))
        for n in range(int(rng.integers(2, 14))):
            p, q = rng.choice(np.arange(1, 40), 2, replace=False)
            d.request(booking(f"e{n}", int(p), int(q), int(rng.integers(9 * H, 10 * H))), now=7 * H)
        _breaks_kept(d)
        p, q = rng.choice(np.arange(1, 40), 2, replace=False)
        new = booking("new", int(p), int(q), int(rng.integers(9 * H, 10 * H)))
        windows = d._placement.windows(new)
        if windows.empty:
            continue
        request = d._placement.request_for(new, windows)
        vehicles = d._fleet.eligible(new)
        brute = any(exact(vs, d._fleet.cache, request, i, j, 7 * H) is not None for vs in vehicles
                    for i in range(vs.locked, len(vs.sequence) + 1) for j in range(i, len(vs.sequence) + 1))
        found = best_insertion(vehicles, d._fleet.cache, request, 7 * H, d._fleet.insertion)
        assert (found is not None) == brute
        feasible += brute
    assert feasible >= 10


def test_a_vehicle_joining_late_plans_only_the_breaks_still_ahead():
    d = dispatcher(line_costs(), vehicles=[_vehicle("a", breaks=())])
    d.add_vehicle(_vehicle("late"), now=13 * H + 30 * M)  # its 12:00-13:00 lunch window is over
    assert [s.booking_id for s in d.plan("late").stops] == ["break:late:2"]
    _breaks_kept(d)

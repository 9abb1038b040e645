"""Snapshot -> JSON -> restore gives an equal dispatcher that keeps behaving the same."""

import json

import pytest

from dispatch.model import Location, Offer
from dispatch.online.dispatcher import Dispatcher
from tests.dispatch.dispatch_helpers import H, M, booking, dispatcher, line_costs, vehicle


def _lived_in():
    """A dispatcher that has seen every kind of booking state and event."""
    d = dispatcher(vehicles=[vehicle("v1", wheelchairs=1), vehicle("v2", depot=20), vehicle("v3", depot=10)])
    for bid, p, q, t in [("a", 2, 6, 10 * H), ("b", 3, 9, 10 * H), ("c", 15, 18, 11 * H), ("d", 12, 4, 13 * H)]:
        assert isinstance(d.request(booking(bid, p, q, t, notes=f"note {bid}"), now=8 * H), Offer)
    d.confirm("a", 8 * H)
    d.confirm("b", 8 * H)
    d.confirm("c", 8 * H)
    d.request(booking("late", 1, 2, 20 * H), now=8 * H)  # rejected
    assert isinstance(d.request(booking("wc", 5, 8, 12 * H, seats=1, wheelchairs=1), now=8 * H), Offer)
    d.cancel("d", 8 * H + M)
    d.start_shift("v1", 8 * H + 2 * M)
    a_pickup = next(s for s in d.manifest(d.offer("a").vehicle_id) if s.booking_id == "a")
    owner = d.offer("a").vehicle_id
    d.arrive(owner, "a", a_pickup.service_start)
    d.board(owner, "a", a_pickup.service_start + 30)
    d.update_position(owner, Location(4), a_pickup.service_start + 5 * M)
    d.reoptimise(a_pickup.service_start + 6 * M, time_limit_s=1)
    return d


def test_snapshot_is_json_safe_and_round_trips():
    d = _lived_in()
    snap = d.snapshot()
    text = json.dumps(snap)
    restored = Dispatcher.restore(json.loads(text), line_costs())
    assert restored.snapshot() == snap
    assert restored.plans() == d.plans()
    assert restored.bookings() == d.bookings()
    assert restored.stats == d.stats
    assert restored.check() == [] and d.check() == []


def test_restored_dispatcher_answers_like_the_original():
    d = _lived_in()
    twin = Dispatcher.restore(json.loads(json.dumps(d.snapshot())), line_costs())
    now = d.now + 60
    for target in (d, twin):
        target.request(booking("n1", 7, 13, 14 * H), now=now)
        target.request(booking("n2", 8, 12, 14 * H + 5 * M), now=now)
        target.confirm("n1", now)
        target.cancel("b", now + 10)
    assert _without_timings(twin.snapshot()) == _without_timings(d.snapshot())
    assert twin.offer("n2") == d.offer("n2")


def _without_timings(snap: dict) -> dict:
    """Wall-clock counters differ between two runs of the same calls; everything else must not."""
    stats = {k: v for k, v in snap["stats"].items() if not k.endswith("_seconds")}
    return {**snap, "stats": stats}


def test_unknown_snapshot_format_is_refused():
    snap = dispatcher().snapshot()
    snap["format"] = 99
    with pytest.raises(ValueError, match="format"):
        Dispatcher.restore(snap, line_costs())


def test_ruin_and_recreate_settings_survive_a_snapshot():
    from dispatch.solver.params import SolveParams
    from dispatch.solver.rr import RrParams

    params = SolveParams(time_limit_s=1.0, ruin_recreate=RrParams(max_iterations=50, restart_patience=0.5))
    d = dispatcher(vehicles=[vehicle("v1"), vehicle("v2", depot=20)], solve_params=params)
    for bid, p, q in [("a", 2, 6), ("b", 3, 9), ("c", 15, 18)]:
        assert isinstance(d.request(booking(bid, p, q, 10 * H), now=8 * H), Offer)
        d.confirm(bid, 8 * H)
    restored = Dispatcher.restore(json.loads(json.dumps(d.snapshot())), line_costs())
    assert restored.solve_params == params
    result = restored.reoptimise(8 * H + M, time_limit_s=1)
    assert restored.check() == [] and result.seconds < 5

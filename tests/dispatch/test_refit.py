"""A re-optimisation searched on a copy of the day (another process) is published only if it still fits the plans."""

from __future__ import annotations

from dispatch.model import Offer
from dispatch.online.dispatcher import Dispatcher
from tests.dispatch.dispatch_helpers import H, booking, dispatcher, line_costs, vehicle


def _day() -> Dispatcher:
    """"a" (1 -> 3) moved unpinned to "far" (depot 20): a search brings it back to "near"; "b" rides on "near"."""
    d = dispatcher(vehicles=[vehicle("near", depot=0), vehicle("far", depot=20)])
    for bid, p, q, t in (("a", 1, 3, 10 * H), ("b", 2, 5, 11 * H)):
        assert isinstance(d.request(booking(bid, p, q, t), now=8 * H), Offer)
        d.confirm(bid, now=8 * H)
    d.reassign("a", "far", now=8 * H + 60, pin=False)
    return d


def _searched(d: Dispatcher, now: int):
    copy = Dispatcher.restore(d.snapshot(), line_costs())
    result = copy.reoptimise(now, time_limit_s=1)
    assert result.published, result.reason
    return copy.planned_orders(), result


def _vehicle_of(d: Dispatcher, booking_id: str) -> str:
    return next(vid for vid, plan in d.plans().items() if booking_id in plan.booking_ids)


def test_a_search_on_a_copy_is_published_when_nothing_changed_meanwhile():
    d = _day()
    orders, searched = _searched(d, 8 * H + 120)
    result = d.refit(orders, 8 * H + 130, searched)
    assert result.published and result.moved == 1 and _vehicle_of(d, "a") == "near"
    assert result.seconds >= searched.seconds and d.stats.reoptimisations_published == 1
    assert d.offer("a").vehicle_id == "near" and d.check() == []


def test_it_still_fits_after_a_cancellation_and_a_position_report():
    d = _day()
    orders, searched = _searched(d, 8 * H + 120)
    d.cancel("b", now=8 * H + 150)  # meanwhile: a cancellation and a vehicle on the move
    d.start_shift("near", now=8 * H + 160)
    result = d.refit(orders, 8 * H + 170, searched)
    assert result.published, result.reason
    assert [s.booking_id for s in d.plan("near").stops] == ["a", "a"] and d.check() == []


def test_it_is_not_published_when_a_booking_arrived_meanwhile():
    d = _day()
    orders, searched = _searched(d, 8 * H + 120)
    assert isinstance(d.request(booking("c", 4, 6, 12 * H), now=8 * H + 150), Offer)
    before = {vid: [(s.booking_id, s.kind) for s in plan.stops] for vid, plan in d.plans().items()}
    result = d.refit(orders, 8 * H + 170, searched)
    assert not result.published and "1 stop(s) were planned while the solver ran" not in result.reason
    assert "2 stop(s) were planned while the solver ran" in result.reason
    assert {vid: [(s.booking_id, s.kind) for s in plan.stops] for vid, plan in d.plans().items()} == before


def test_it_is_not_published_when_a_pin_or_a_lock_came_meanwhile():
    d = _day()
    orders, searched = _searched(d, 8 * H + 120)
    d.reassign("a", "far", now=8 * H + 150)  # the dispatcher pins it where it is
    result = d.refit(orders, 8 * H + 170, searched)
    assert not result.published and "vehicle near can no longer make the order found" in result.reason
    assert _vehicle_of(d, "a") == "far"
    d.unpin("a")
    d.lock_sequence("near", [("b", "pickup"), ("b", "dropoff")], now=8 * H + 180)  # the search put "a" first
    result = d.refit(orders, 8 * H + 190, searched)
    assert not result.published and _vehicle_of(d, "a") == "far", result.reason

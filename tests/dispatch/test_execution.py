"""Execution events: shifts, positions, arrivals, boarding, drop-offs, no-shows and their errors."""

import pytest

from dispatch.errors import BookingNotFound, InvalidEvent
from dispatch.model import BookingStatus, Location, Offer, StopKind
from tests.dispatch.dispatch_helpers import H, M, booking, dispatcher, line_costs, vehicle


def _book(d, bid, pickup, dropoff, at, now=8 * H, **kw) -> Offer:
    offer = d.request(booking(bid, pickup, dropoff, at, **kw), now=now)
    assert isinstance(offer, Offer), offer
    d.confirm(bid, now=now)
    return offer


def test_a_trip_runs_from_shift_start_to_drop_off():
    d = dispatcher()
    offer = _book(d, "a", 2, 6, 10 * H)
    d.start_shift("v1", now=8 * H)
    pickup = d.manifest("v1")[0]
    d.arrive("v1", "a", now=pickup.service_start)
    assert d.booking("a").status == BookingStatus.ASSIGNED
    d.board("v1", "a", now=pickup.service_start + 60)
    assert d.booking("a").status == BookingStatus.ONBOARD
    assert [s.kind for s in d.manifest("v1")] == [StopKind.DROPOFF]
    assert d.check() == []
    d.drop_off("v1", "a", now=offer.expected_dropoff + 60)
    assert d.booking("a").status == BookingStatus.COMPLETED
    assert d.manifest("v1") == []
    done = d.executed("v1")
    assert [(s.kind, s.seats_after) for s in done] == [(StopKind.PICKUP, 1), (StopKind.DROPOFF, 0)]
    assert done[0].arrival == pickup.service_start and done[0].departure == pickup.service_start + 60
    assert d.stats.completed == 1


def test_mid_day_replan_keeps_riders_on_board_with_their_vehicle():
    d = dispatcher(vehicles=[vehicle("v1"), vehicle("v2", depot=15)])
    _book(d, "a", 2, 12, 10 * H)
    assert d.offer("a").vehicle_id == "v1"
    d.arrive("v1", "a", now=10 * H)
    d.board("v1", "a", now=10 * H + 60)
    # a rider near the carried one's route asks mid-day; the vehicle starts loaded
    offer = d.request(booking("b", 11, 17, 10 * H + 20 * M), now=10 * H + 2 * M)
    assert isinstance(offer, Offer)
    # it left the pickup right after boarding, towards the (now locked) next stop
    assert d.plan("v1").start.node == 2 and d.plan("v1").start_time == 10 * H + 60
    result = d.reoptimise(10 * H + 3 * M, time_limit_s=2)
    assert result.reason == "" or "no shorter" in result.reason
    drops = [s for s in d.manifest("v1") if s.booking_id == "a"]
    assert [s.kind for s in drops] == [StopKind.DROPOFF]  # still v1's job, nobody else's
    assert all(s.booking_id != "a" for s in d.manifest("v2"))
    assert d.check() == []


def test_impossible_events_raise_and_change_nothing():
    d = dispatcher(vehicles=[vehicle("v1"), vehicle("v2", depot=20)])
    _book(d, "a", 2, 6, 10 * H)
    before = d.snapshot()
    with pytest.raises(InvalidEvent, match="no pickup planned on vehicle 'v2'"):
        d.board("v2", "a", now=10 * H)
    with pytest.raises(InvalidEvent, match="not on board"):
        d.drop_off("v1", "a", now=10 * H)
    with pytest.raises(InvalidEvent, match="too early"):
        d.no_show("v1", "a", now=9 * H)
    with pytest.raises(BookingNotFound):
        d.arrive("v1", "ghost", now=9 * H)
    with pytest.raises(InvalidEvent, match="already on shift"):
        d.start_shift("v1", now=8 * H)
        d.start_shift("v1", now=8 * H)
    after = d.snapshot()
    assert after["bookings"] == before["bookings"]


def test_boarding_beyond_capacity_is_refused():
    d = dispatcher(vehicles=[vehicle("v1", seats=2)])
    _book(d, "a", 1, 5, 10 * H, seats=2)
    _book(d, "b", 1, 5, 11 * H, seats=2)
    d.board("v1", "a", now=10 * H)
    with pytest.raises(InvalidEvent, match="cannot take booking 'b'"):
        d.board("v1", "b", now=10 * H + 60)


def test_no_show_frees_the_room():
    d = dispatcher(vehicles=[vehicle("v1", seats=2)])
    _book(d, "a", 1, 10, 10 * H, seats=2)
    d.arrive("v1", "a", now=10 * H)
    d.no_show("v1", "a", now=10 * H + 5 * M)
    assert d.booking("a").status == BookingStatus.NO_SHOW
    assert d.manifest("v1") == []
    assert d.plan("v1").start.node == 1
    later = d.request(booking("b", 1, 10, 10 * H + 20 * M, seats=2), now=10 * H + 5 * M)
    assert isinstance(later, Offer)
    assert d.stats.no_shows == 1


def test_the_stop_a_vehicle_heads_for_is_locked():
    d = dispatcher()
    _book(d, "far", 15, 20, 10 * H)  # 30 min drive from the depot: leaves at 09:30
    assert d.booking("far").status == BookingStatus.CONFIRMED
    # before it must leave, a nearer trip can still go first
    first = d.request(booking("near", 1, 3, 9 * H), now=8 * H + 30 * M)
    assert isinstance(first, Offer)
    d.confirm("near", now=8 * H + 30 * M)
    d.board("v1", "near", now=9 * H)
    d.drop_off("v1", "near", now=9 * H + 6 * M)
    d.update_position("v1", Location(5), now=9 * H + 20 * M)  # moving towards "far"
    assert d.booking("far").status == BookingStatus.ASSIGNED
    # a trip that would best be served before "far" must now come after it
    offer = d.request(booking("x", 6, 7, 9 * H + 40 * M), now=9 * H + 21 * M)
    if isinstance(offer, Offer):
        assert d.manifest("v1")[0].booking_id == "far"
    assert d.check() == []


def test_a_late_vehicle_keeps_working_with_relaxed_bounds():
    d = dispatcher()
    _book(d, "a", 10, 12, 10 * H)
    d.start_shift("v1", now=8 * H)
    d.update_position("v1", Location(1), now=10 * H + 10 * M)  # stuck far away: will miss the window
    assert d.late_bookings() == {"v1": ["a"]}
    assert d.check() == []  # against the relaxed bounds
    pickup = d.manifest("v1")[0]
    assert pickup.service_start > pickup.latest  # the plan shows it is late
    later = d.request(booking("b", 12, 15, 13 * H), now=10 * H + 11 * M)
    assert isinstance(later, Offer)
    assert d.check() == []


def test_end_shift_moves_planned_bookings_to_other_vehicles():
    d = dispatcher(vehicles=[vehicle("v1"), vehicle("v2", depot=1)])
    _book(d, "a", 2, 6, 10 * H)
    owner = d.offer("a").vehicle_id
    other = "v2" if owner == "v1" else "v1"
    d.end_shift(owner, now=8 * H + 10 * M)
    assert {s.booking_id for s in d.manifest(other)} == {"a"}
    assert d.manifest(owner) == []
    with pytest.raises(InvalidEvent, match="ended its shift"):
        d.update_position(owner, Location(3), now=8 * H + 20 * M)
    assert d.check() == []


def test_end_shift_refuses_while_riders_are_on_board_or_bookings_cannot_move():
    d = dispatcher(vehicles=[vehicle("v1", wheelchairs=1), vehicle("v2")])
    _book(d, "wc", 2, 6, 10 * H, seats=0, wheelchairs=1)
    with pytest.raises(InvalidEvent, match="fits no other vehicle"):
        d.end_shift("v1", now=8 * H)
    assert {s.booking_id for s in d.manifest("v1")} == {"wc"}
    d.board("v1", "wc", now=10 * H)
    with pytest.raises(InvalidEvent, match="on board"):
        d.end_shift("v1", now=10 * H + M)


def test_the_drive_to_a_no_show_counts_in_the_vehicle_km():
    """A vehicle that drove to a pickup where nobody came drove those km: the accounts (and the history's
    vehicle-km) count them, and a snapshot keeps the visit."""
    from dispatch.accounting import MunicipalAccounts, day_segments

    costs = line_costs()
    d = dispatcher(costs)
    _book(d, "a", 10, 12, 10 * H)  # the rider who will not come, 10 km out
    _book(d, "b", 4, 6, 12 * H)
    d.start_shift("v1", now=8 * H)
    d.arrive("v1", "a", now=10 * H)
    d.no_show("v1", "a", now=10 * H + 5 * M)
    assert d.missed("v1") == [(10 * H, "a", Location(10))]
    assert d.executed("v1") == []  # no stop was made there
    d.arrive("v1", "b", now=12 * H)
    d.board("v1", "b", now=12 * H + 60)
    d.drop_off("v1", "b", now=12 * H + 10 * M)
    km = sum(s.metres for s in day_segments(d, costs)) / 1000
    assert km == pytest.approx(10 + 6 + 2 + 6)  # depot -> a (nobody) -> b's pickup -> drop-off -> depot
    assert MunicipalAccounts.from_dispatcher(d, costs).fleet_km("10210") == pytest.approx(24)
    restored = type(d).restore(d.snapshot(), costs)
    assert restored.missed("v1") == d.missed("v1")

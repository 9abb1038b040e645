"""Open returns (帰りは電話で): the reserve of a wider wait, used only when the usual window has no room."""

from dispatch.model import Offer, Rejection, RejectionReason
from dispatch.online.dispatcher import Dispatcher
from dispatch.priority import OPEN_RETURN, RESERVE_WAIT_S
from tests.dispatch.dispatch_helpers import H, booking, dispatcher, line_costs, vehicle


def _full_line_dispatcher() -> Dispatcher:
    """One two-seat vehicle, filled by a confirmed party of two at 10:00 from node 1 to node 10."""
    d = dispatcher(vehicles=[vehicle("v1", seats=2)])
    assert isinstance(d.request(booking("a", 1, 10, 10 * H, seats=2), now=8 * H), Offer)
    d.confirm("a", now=8 * H)
    return d


def test_open_return_is_placed_where_an_equal_new_request_is_refused():
    d = _full_line_dispatcher()
    promised_a = d.offer("a").pickup_window
    ordinary = d.request(booking("new", 10, 1, 10 * H), now=9 * H)
    assert isinstance(ordinary, Rejection) and ordinary.reason == RejectionReason.NO_VEHICLE_AVAILABLE

    back = d.request(booking("back", 10, 1, 10 * H, priority=OPEN_RETURN), now=9 * H)
    assert isinstance(back, Offer), back
    lo, hi = back.pickup_window
    assert hi - lo == d.rules.max_wait_s  # the promise read out is as wide as any other
    assert lo <= back.expected_pickup <= hi
    # beyond the usual wait (that is why the ordinary request was refused), within the reserve
    usual_latest = 10 * H + d.rules.max_wait_s
    assert usual_latest < back.expected_pickup <= hi <= usual_latest + RESERVE_WAIT_S[OPEN_RETURN]
    assert d.offer("a").pickup_window == promised_a  # the confirmed rider's promise did not move
    assert d.check() == []


def test_open_return_that_fits_gets_the_same_offer_as_a_new_request():
    plain = dispatcher().request(booking("x", 3, 9, 10 * H), now=8 * H)
    priority = dispatcher().request(booking("x", 3, 9, 10 * H, priority=OPEN_RETURN), now=8 * H)
    assert isinstance(plain, Offer) and isinstance(priority, Offer)
    assert priority.pickup_window == plain.pickup_window
    assert priority.expected_pickup == plain.expected_pickup


def test_open_return_beyond_the_reserve_is_still_refused():
    d = dispatcher(vehicles=[vehicle("v1", seats=2)])
    # the vehicle is busy far away for over an hour: nodes 1 -> 20 and back takes beyond any reserve
    assert isinstance(d.request(booking("a", 0, 20, 10 * H, seats=2), now=8 * H), Offer)
    assert isinstance(d.request(booking("c", 20, 0, 10 * H + 40 * 60, seats=2), now=8 * H), Offer)
    d.confirm("a", now=8 * H)
    d.confirm("c", now=8 * H)
    far = d.request(booking("back", 20, 0, 10 * H, priority=OPEN_RETURN), now=9 * H)
    assert isinstance(far, Rejection) and far.reason == RejectionReason.NO_VEHICLE_AVAILABLE
    assert d.check() == []


def test_open_return_keeps_its_priority_and_promise_through_a_snapshot_and_reassignment():
    d = _full_line_dispatcher()
    back = d.request(booking("back", 10, 1, 10 * H, priority=OPEN_RETURN), now=9 * H)
    assert isinstance(back, Offer)
    d.confirm("back", now=9 * H)
    again = Dispatcher.restore(d.snapshot(), line_costs())
    assert again.booking("back").priority == OPEN_RETURN
    again.reassign("back", "v1", now=9 * H + 60)  # re-placed within its promise, beyond the usual wait
    assert again.offer("back").pickup_window == back.pickup_window
    assert again.check() == []

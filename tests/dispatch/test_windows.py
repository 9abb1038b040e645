from hypothesis import given
from hypothesis import strategies as st

from dispatch.model import TimeKind
from dispatch.online.windows import booking_windows, promise_window
from dispatch.rules import ServiceRules
from tests.dispatch.dispatch_helpers import H, M, booking

RULES = ServiceRules()


def test_depart_after_gives_max_wait_pickup_and_ride_limited_dropoff():
    w = booking_windows(booking("b", 1, 2, 10 * H), RULES, direct_s=600)
    assert w.pickup == (10 * H, 10 * H + 15 * M)
    # MATSim: min(1.5 * 600 + 600, 600 + 1200) = 1500
    assert w.max_ride_s == 1500
    dwell = RULES.dwell_s(1, 0)
    assert w.dropoff == (10 * H, 10 * H + 15 * M + dwell + 1500)
    assert w.pickup_service_s == dwell == 80


def test_arrive_by_gives_dropoff_slack_and_early_enough_pickup():
    w = booking_windows(booking("b", 1, 2, 11 * H, kind=TimeKind.ARRIVE_BY), RULES, direct_s=900)
    assert w.dropoff == (11 * H - 20 * M, 11 * H)
    dwell = RULES.dwell_s(1, 0)
    assert w.pickup[1] == 11 * H - dwell - 900  # leave no later than the direct ride allows
    assert w.pickup[0] == 11 * H - 20 * M - dwell - w.max_ride_s


def test_wheelchair_dwell_is_longer():
    seated = booking_windows(booking("a", 1, 2, 10 * H), RULES, 600)
    chair = booking_windows(booking("b", 1, 2, 10 * H, seats=0, wheelchairs=1), RULES, 600)
    assert chair.pickup_service_s == seated.pickup_service_s + RULES.dwell_wheelchair_s


def test_planner_windows_override_the_derived_ones():
    b = booking("leg", 1, 2, 10 * H, pickup_window=(9 * H, 9 * H + 30 * M), dropoff_window=(9 * H, 10 * H))
    w = booking_windows(b, RULES, 600)
    assert w.pickup == (9 * H, 9 * H + 30 * M)
    assert w.dropoff == (9 * H, 10 * H)


def test_windows_are_clipped_to_service_hours():
    w = booking_windows(booking("b", 1, 2, 16 * H + 55 * M), RULES, 600)
    assert w.pickup == (16 * H + 55 * M, 17 * H)
    assert w.dropoff[1] == 17 * H
    late = booking_windows(booking("c", 1, 2, 8 * H + 5 * M, kind=TimeKind.ARRIVE_BY), RULES, 1800)
    assert late.empty  # cannot leave before 08:00 and still arrive by 08:05 on a 30 min ride


@given(
    lo=st.integers(8 * H, 15 * H),
    width=st.integers(0, 3 * H),
    frac=st.floats(0, 1),
    max_wait=st.integers(60, 30 * M),
)
def test_promised_window_contains_the_plan_inside_the_request(lo, width, frac, max_wait):
    window = (lo, lo + width)
    planned = lo + int(frac * width)
    p = promise_window(planned, window, max_wait)
    assert p[0] <= planned <= p[1]
    assert window[0] <= p[0] and p[1] <= window[1]
    assert p[1] - p[0] == min(width, max_wait)

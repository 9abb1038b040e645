"""Time windows of a booking: derived from the service rules, or set by the trip planner.

All times in seconds since service-day midnight. ``depart after T``: pickup in ``[T, T + max_wait]``,
drop-off by the pickup's latest start + pickup dwell + maximum ride. ``arrive by T``: drop-off in
``[T - arrive_by_slack, T]`` and a pickup early enough to make it within the ride limit. Windows are
clipped to service hours. The maximum ride follows MATSim DRT (see :meth:`ServiceRules.max_ride_s`).
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.model import Booking, TimeKind
from dispatch.rules import ServiceRules

Window = tuple[int, int]


@dataclass(frozen=True)
class BookingWindows:
    """What the planner must respect for one booking.

    Parameters
    ----------
    pickup, dropoff
        (earliest, latest) start of service, seconds.
    max_ride_s
        Longest time from leaving the pickup to starting the drop-off, seconds.
    direct_s
        Direct drive time pickup -> drop-off, seconds.
    pickup_service_s, dropoff_service_s
        Dwell at each end, seconds.
    """

    pickup: Window
    dropoff: Window
    max_ride_s: int
    direct_s: float
    pickup_service_s: int
    dropoff_service_s: int

    @property
    def empty(self) -> bool:
        return self.pickup[0] > self.pickup[1] or self.dropoff[0] > self.dropoff[1]


def booking_windows(booking: Booking, rules: ServiceRules, direct_s: float) -> BookingWindows:
    """Windows for ``booking`` whose direct drive takes ``direct_s`` seconds (may be empty: check ``.empty``)."""
    dwell = rules.dwell_s(booking.seats, booking.wheelchairs)
    max_ride = rules.max_ride_s(direct_s)
    t = booking.requested_time
    if booking.pickup_window is not None:
        pickup = (int(booking.pickup_window[0]), int(booking.pickup_window[1]))
        dropoff = booking.dropoff_window or (pickup[0], pickup[1] + dwell + max_ride)
    elif booking.dropoff_window is not None:
        dropoff = booking.dropoff_window
        pickup = (dropoff[0] - dwell - max_ride, int(dropoff[1] - dwell - direct_s))
    elif booking.time_kind == TimeKind.ARRIVE_BY:
        dropoff = (t - rules.arrive_by_slack_s, t)
        pickup = (dropoff[0] - dwell - max_ride, int(t - dwell - direct_s))
    else:
        pickup = (t, t + rules.max_wait_s)
        dropoff = (t, pickup[1] + dwell + max_ride)
    return BookingWindows(
        pickup=_clip(pickup, rules),
        dropoff=_clip((int(dropoff[0]), int(dropoff[1])), rules),
        max_ride_s=max_ride,
        direct_s=direct_s,
        pickup_service_s=dwell,
        dropoff_service_s=dwell,
    )


def promise_window(planned_pickup: float, window: Window, width: int) -> Window:
    """The pickup window told to the caller: ``width`` seconds inside ``window`` containing the plan.

    A window already no wider than ``width`` is promised as it is. A wider one (arrive-by bookings, trip
    planner legs) is narrowed around the planned pickup, as centred as the outer window allows.
    """
    lo, hi = window
    if hi - lo <= width:
        return window
    p = int(round(planned_pickup))
    start = min(max(p - width // 2, lo), hi - width)
    start = min(start, p)
    return (start, start + width)


def _clip(window: Window, rules: ServiceRules) -> Window:
    return (max(window[0], rules.service_start), min(window[1], rules.service_end))

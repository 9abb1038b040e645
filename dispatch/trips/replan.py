"""Re-planning a trip after its train runs late or the rider misses it.

The rider's booking (the trip id and every leg booking id) is kept: the onward legs are moved with
:meth:`Dispatcher.modify`, which keeps the old plan when the new one does not fit. The onward taxi's
pickup window then opens at the new arrival plus the walk from the platform; its drop-off window moves
by the same amount (an arrive-by rider arrives that much later rather than not at all). If even a wider
window does not fit, the old leg stays and the trip is flagged ``at_risk`` for the control room.
Times in seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.model import BookingStatus, Offer
from dispatch.rail.access import StationAccess
from dispatch.rail.timetable import Connection, Timetable
from dispatch.rules import ServiceRules
from dispatch.trips.itinerary import DRT, WALK, Itinerary

if TYPE_CHECKING:
    from dispatch.online.dispatcher import Dispatcher

#: Extra slack tried, in order, when the shifted windows do not fit: none, then one more pickup window.
WIDEN_STEPS = (0, 1)


def retime_train(itinerary: Itinerary, index: int, conn: Connection) -> int:
    """Put train ``conn`` into leg ``index`` and return how far (s) its arrival moved."""
    old = itinerary.legs[index]
    moved = conn.arrival - old.arrive
    itinerary.replace_leg(index, depart=conn.departure, arrive=conn.arrival, connection=conn)
    return moved


def shift_onward(
    dispatcher: Dispatcher,
    itinerary: Itinerary,
    index: int,
    access: StationAccess,
    rules: ServiceRules,
    now: int,
) -> list[str]:
    """Move every leg after the rail leg ``index`` to follow the train's current arrival.

    Parameters
    ----------
    dispatcher
        The shared :class:`dispatch.online.dispatcher.Dispatcher`.
    itinerary
        The trip; its rail leg ``index`` already carries the current connection.
    access
        Station access (walk from the platform).
    now
        Current time, s.

    Returns
    -------
    list of str
        Booking ids of the taxi legs that were re-planned.
    """
    rail = itinerary.legs[index]
    assert rail.connection is not None
    station = rail.destination.stop_id or ""
    ready = rail.arrive + access.access_at(station)
    replanned: list[str] = []
    for j in range(index + 1, len(itinerary.legs)):
        leg = itinerary.legs[j]
        if leg.mode == WALK:
            itinerary.replace_leg(j, depart=ready, arrive=int(ready + leg.direct_s))
            ready = int(ready + leg.direct_s)
            continue
        if leg.mode != DRT or leg.booking_id is None or leg.pickup_window is None:
            continue
        status = dispatcher.booking(leg.booking_id).status
        if status not in (BookingStatus.OFFERED, BookingStatus.CONFIRMED, BookingStatus.ASSIGNED):
            continue
        delta = ready - leg.pickup_window[0]
        if delta == 0:
            continue
        moved = _move_leg(dispatcher, leg.booking_id, leg.pickup_window, leg.dropoff_window, delta, rules, now)
        if moved is None:
            if leg.booking_id not in itinerary.at_risk:
                itinerary.at_risk.append(leg.booking_id)
            continue
        offer, new_pick, new_drop = moved
        itinerary.replace_leg(j, pickup_window=new_pick, dropoff_window=new_drop, vehicle_id=offer.vehicle_id,
                              promised_window=offer.pickup_window, depart=offer.expected_pickup,
                              arrive=offer.expected_dropoff)
        if leg.booking_id in itinerary.at_risk:
            itinerary.at_risk.remove(leg.booking_id)
        replanned.append(leg.booking_id)
        itinerary.replanned.append(leg.booking_id)
        ready = offer.expected_dropoff
    return replanned


def _shifted(pick: tuple[int, int], drop: tuple[int, int] | None, delta: int, widen: int,
             rules: ServiceRules) -> tuple[tuple[int, int], tuple[int, int] | None]:
    extra = widen * rules.max_wait_s
    new_pick = (pick[0] + delta, pick[1] + delta + extra)
    new_drop = None if drop is None else (drop[0] + delta, drop[1] + delta + extra)
    return new_pick, new_drop


def _move_leg(
    dispatcher: Dispatcher, booking_id: str, pick: tuple[int, int], drop: tuple[int, int] | None, delta: int,
    rules: ServiceRules, now: int,
) -> tuple[Offer, tuple[int, int], tuple[int, int] | None] | None:
    """Modify one leg's windows by ``delta`` s (widening once if needed): the offer and the new windows."""
    for widen in WIDEN_STEPS:
        new_pick, new_drop = _shifted(pick, drop, delta, widen, rules)
        answer = dispatcher.modify(booking_id, now, pickup_window=new_pick, dropoff_window=new_drop,
                                   requested_time=new_pick[0])
        if isinstance(answer, Offer):
            return answer, new_pick, new_drop
    return None


def missed(conn: Connection, at_station: int, access: StationAccess, station_key: str) -> bool:
    """Did a rider who reached the station at ``at_station`` (s) miss train ``conn``?"""
    return at_station + access.access_at(station_key) > conn.departure


def later_train(timetable: Timetable, conn: Connection, ready: int) -> Connection | None:
    """First train on ``conn``'s station pair leaving at or after ``ready`` (s), other than ``conn``."""
    for candidate in timetable.connections(conn.from_stop, conn.to_stop):
        if candidate.train_id != conn.train_id and candidate.departure >= ready:
            return candidate
    return None

"""The simulator's front door for bookings: the dispatcher alone, or the wide-area trip planner on top of it.

``municipal`` books straight into the :class:`dispatch.Dispatcher` (a trip across a border finds no
vehicle serving both ends). The wide-area models book through :class:`dispatch.trips.TripPlanner`, which
decides which crossings are allowed and offers direct rides or chains feeder -> Joshin train -> feeder;
the simulator realises the train legs at the timetable's times plus a simulated delay.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from dispatch.errors import DispatchError
from dispatch.model import Booking, Offer, Rejection
from sim.events import TRAIN, DayEvents

if TYPE_CHECKING:
    from sim.records import LegRecord


class TripDriver:
    """Books straight into the dispatcher."""

    def __init__(self, dispatcher) -> None:
        self.d = dispatcher

    def request(self, booking: Booking, now: int) -> Offer | Rejection:
        return self.d.request(booking, now)

    def confirm(self, booking_id: str, now: int) -> Offer:
        return self.d.confirm(booking_id, now)

    def decline(self, booking_id: str, now: int) -> None:
        self.d.decline(booking_id, now)

    def cancel(self, booking_id: str, now: int) -> None:
        self.d.cancel(booking_id, now)

    def planned_legs(self, booking_id: str) -> list | None:
        """The legs of a booked trip (:class:`dispatch.trips.Leg`), or None for a plain booking."""
        return None

    def trip_booked(self, sim: DayEvents, trip_id: str) -> None:
        """A trip was confirmed; nothing follows it without the trip planner."""

    def dropped_off(self, sim: DayEvents, booking_id: str, now: int) -> None:
        """A leg ended; nothing follows it without the trip planner."""

    def after_no_show(self, sim: DayEvents, booking_id: str, now: int) -> None:
        """A rider did not show; nothing follows it without the trip planner."""


class PlannerDriver(TripDriver):
    """Books through the wide-area :class:`dispatch.trips.TripPlanner` and runs its trains.

    Parameters
    ----------
    planner
        The day's trip planner (over the same dispatcher).
    delay_mean_s
        Mean of the exponential train delay, seconds (0: trains run to the timetable).
    rng
        Random stream for delays.
    """

    def __init__(self, dispatcher, planner, delay_mean_s: float, rng: random.Random) -> None:
        super().__init__(dispatcher)
        self.planner = planner
        self.delay_mean_s = delay_mean_s
        self.rng = rng
        self.delays: dict[str, int] = {}

    def request(self, booking: Booking, now: int) -> Offer | Rejection:
        return self.planner.request(booking, now)

    def confirm(self, booking_id: str, now: int) -> Offer:
        return self.planner.confirm(booking_id, now)

    def decline(self, booking_id: str, now: int) -> None:
        self.planner.decline(booking_id, now)

    def cancel(self, booking_id: str, now: int) -> None:
        self.planner.cancel(booking_id, now)

    def planned_legs(self, booking_id: str) -> list | None:
        return list(self.planner.itinerary(booking_id).legs)

    def trip_booked(self, sim: DayEvents, trip_id: str) -> None:
        """A chain that starts on the train (the rider walks to the station) boards at departure time."""
        first = min((x for x in sim.legs.values() if x.trip_id == trip_id), key=lambda x: x.leg_index, default=None)
        if first is not None and first.mode == "rail":
            sim.push(first.expected_pickup or 0, TRAIN, "train", self._at_station, first.id)

    def _at_station(self, sim: DayEvents, now: int, rail_leg_id: str) -> None:
        leg = sim.legs[rail_leg_id]
        assert leg.trip_id is not None
        self._draw_delay(sim, leg.trip_id, now)
        self._ride(sim, leg, now)

    def dropped_off(self, sim: DayEvents, booking_id: str, now: int) -> None:
        """A feeder set the rider down at the station: the train's delay becomes known, missed trains re-plan."""
        leg = sim.legs.get(booking_id)
        if leg is None or not leg.trip_id:
            return
        following = sorted((x for x in sim.legs.values() if x.trip_id == leg.trip_id and x.leg_index > leg.leg_index),
                           key=lambda x: x.leg_index)
        if not following or following[0].mode != "rail":
            return
        self._draw_delay(sim, leg.trip_id, now)
        self.planner.reached_station(booking_id, now)
        self._ride(sim, following[0], now)
        sim.wake_idle(now)

    def _draw_delay(self, sim: DayEvents, trip_id: str, now: int) -> None:
        """The delay of the trip's train becomes known (drawn once per train; the planner re-plans onward legs)."""
        found = self.planner.itinerary(trip_id).rail_leg()
        train = (found[1].train_id if found is not None else None) or ""
        if not train or train in self.delays:
            return
        delay = int(self.rng.expovariate(1 / self.delay_mean_s)) if self.delay_mean_s > 0 else 0
        self.delays[train] = delay
        if delay > 0:
            self.planner.train_delayed(train, delay, now)
            sim.wake_idle(now)

    def _ride(self, sim: DayEvents, rail: LegRecord, now: int) -> None:
        """Realise the train ride at the timetable's times plus the train's delay."""
        assert rail.trip_id is not None
        found = self.planner.itinerary(rail.trip_id).rail_leg()
        if found is None or rail.status != "confirmed":
            return
        leg = found[1]
        depart = leg.connection.departure if leg.connection is not None else leg.depart
        arrive = leg.connection.arrival if leg.connection is not None else leg.arrive
        rail.train_id = leg.train_id or ""
        if now > depart:
            rail.status = "missed"  # no later train could be found for the rider
            return
        rail.pickup_at, rail.dropoff_at, rail.status = int(depart), int(arrive), "completed"

    def after_no_show(self, sim: DayEvents, booking_id: str, now: int) -> None:
        leg = sim.legs.get(booking_id)
        if leg is None or not leg.trip_id:
            return
        try:
            self.planner.cancel(leg.trip_id, now)
        except DispatchError:
            pass  # the planner already closed the trip
        sim.wake_idle(now)

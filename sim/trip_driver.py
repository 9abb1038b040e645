"""The simulator's front door for bookings: the dispatcher alone, or the wide-area trip planner on top of it.

``municipal`` and ``wide_area_direct`` book straight into the :class:`dispatch.Dispatcher`. For the wide
area models the crossing rules of the scenario admit or refuse a cross-municipal request first (the
planner does this itself when it is in use). ``wide_area_rail`` books through
:class:`dispatch.trips.TripPlanner` (chains feeder -> Joshin train -> feeder); the train legs are
realised at the timetable's times plus a simulated delay.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from dispatch.errors import DispatchError
from dispatch.model import Booking, Offer, Rejection, RejectionReason
from sim.fleet import CrossingRules

if TYPE_CHECKING:
    from sim.engine import DaySimulation
    from sim.records import LegRecord


class TripDriver:
    """Books straight into the dispatcher; cross-municipal requests pass ``crossing`` first (if given)."""

    def __init__(self, dispatcher, crossing: CrossingRules | None = None) -> None:
        self.d = dispatcher
        self.crossing = crossing

    def request(self, booking: Booking, now: int) -> Offer | Rejection:
        if self.crossing is not None and not self.crossing.allows(
            booking.pickup.jis_code, booking.dropoff.jis_code, booking.pickup.stop_id, booking.dropoff.stop_id
        ):
            return Rejection(booking.id, RejectionReason.OUTSIDE_SERVICE_AREA,
                             "this operating model carries riders across these municipal lines only to its "
                             "configured destinations")
        return self.d.request(booking, now)

    def confirm(self, booking_id: str, now: int) -> Offer:
        return self.d.confirm(booking_id, now)

    def decline(self, booking_id: str, now: int) -> None:
        self.d.decline(booking_id, now)

    def cancel(self, booking_id: str, now: int) -> None:
        self.d.cancel(booking_id, now)

    def schedule_train(self, sim: DaySimulation, leg: LegRecord) -> None:
        raise NotImplementedError("rail legs need the trip planner (wide_area_rail)")

    def dropped_off(self, sim: DaySimulation, booking_id: str, now: int) -> None:
        """A leg ended; nothing follows it without the trip planner."""

    def after_no_show(self, sim: DaySimulation, booking_id: str, now: int) -> None:
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

    def schedule_train(self, sim: DaySimulation, leg: LegRecord) -> None:
        """Realise the train leg: departure (with a delay drawn once per train), then arrival."""
        from sim.engine import TRAIN

        sim.push(leg.expected_pickup or 0, TRAIN, "train", self._depart, leg.id)

    def _depart(self, sim: DaySimulation, now: int, leg_id: str) -> None:
        from sim.engine import TRAIN

        leg = sim.legs[leg_id]
        train = leg.train_id
        if train not in self.delays:
            delay = int(self.rng.expovariate(1 / self.delay_mean_s)) if self.delay_mean_s > 0 else 0
            self.delays[train] = delay
            if delay > 0:
                self.planner.train_delayed(train, delay, now)
                sim._wake_idle(now)
        delay = self.delays[train]
        before = [x for x in sim.legs.values() if x.trip_id == leg.trip_id and x.leg_index < leg.leg_index]
        if leg.status != "confirmed" or any(x.status != "completed" for x in before):
            if leg.status == "confirmed":
                leg.status = "no_show"  # the rider never reached the train
            return
        leg.pickup_at = (leg.expected_pickup or now) + delay
        sim.push((leg.expected_dropoff or now) + delay, TRAIN, "train", self._arrive, leg_id)

    def _arrive(self, sim: DaySimulation, now: int, leg_id: str) -> None:
        leg = sim.legs[leg_id]
        leg.dropoff_at = now
        leg.status = "completed"

    def dropped_off(self, sim: DaySimulation, booking_id: str, now: int) -> None:
        leg = sim.legs.get(booking_id)
        if leg is None or not leg.trip_id:
            return
        following = [x for x in sim.legs.values() if x.trip_id == leg.trip_id and x.leg_index > leg.leg_index]
        if following and following[0].mode == "rail":
            self.planner.reached_station(booking_id, now)
            sim._wake_idle(now)

    def after_no_show(self, sim: DaySimulation, booking_id: str, now: int) -> None:
        leg = sim.legs.get(booking_id)
        if leg is None or not leg.trip_id:
            return
        try:
            self.planner.cancel(leg.trip_id, now)
        except DispatchError:
            pass  # the planner already closed the trip
        sim._wake_idle(now)

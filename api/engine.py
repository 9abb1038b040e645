"""One service day of one area as the writer drives it: the Dispatcher, and the wide-area TripPlanner on
top of it when an operating model is configured.

No dispatch logic here: each call is routed to the planner (bookings that may span fleets and trains) or
the dispatcher (everything else). With a planner, a caller's booking id is the trip's id; the legs are
dispatcher bookings ``"<id>/<leg>"`` (``leg_owner`` maps them back for records and manifests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from dispatch.errors import BookingStateError
from dispatch.model import Booking, BookingStatus, Location, Offer, Rejection


def leg_owner(booking_id: str) -> str:
    """The caller's booking id of a dispatcher booking id (a trip leg ``bk-1/0`` belongs to ``bk-1``)."""
    return booking_id.split("/", 1)[0]


@dataclass(frozen=True)
class Replan:
    """What a rail disruption changed: re-planned taxi leg ids, each trip's new offer, legs left at risk."""

    legs: list[str]
    offers: dict[str, Offer]
    at_risk: list[str]


class BookingState(NamedTuple):
    """What the writer copies from the engine into a caller's booking record after every change.

    ``pickup`` and ``dropoff`` are the planned service starts (seconds since midnight; None once done or
    when not planned), ``pinned_to`` the vehicle a dispatcher pinned the booking to.
    """

    status: str
    vehicle_id: str | None
    pinned_to: str | None = None
    pickup: int | None = None
    dropoff: int | None = None


class DayEngine:
    """The dispatcher of a day, with the trip planner in front of it when there is one."""

    def __init__(self, dispatcher: Any, planner: Any | None = None,
                 vehicle_of: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.dispatcher = dispatcher
        self.planner = planner
        self.vehicle_of = vehicle_of  # stored vehicle definition -> engine Vehicle (:meth:`api.world.World.vehicle`)

    # ------------------------------------------------------------------ bookings
    def request(self, booking: Booking, now: int) -> Offer | Rejection:
        return (self.planner or self.dispatcher).request(booking, now)

    def confirm(self, booking_id: str, now: int) -> Offer:
        return (self.planner or self.dispatcher).confirm(booking_id, now)

    def decline(self, booking_id: str, now: int) -> None:
        (self.planner or self.dispatcher).decline(booking_id, now)

    def cancel(self, booking_id: str, now: int) -> None:
        (self.planner or self.dispatcher).cancel(booking_id, now)

    def _multi_leg(self, booking_id: str) -> bool:
        if self.planner is None:
            return False
        try:
            return len(self.planner.itinerary(booking_id).legs) > 1
        except KeyError:
            return False

    def modify(self, booking_id: str, now: int, **changes: Any) -> Offer | Rejection:
        if self._multi_leg(booking_id):
            raise BookingStateError(f"booking {booking_id!r} is a trip with several legs: cancel it and book anew")
        return self.dispatcher.modify(booking_id, now, **changes)

    def reassign(self, booking_id: str, vehicle_id: str, now: int, pin: bool = True) -> Any:
        return self.dispatcher.reassign(self._single_leg(booking_id, "reassign"), vehicle_id, now, pin=pin)

    def unpin(self, booking_id: str) -> bool:
        return self.dispatcher.unpin(self._single_leg(booking_id, "unpin"))

    def lock_sequence(self, vehicle_id: str, stops: list[tuple[str, str]], now: int) -> Any:
        """Lock the vehicle's next stops in this order (``(booking id, "pickup" | "dropoff")``); see the Dispatcher."""
        legs = [(self._single_leg(bid, "lock a stop of"), kind) for bid, kind in stops]
        return self.dispatcher.lock_sequence(vehicle_id, legs, now)

    def unlock_sequence(self, vehicle_id: str) -> bool:
        return self.dispatcher.unlock_sequence(vehicle_id)

    def sequence_locks(self) -> dict[str, list[tuple[str, str]]]:
        return self.dispatcher.sequence_locks()

    def _single_leg(self, booking_id: str, action: str) -> str:
        """The dispatcher booking of a caller's id (a single taxi ride keeps the caller's id)."""
        if self._multi_leg(booking_id):
            raise BookingStateError(f"booking {booking_id!r} has several legs: {action} one leg ({booking_id}/N)")
        return booking_id

    def reoptimise(self, now: int, time_limit_s: float | None = None) -> Any:
        return self.dispatcher.reoptimise(now, time_limit_s=time_limit_s)

    def refit(self, orders: dict[str, list[tuple[str, str]]], now: int, searched: Any = None) -> Any:
        """Publish visit orders a search found on an earlier copy of this day, if they still fit now."""
        return self.dispatcher.refit(orders, now, searched)

    # ------------------------------------------------------------------ execution events
    def update_position(self, vehicle_id: str, location: Location, now: int) -> None:
        self.dispatcher.update_position(vehicle_id, location, now)

    def arrive(self, vehicle_id: str, booking_id: str, now: int, stop: str | None = None) -> None:
        self.dispatcher.arrive(vehicle_id, booking_id, now, stop=stop)

    def board(self, vehicle_id: str, booking_id: str, now: int) -> None:
        self.dispatcher.board(vehicle_id, booking_id, now)

    def drop_off(self, vehicle_id: str, booking_id: str, now: int) -> Replan | None:
        """Set the rider down; a feeder leg at the station may have missed its train (then: re-planned)."""
        self.dispatcher.drop_off(vehicle_id, booking_id, now)
        if self.planner is None or booking_id == leg_owner(booking_id):
            return None
        legs = self.planner.reached_station(booking_id, now)
        trip = self.planner.itinerary(booking_id)
        return self._replan([trip.id], legs) if legs or trip.at_risk else None

    def no_show(self, vehicle_id: str, booking_id: str, now: int) -> None:
        self.dispatcher.no_show(vehicle_id, booking_id, now)

    def start_shift(self, vehicle_id: str, now: int) -> None:
        self.dispatcher.start_shift(vehicle_id, now)

    def end_shift(self, vehicle_id: str, now: int) -> None:
        self.dispatcher.end_shift(vehicle_id, now)

    def start_break(self, vehicle_id: str, break_id: str, now: int) -> None:
        self.dispatcher.start_break(vehicle_id, break_id, now)

    def end_break(self, vehicle_id: str, break_id: str, now: int) -> None:
        self.dispatcher.end_break(vehicle_id, break_id, now)

    # ------------------------------------------------------------------ fleet
    def add_vehicle(self, definition: dict[str, Any], now: int) -> bool:
        """A vehicle registered after the day's plan exists joins it; False if the day has it already.

        (A day first loaded after the registration was built with the vehicle: the command is then a no-op.)
        """
        if any(v.id == definition["id"] for v in self.dispatcher.vehicles):
            return False
        if self.vehicle_of is None:
            raise BookingStateError("this engine cannot take new vehicles (no vehicle definitions)")
        self.dispatcher.add_vehicle(self.vehicle_of(definition), now)
        return True

    # ------------------------------------------------------------------ rail disruptions
    def train_delayed(self, train_id: str, delay_s: int, now: int) -> Replan:
        """Record a train's delay and re-plan the onward legs of the trips riding it."""
        if self.planner is None or not self.planner.model.rail_feeding:
            raise BookingStateError("the operating model has no rail feeding: there are no train connections")
        trips = self.planner.trips_on(train_id)
        return self._replan(trips, self.planner.train_delayed(train_id, delay_s, now))

    def _replan(self, trip_ids: list[str], legs: list[str]) -> Replan:
        assert self.planner is not None
        offers, at_risk = {}, []
        for trip_id in trip_ids:
            itinerary = self.planner.itinerary(trip_id)
            offers[trip_id] = itinerary.to_offer()
            at_risk += itinerary.at_risk
        return Replan(legs, offers, at_risk)

    # ------------------------------------------------------------------ views
    def plans(self) -> dict[str, Any]:
        return self.dispatcher.plans()

    def plan(self, vehicle_id: str) -> Any:
        return self.dispatcher.plan(vehicle_id)

    def manifest(self, vehicle_id: str) -> list[Any]:
        return self.dispatcher.manifest(vehicle_id)

    @property
    def stats(self) -> Any:
        return self.dispatcher.stats

    def states(self) -> dict[str, BookingState]:
        """Caller's booking id -> its :class:`BookingState` as the engine sees it now."""
        vehicle_of: dict[str, str] = {}
        times: dict[str, dict[str, int]] = {}
        for vehicle_id, plan in self.dispatcher.plans().items():
            for stop in plan.stops:
                vehicle_of[stop.booking_id] = vehicle_id
                times.setdefault(stop.booking_id, {})[str(stop.kind)] = stop.service_start
        pins = self.dispatcher.pins()
        trips = self.planner.itineraries() if self.planner is not None else []
        legs = {bid for trip in trips for bid in trip.leg_booking_ids}

        def state(booking_id: str, status: str, vehicle: str | None) -> BookingState:
            planned = times.get(booking_id, {})
            return BookingState(status, vehicle, pins.get(booking_id), planned.get("pickup"), planned.get("dropoff"))

        out = {b.id: state(b.id, str(b.status), vehicle_of.get(b.id))
               for b in self.dispatcher.bookings() if b.id not in legs}
        for trip in trips:
            status, vehicle = self._trip_status(trip), self._first_vehicle(trip, vehicle_of)
            pinned = next((pins[bid] for bid in trip.leg_booking_ids if bid in pins), None)
            out[trip.id] = BookingState(status, vehicle, pinned)
        return out

    def _trip_status(self, trip: Any) -> str:
        if trip.status in (BookingStatus.CANCELLED, BookingStatus.REJECTED):
            return str(trip.status)
        statuses = [self.dispatcher.booking(bid).status for bid in trip.leg_booking_ids]
        if statuses and all(s == BookingStatus.COMPLETED for s in statuses):
            return str(BookingStatus.COMPLETED)
        rode = any(s in (BookingStatus.ONBOARD, BookingStatus.COMPLETED) for s in statuses)
        if BookingStatus.NO_SHOW in statuses and not rode:
            return str(BookingStatus.NO_SHOW)  # the rider never came: the trip ends there (the day can close)
        ended = (BookingStatus.COMPLETED, BookingStatus.NO_SHOW, BookingStatus.CANCELLED)
        if statuses and rode and all(s in ended for s in statuses):
            return str(BookingStatus.COMPLETED)  # rode a leg, then missed a later one: the trip is over
        if any(s in (BookingStatus.ONBOARD, BookingStatus.COMPLETED) for s in statuses):
            return str(BookingStatus.ONBOARD)  # on a taxi leg or on the train between them
        return str(trip.status)

    @staticmethod
    def _first_vehicle(trip: Any, vehicle_of: dict[str, str]) -> str | None:
        for leg in trip.legs:
            if leg.booking_id is not None and (leg.vehicle_id or vehicle_of.get(leg.booking_id)):
                return leg.vehicle_id or vehicle_of.get(leg.booking_id)
        return None

    # ------------------------------------------------------------------ persistence
    def snapshot(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """(dispatcher snapshot, planner snapshot or None), both JSON-safe."""
        return self.dispatcher.snapshot(), (self.planner.snapshot() if self.planner is not None else None)

"""The run's record of rider legs: one per booking, or one per taxi and train leg of a chain."""

from __future__ import annotations

from collections.abc import Callable

from dispatch.model import Booking, Offer
from sim.movement import Mover
from sim.records import LegRecord

# The planned legs of a booked trip (dispatch.trips.Leg), or None for a plain booking.
PlannedLegs = Callable[[str], "list | None"]


class LegBook:
    """Leg records of one day, and which bookings will be no-shows.

    Parameters
    ----------
    day
        Day index.
    mover
        Road costs (direct times and distances of each leg).
    planned_legs
        The legs of a chained trip by booking id (the trip driver knows them), None for a plain booking.
    """

    def __init__(self, day: int, mover: Mover, planned_legs: PlannedLegs) -> None:
        self.day = day
        self.mover = mover
        self.planned_legs = planned_legs
        self.legs: dict[str, LegRecord] = {}
        self.no_shows: set[str] = set()

    def from_request(self, request, booking: Booking | None) -> LegRecord:
        leg = LegRecord(
            id=request.id, day=self.day, mode="drt", booked_at=request.booked_at,
            requested_time=request.requested_time, time_kind=request.time_kind.value,
            origin=request.origin.label, destination=request.destination.label,
            origin_jis=booking.pickup.jis_code if booking else request.origin.jis_code,
            destination_jis=booking.dropoff.jis_code if booking else request.destination.jis_code,
            seats=request.seats, wheelchairs=request.wheelchairs, purpose=request.purpose, home_jis=request.home_jis,
        )
        if booking is not None:
            leg.walk_s = float(booking.pickup.access_s + booking.dropoff.access_s)
            leg.direct_s = self.mover.travel_time(booking.pickup.node, booking.dropoff.node)
            leg.direct_m = float(self.mover.network.distance(booking.pickup.node, booking.dropoff.node))
        self.legs[request.id] = leg
        return leg

    def from_offer(self, request, booking: Booking, offer: Offer) -> None:
        """One record per leg: the single ride, or the taxi and train legs of a chain (walks are not legs)."""
        planned = self.planned_legs(booking.id)
        if planned is None or (len(planned) == 1 and planned[0].mode == "drt"):
            leg = self.from_request(request, booking)
            self._fill_promise(leg, offer.vehicle_id, offer.pickup_window, offer.expected_pickup,
                               offer.expected_dropoff, offer.fare_yen)
            return
        for index, part in enumerate(planned):
            if part.mode == "walk":
                continue
            leg_id = part.booking_id or f"{request.id}/{index}"
            leg = LegRecord(
                id=leg_id, day=self.day, mode=part.mode, booked_at=request.booked_at,
                requested_time=part.pickup_window[0] if part.pickup_window else part.depart,
                time_kind="depart_after", origin=part.origin.stop_id or part.origin.name,
                destination=part.destination.stop_id or part.destination.name, origin_jis=part.origin.jis_code,
                destination_jis=part.destination.jis_code, seats=request.seats, wheelchairs=request.wheelchairs,
                purpose=request.purpose, home_jis=request.home_jis, trip_id=request.id, leg_index=index,
                train_id=part.train_id or "", direct_s=float(part.direct_s),
            )
            self.legs[leg_id] = leg
            if part.mode == "drt":
                leg.walk_s = float(part.origin.access_s + part.destination.access_s)
                leg.direct_m = float(self.mover.network.distance(part.origin.node, part.destination.node))
                self._fill_promise(leg, part.vehicle_id or "", part.promised_window, part.depart, part.arrive,
                                   part.fare_yen)
            else:
                leg.status = "confirmed"
                leg.expected_pickup, leg.expected_dropoff, leg.fare_yen = part.depart, part.arrive, part.fare_yen
        self.no_shows.discard(request.id)
        first_taxi = next((p for p in planned if p.mode == "drt" and p.booking_id), None)
        if request.no_show and first_taxi is not None:
            self.no_shows.add(first_taxi.booking_id)  # the rider misses the first taxi, not a later one

    def _fill_promise(self, leg: LegRecord, vehicle_id: str, window, expected_pickup, expected_dropoff,
                      fare: int) -> None:
        leg.status = "confirmed"
        leg.vehicle_id = vehicle_id
        if window is not None:
            leg.promised_start, leg.promised_end = int(window[0]), int(window[1])
        leg.expected_pickup, leg.expected_dropoff = expected_pickup, expected_dropoff
        leg.fare_yen = fare


    def refresh_promise(self, leg: LegRecord, offer: Offer | None) -> None:
        """Take the leg's current promise (the trip planner moves onward legs when a train runs late)."""
        if offer is not None and offer.pickup_window is not None:
            leg.promised_start, leg.promised_end = int(offer.pickup_window[0]), int(offer.pickup_window[1])
            leg.requested_time = leg.promised_start

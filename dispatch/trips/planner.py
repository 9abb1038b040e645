"""The trip planner: chooses direct or feeder -> train -> feeder by generalised cost, on top of the Dispatcher.

It composes the shared :class:`dispatch.online.dispatcher.Dispatcher` and copies none of its logic: every taxi
leg is an ordinary booking (``trip_id``, ``leg_index``, ``fleet`` and window overrides set), inserted by
the dispatcher's cheapest insertion. A multi-leg offer is all or nothing: when a leg does not fit, the
legs already held are declined and the next option is tried. Riders for the same hub and train get the
same feeder windows, so insertion pools them onto one van. Times in seconds since midnight, money yen.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dispatch.errors import BookingNotFound, BookingStateError, InvalidBooking, InvalidEvent
from dispatch.model import (
    Booking,
    BookingRejected,
    BookingStatus,
    Offer,
    Rejection,
    RejectionReason,
    TimeKind,
)
from dispatch.online.admission import hhmm
from dispatch.rail.timetable import Timetable
from dispatch.trips import replan, snapshot
from dispatch.trips.itinerary import DRT, RAIL, Itinerary, Leg, TripOption
from dispatch.trips.operating_model import OperatingModel
from dispatch.trips.options import OptionBuilder, PlanningNetwork
from routing.errors import RoutingError

if TYPE_CHECKING:
    from dispatch.online.dispatcher import Dispatcher

_TIME_REASONS = frozenset(
    {RejectionReason.OUTSIDE_SERVICE_HOURS, RejectionReason.TOO_LITTLE_NOTICE, RejectionReason.BEYOND_HORIZON}
)
#: Offsets (minutes) of the asked time probed for alternatives when no option fits.
ALTERNATIVE_STEPS_MIN = (30, -30, 60, -60)


class TripPlanner:
    """Plans, books and re-plans trips across municipal lines.

    Parameters
    ----------
    dispatcher
        The shared dispatcher of the service day (its rules and vehicles are used as they are).
    network
        Road network (drive times, stations, zones).
    timetable
        Trains of the service day (delays are recorded on it).
    model
        Operating model: fleets, direct crossings, hubs, weights, fares.
    max_options
        Most options tried, cheapest first, before the booking is rejected.
    max_alternatives
        Most alternative times offered with a rejection (each probed by a real insertion, then released).
    """

    def __init__(self, dispatcher: Dispatcher, network: PlanningNetwork, timetable: Timetable,
                 model: OperatingModel, *, max_options: int = 6, max_alternatives: int = 2) -> None:
        self.dispatcher = dispatcher
        self.timetable = timetable
        self.model = model
        self.rules = dispatcher.rules
        self.builder = OptionBuilder(network, timetable, model, self.rules)
        self.max_options = max_options
        self.max_alternatives = max_alternatives
        self._trips: dict[str, Itinerary] = {}
        self._owner: dict[str, str] = {}

    # ------------------------------------------------------------------ queries
    def options(self, booking: Booking) -> list[TripOption]:
        """Every option for ``booking`` with times, vehicle-km, fare and generalised cost, cheapest first."""
        return self.builder.options(booking)

    def itinerary(self, booking_id: str) -> Itinerary:
        """The trip of ``booking_id`` (the caller's id or one of its leg booking ids), legs refreshed."""
        trip_id = self._owner.get(booking_id, booking_id)
        try:
            itinerary = self._trips[trip_id]
        except KeyError:
            raise BookingNotFound(f"no trip {booking_id!r}") from None
        self._refresh(itinerary)
        return itinerary

    def itineraries(self) -> list[Itinerary]:
        for itinerary in self._trips.values():
            self._refresh(itinerary)
        return list(self._trips.values())

    def trips_on(self, train_id: str) -> list[str]:
        """Ids of the active trips whose rail leg is ``train_id`` (booking order)."""
        out = []
        for itinerary in self._trips.values():
            found = itinerary.rail_leg()
            if itinerary.status.is_active and found is not None and found[1].train_id == train_id:
                out.append(itinerary.id)
        return out

    # ------------------------------------------------------------------ persistence
    def snapshot(self) -> dict[str, Any]:
        """JSON-safe planner state (itineraries with their train legs, train delays); pair it with
        :meth:`Dispatcher.snapshot`, which holds the taxi legs."""
        return snapshot.dump(list(self._trips.values()), self.timetable.delays)

    @classmethod
    def restore(cls, data: dict[str, Any], dispatcher: Dispatcher, network: PlanningNetwork, timetable: Timetable,
                model: OperatingModel, **kwargs: Any) -> TripPlanner:
        """Rebuild a planner from :meth:`snapshot` over a restored dispatcher and the day's timetable."""
        planner = cls(dispatcher, network, timetable, model, **kwargs)
        itineraries, delays = snapshot.load(data)
        for train_id, delay_s in delays.items():
            timetable.set_delay(train_id, delay_s)
        for itinerary in itineraries:
            planner._trips[itinerary.id] = itinerary
            for bid in itinerary.leg_booking_ids:
                planner._owner[bid] = itinerary.id
        return planner

    # ------------------------------------------------------------------ booking
    def request(self, booking: Booking, now: int) -> Offer | Rejection:
        """Offer the cheapest option that fits (every leg held in the dispatcher), or reject with reasons.

        Raises
        ------
        InvalidBooking
            Malformed booking, or its id is already an active trip.
        """
        old = self._trips.get(booking.id)
        if old is not None and old.status.is_active:
            raise InvalidBooking(f"booking id {booking.id!r} is already in use ({old.status})")
        try:
            options = self.options(booking)
        except RoutingError as exc:
            raise InvalidBooking(f"booking {booking.id!r}: {exc}") from exc
        if not options:
            return Rejection(booking.id, RejectionReason.OUTSIDE_SERVICE_AREA,
                             "no fleet serves this trip directly and no train connection with a feeder taxi fits "
                             "(a trip that needs no taxi, walk and train only, is not booked here)")
        rejections: list[tuple[TripOption, Rejection]] = []
        for option in options[: self.max_options]:
            placed = self._insert(booking, option, now)
            if isinstance(placed, Itinerary):
                self._trips[booking.id] = placed
                for bid in placed.leg_booking_ids:
                    self._owner[bid] = booking.id
                return placed.to_offer()
            rejections.append((option, placed))
        return self._rejection(booking, rejections, now)

    def confirm(self, booking_id: str, now: int) -> Offer:
        """Confirm every leg of the trip; if one no longer fits, all are released and BookingRejected raised."""
        itinerary = self._trip(booking_id)
        confirmed: list[str] = []
        for i, leg in enumerate(itinerary.legs):
            if leg.mode != DRT or leg.booking_id is None:
                continue
            try:
                offer = self.dispatcher.confirm(leg.booking_id, now)
            except BookingRejected as exc:
                self._release(itinerary, now)
                itinerary.status = BookingStatus.REJECTED
                raise BookingRejected(replace(exc.rejection, booking_id=itinerary.id)) from exc
            confirmed.append(leg.booking_id)
            itinerary.replace_leg(i, vehicle_id=offer.vehicle_id, promised_window=offer.pickup_window,
                                  depart=offer.expected_pickup, arrive=offer.expected_dropoff)
        itinerary.status = BookingStatus.CONFIRMED
        return itinerary.to_offer()

    def decline(self, booking_id: str, now: int) -> None:
        """The caller said no: release every held leg."""
        itinerary = self._trip(booking_id)
        if itinerary.status != BookingStatus.OFFERED:
            raise BookingStateError(f"trip {booking_id!r} has no open offer to decline: it is {itinerary.status}")
        self._release(itinerary, now)
        itinerary.status = BookingStatus.CANCELLED

    def cancel(self, booking_id: str, now: int) -> None:
        """Cancel the trip's legs that have not started; a rider on board must be dropped off first."""
        itinerary = self._trip(booking_id)
        if itinerary.status == BookingStatus.CANCELLED:
            return
        statuses = {bid: self.dispatcher.booking(bid).status for bid in itinerary.leg_booking_ids}
        onboard = [bid for bid, st in statuses.items() if st == BookingStatus.ONBOARD]
        if onboard:
            raise BookingStateError(f"trip {booking_id!r} has a rider on board ({', '.join(onboard)}): drop off first")
        for bid, status in statuses.items():
            if not status.is_final:
                self.dispatcher.cancel(bid, now)
        itinerary.status = BookingStatus.CANCELLED

    # ------------------------------------------------------------------ disruptions
    def train_delayed(self, train_id: str, delay_s: int, now: int) -> list[str]:
        """Record that ``train_id`` runs ``delay_s`` s late and re-plan the onward legs of its riders.

        Returns
        -------
        list of str
            Leg booking ids whose taxi was re-planned (the riders' bookings are kept).

        Raises
        ------
        InvalidEvent
            The day has no such train, or the delay is negative.
        """
        if train_id not in self.timetable.trains:
            raise InvalidEvent(f"no train {train_id!r} in the day's timetable")
        if delay_s < 0:
            raise InvalidEvent(f"a delay cannot be negative (train {train_id}: {delay_s} s)")
        self.timetable.set_delay(train_id, delay_s)
        replanned: list[str] = []
        for trip_id in self.trips_on(train_id):
            itinerary = self._trips[trip_id]
            found = itinerary.rail_leg()
            assert found is not None
            index, leg = found
            assert leg.connection is not None
            conn = self.timetable.connection(train_id, leg.connection.from_stop, leg.connection.to_stop)
            assert conn is not None
            replan.retime_train(itinerary, index, conn)
            replanned += replan.shift_onward(self.dispatcher, itinerary, index, self.model.station_access,
                                             self.rules, now)
        return replanned

    def reached_station(self, leg_booking_id: str, now: int) -> list[str]:
        """The feeder dropped the rider at the station at ``now``: if the train is missed, take the next one.

        Returns the re-planned onward leg booking ids (empty when the connection holds or no later train
        exists; the latter also flags the trip ``at_risk``).
        """
        itinerary = self._trip(leg_booking_id)
        found = itinerary.rail_leg()
        if found is None:
            return []
        index, leg = found
        feeder = next((i for i, x in enumerate(itinerary.legs) if x.booking_id == leg_booking_id), None)
        if feeder is None or feeder > index:
            return []  # not the leg that brings the rider to the train
        assert leg.connection is not None
        conn = self.timetable.connection(leg.connection.train_id, leg.connection.from_stop, leg.connection.to_stop)
        station = leg.origin.stop_id or ""
        if conn is None or not replan.missed(conn, now, self.model.station_access, station):
            return []
        later = replan.later_train(self.timetable, conn, now + self.model.station_access.access_at(station))
        if later is None:
            if leg_booking_id not in itinerary.at_risk:
                itinerary.at_risk.append(leg_booking_id)
            return []
        replan.retime_train(itinerary, index, later)
        return replan.shift_onward(self.dispatcher, itinerary, index, self.model.station_access, self.rules, now)

    # ------------------------------------------------------------------ internals
    def _trip(self, booking_id: str) -> Itinerary:
        trip_id = self._owner.get(booking_id, booking_id)
        try:
            return self._trips[trip_id]
        except KeyError:
            raise BookingNotFound(f"no trip {booking_id!r}") from None

    def _leg_booking(self, booking: Booking, option: TripOption, index: int, leg: Leg) -> Booking:
        if len(option.legs) == 1:
            # a single taxi ride keeps the caller's id, time and windows as asked
            return replace(booking, fleet=leg.fleet, trip_id=booking.id, leg_index=0)
        assert leg.pickup_window is not None
        return replace(
            booking,
            id=f"{booking.id}/{index}",
            pickup=leg.origin,
            dropoff=leg.destination,
            requested_time=leg.pickup_window[0],
            time_kind=TimeKind.DEPART_AFTER,
            pickup_window=leg.pickup_window,
            dropoff_window=leg.dropoff_window,
            trip_id=booking.id,
            leg_index=index,
            fleet=leg.fleet,
            status=BookingStatus.REQUESTED,
        )

    def _insert(self, booking: Booking, option: TripOption, now: int) -> Itinerary | Rejection:
        """Hold every taxi leg of ``option`` in the dispatcher, or none of them."""
        legs = list(option.legs)
        held: list[str] = []
        for i, leg in enumerate(legs):
            if leg.mode != DRT:
                continue
            leg_booking = self._leg_booking(booking, option, i, leg)
            answer = self.dispatcher.request(leg_booking, now)
            if isinstance(answer, Offer):
                held.append(leg_booking.id)
            if isinstance(answer, Rejection):
                for bid in held:
                    self.dispatcher.decline(bid, now)
                return answer
            legs[i] = replace(leg, booking_id=leg_booking.id, vehicle_id=answer.vehicle_id,
                              promised_window=answer.pickup_window, depart=answer.expected_pickup,
                              arrive=answer.expected_dropoff)
        broken = connection_problems(legs, self.model, self.rules.dwell_s(booking.seats, booking.wheelchairs))
        if broken:
            for bid in held:
                self.dispatcher.decline(bid, now)
            return Rejection(booking.id, RejectionReason.NO_VEHICLE_AVAILABLE, "; ".join(broken))
        return Itinerary(booking.with_status(BookingStatus.OFFERED), option, legs)

    def _release(self, itinerary: Itinerary, now: int) -> None:
        for bid in itinerary.leg_booking_ids:
            status = self.dispatcher.booking(bid).status
            if status == BookingStatus.OFFERED or status == BookingStatus.REQUESTED:
                self.dispatcher.decline(bid, now)
            elif not status.is_final and status != BookingStatus.ONBOARD:
                self.dispatcher.cancel(bid, now)

    def _refresh(self, itinerary: Itinerary) -> None:
        """Take the dispatcher's latest times and vehicles into the legs; derive the trip status."""
        statuses = []
        for i, leg in enumerate(itinerary.legs):
            if leg.mode != DRT or leg.booking_id is None:
                continue
            booking = self.dispatcher.booking(leg.booking_id)
            statuses.append(booking.status)
            offer = self.dispatcher.offer(leg.booking_id)
            if offer is not None and booking.status.is_active:
                itinerary.replace_leg(i, vehicle_id=offer.vehicle_id, promised_window=offer.pickup_window,
                                      depart=offer.expected_pickup, arrive=offer.expected_dropoff)
        if statuses and all(s == BookingStatus.COMPLETED for s in statuses):
            itinerary.status = BookingStatus.COMPLETED
        elif any(s == BookingStatus.ONBOARD for s in statuses) and itinerary.status.is_active:
            itinerary.status = BookingStatus.ONBOARD

    def _rejection(self, booking: Booking, tried: list[tuple[TripOption, Rejection]], now: int) -> Rejection:
        reasons = [r.reason for _, r in tried]
        if all(r in _TIME_REASONS for r in reasons):
            reason = reasons[0]
        elif RejectionReason.OUTSIDE_SERVICE_AREA in reasons and len(set(reasons)) == 1:
            reason = RejectionReason.OUTSIDE_SERVICE_AREA
        else:
            reason = RejectionReason.NO_VEHICLE_AVAILABLE
        parts = [f"{opt.kind}{' via train ' + opt.train_id if opt.train_id else ''}: {r.message}" for opt, r in tried]
        alternatives = self._alternatives(booking, now) if reason == RejectionReason.NO_VEHICLE_AVAILABLE else ()
        text = ", ".join(hhmm(t) for t in alternatives)
        message = "no option fits: " + " | ".join(parts) + (f"; feasible nearby: {text}" if text else "")
        return Rejection(booking.id, reason, message, alternatives=tuple(alternatives))

    def _alternatives(self, booking: Booking, now: int) -> tuple[int, ...]:
        """Asked times near the original that an option fits now (probed by insertion, then released)."""
        out: list[int] = []
        for minutes in ALTERNATIVE_STEPS_MIN:
            if len(out) >= self.max_alternatives:
                break
            # probed under an id of its own: a single-ride option keeps the booking's id in the dispatcher, and
            # the released probe left the refused booking there as "cancelled" (the record then said cancelled)
            moved = replace(booking, id=f"{booking.id}~probe", requested_time=booking.requested_time + 60 * minutes)
            for option in self.options(moved)[: self.max_options]:
                placed = self._insert(moved, option, now)
                if isinstance(placed, Itinerary):
                    self._release(placed, now)
                    out.append(moved.requested_time)
                    break
        return tuple(out)


def connection_problems(legs: list[Leg], model: OperatingModel, dwell_s: int = 0) -> list[str]:
    """Check that consecutive legs connect with the inserted taxi times (empty list: they do).

    A feeder must have set the rider down (drop-off start + ``dwell_s``) ``buffer`` seconds before the train
    departs; the onward taxi may not pick up before the train's arrival plus the walk from the platform.
    """
    access = model.station_access
    out = []
    for before, after in zip(legs, legs[1:], strict=False):
        if after.mode == RAIL and before.mode == DRT:
            station = after.origin.stop_id or ""
            if before.arrive + dwell_s + access.buffer_at(station) > after.depart:
                out.append(f"feeder {before.booking_id} reaches {station} at {hhmm(before.arrive)}, too late for "
                           f"train {after.train_id} at {hhmm(after.depart)}")
        if before.mode == RAIL and after.mode == DRT:
            station = before.destination.stop_id or ""
            if after.depart < before.arrive + access.access_at(station):
                out.append(f"onward taxi {after.booking_id} picks up at {hhmm(after.depart)}, before train "
                           f"{before.train_id} arrives at {hhmm(before.arrive)} plus access")
    return out

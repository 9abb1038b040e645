"""Placing one booking: its windows, the insertion search, the rejection and its alternatives, the offer.

The :class:`Placement` works on the fleet and knows the rules; the dispatcher decides when to place,
holds offered slots and counts what happened. Times in seconds since service-day midnight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from dispatch.model import Booking, Offer, Rejection, RejectionReason
from dispatch.online.admission import fleet_rejection, hhmm, stop_rejection, time_rejection
from dispatch.online.fleet import Fleet
from dispatch.online.insertion import Insertion, best_insertion
from dispatch.online.state import BookingRecord
from dispatch.online.windows import BookingWindows, Window, booking_windows, promise_window
from dispatch.priority import reserve_rules
from dispatch.problem import Request, VisitKind
from dispatch.rules import ServiceRules

#: Offsets (minutes) tried for alternative times when nothing fits, nearest first, later before earlier.
ALTERNATIVE_STEPS_MIN = (10, -10, 20, -20, 30, -30, 40, -40, 50, -50, 60, -60, 70, -70, 80, -80, 90, -90)

Found = tuple[Insertion, BookingWindows]


class Placement:
    """Finds where a booking fits and publishes it into a vehicle's plan.

    Parameters
    ----------
    fleet
        The dispatcher's working state.
    rules
        Service rules (windows, ride limits, hours, notice).
    max_alternatives
        Most alternative times proposed when nothing fits.
    """

    def __init__(self, fleet: Fleet, rules: ServiceRules, max_alternatives: int = 3) -> None:
        self.fleet = fleet
        self.rules = rules
        self.max_alternatives = max_alternatives

    def windows(self, booking: Booking, rules: ServiceRules | None = None) -> BookingWindows:
        """The booking's windows under ``rules`` (default: the service rules)."""
        cache = self.fleet.cache
        cache.add([booking.pickup.node, booking.dropoff.node])  # one fetch for both new nodes
        a, b = cache.index(booking.pickup.node), cache.index(booking.dropoff.node)
        return booking_windows(booking, rules or self.rules, float(cache.seconds[a, b]))

    def request_for(self, booking: Booking, windows: BookingWindows, pickup_window: Window | None = None) -> Request:
        """The booking as a required solver request over the travel cache's indices."""
        cache = self.fleet.cache
        return Request(
            id=booking.id,
            pickup=cache.index(booking.pickup.node),
            dropoff=cache.index(booking.dropoff.node),
            pickup_window=pickup_window or windows.pickup,
            dropoff_window=windows.dropoff,
            load=(booking.seats, booking.wheelchairs),
            pickup_service=float(windows.pickup_service_s),
            dropoff_service=float(windows.dropoff_service_s),
            max_ride=float(windows.max_ride_s),
            required=True,
        )

    def search(
        self, booking: Booking, pickup_window: Window | None = None, only: Sequence[str] | None = None,
        rules: ServiceRules | None = None,
    ) -> Found | None:
        """Cheapest feasible insertion of a booking not in any plan (``pickup_window``: keep this promise).

        ``rules``: windows under these rules (a priority booking's reserve). A promise kept for a booking
        with a reserve is searched with the reserve's windows, as its promise may lie beyond the usual wait.
        """
        if rules is None and pickup_window is not None:
            rules = reserve_rules(self.rules, booking)
        windows = self.windows(booking, rules)
        if windows.empty:
            return None
        request = self.request_for(booking, windows, pickup_window)
        if request.pickup_window[0] > request.pickup_window[1]:
            return None
        fleet = self.fleet
        vehicles = fleet.eligible(booking, only)
        found = best_insertion(vehicles, fleet.cache, request, fleet.now, fleet.insertion, fleet.views)
        return None if found is None else (found, windows)

    def place(self, booking: Booking, now: int, only: Sequence[str] | None = None) -> Found | Rejection:
        """Check the rules, then search; a rejection says why and, when full, which times would fit.

        ``only``: the vehicles allowed (a booking pinned to a vehicle is placed on it or not at all).
        """
        on_duty = [vs.vehicle for vs in self.fleet.states.values() if not vs.off_duty]
        rejection = (
            time_rejection(booking, now, self.rules)
            or fleet_rejection(booking, on_duty)
            or stop_rejection(booking, self.rules)
        )
        if rejection is not None:
            return rejection
        found = self.search(booking, only=only)
        if found is None and (reserve := reserve_rules(self.rules, booking)) is not None:
            found = self.search(booking, only=only, rules=reserve)  # a priority booking's wider wait
        if found is not None:
            return found
        if only is not None:
            return Rejection(
                booking.id,
                RejectionReason.NO_VEHICLE_AVAILABLE,
                f"the booking is pinned to {', '.join(only)}, which has no room for it; unpin it to let any"
                " vehicle take it",
            )
        if self.windows(booking).empty:
            return Rejection(
                booking.id,
                RejectionReason.OUTSIDE_SERVICE_HOURS,
                "the trip cannot be made within service hours"
                f" ({hhmm(self.rules.service_start)}-{hhmm(self.rules.service_end)})",
            )
        alternatives = self.alternatives(booking, now)
        text = ", ".join(hhmm(t) for t in alternatives)
        return Rejection(
            booking.id,
            RejectionReason.NO_VEHICLE_AVAILABLE,
            f"no vehicle can take a party of {booking.party_size} at {hhmm(booking.requested_time)}"
            + (f"; nearest feasible: {text}" if text else "; no nearby time is free either"),
            alternatives=tuple(alternatives),
        )

    def alternatives(self, booking: Booking, now: int) -> list[int]:
        """Requested times near the asked one that could be served, nearest first (planner legs: none)."""
        if booking.pickup_window is not None or booking.dropoff_window is not None:
            return []
        out: list[int] = []
        for minutes in ALTERNATIVE_STEPS_MIN:
            if len(out) >= self.max_alternatives:
                break
            moved = replace(booking, requested_time=booking.requested_time + 60 * minutes)
            if time_rejection(moved, now, self.rules) is not None:
                continue
            if self.search(moved) is not None:
                out.append(moved.requested_time)
        return out

    def commit(self, rec: BookingRecord, found: Found, keep_promise: bool = False) -> Offer:
        """Publish an insertion into its vehicle and make (or update) the offer.

        The promise is a ``max_wait``-wide pickup window around the planned pickup (see
        :func:`dispatch.online.windows.promise_window`); ``keep_promise`` keeps the one already made.
        """
        ins, windows = found
        vs = self.fleet.state(ins.vehicle_id)
        bid = rec.id
        pickup = next(v for v in ins.visits if v.request_id == bid and v.kind == VisitKind.PICKUP)
        dropoff = next(v for v in ins.visits if v.request_id == bid and v.kind == VisitKind.DROPOFF)
        if not keep_promise or rec.promised is None:
            request_window = windows.pickup if rec.promised is None else rec.promised
            rec.promised = promise_window(pickup.start, request_window, self.rules.max_wait_s)
        rec.windows = windows
        rec.vehicle_id = vs.id
        vs.sequence = ins.sequence
        self.fleet.retime_with(vs, ins.visits, rec.request(self.fleet.cache))
        rec.offer = Offer(
            booking_id=bid,
            vehicle_id=vs.id,
            pickup_window=rec.promised,
            expected_pickup=int(round(pickup.start)),
            expected_dropoff=int(round(dropoff.start)),
        )
        return rec.offer

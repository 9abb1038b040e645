"""The Dispatcher: one per service day; the API and the simulator both drive it.

It answers a booking while the caller is on the phone (cheapest feasible insertion, :mod:`dispatch.online.insertion`),
holds the offered slot for ``offer_hold_s`` seconds until the caller confirms or declines, keeps every
confirmed promise (pickup window and ride-time limit) through cancellations, edits, execution events
(:class:`dispatch.online.execution.ExecutionEvents`, whose methods it inherits) and OR-Tools re-optimisation
(:mod:`dispatch.online.reoptimise`), and can be saved to and rebuilt from a JSON-safe snapshot
(:mod:`dispatch.online.snapshot`).

Not thread-safe: callers serialise access (the API holds a lock per service day).
Times are seconds since the service day's midnight (Asia/Tokyo); distances metres.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from dispatch.costs import TravelCache, TravelCosts
from dispatch.errors import BookingStateError, InvalidBooking
from dispatch.model import (
    Booking,
    BookingRejected,
    BookingStatus,
    Location,
    Offer,
    Rejection,
    RejectionReason,
    Stop,
    Vehicle,
    VehiclePlan,
)
from dispatch.online import sequence_lock, undo
from dispatch.online import snapshot as snapshot_io
from dispatch.online.admission import check_input, hhmm
from dispatch.online.execution import ExecutionEvents
from dispatch.online.explain import explain, fixed_reasons
from dispatch.online.fleet import Fleet
from dispatch.online.insertion import InsertionParams
from dispatch.online.placement import Placement
from dispatch.online.reoptimise import ReoptimisationResult, pins, refit, reoptimise, sequence_locks
from dispatch.online.state import BookingRecord, VehicleState, plan_view
from dispatch.online.translate import to_problem
from dispatch.rules import ServiceRules
from dispatch.solver.params import SolveParams
from dispatch.stats import DispatchStats
from dispatch.validator import validate

#: Booking fields ``modify`` may change; the rest (id, status, booking time...) belong to the dispatcher.
MODIFIABLE = frozenset(
    {"pickup", "dropoff", "requested_time", "time_kind", "seats", "wheelchairs", "rider_ids", "notes",
     "home_municipality", "fare_class", "pickup_window", "dropoff_window"}
)
_NO_REPLAN = frozenset({"rider_ids", "notes", "home_municipality", "fare_class"})


class Dispatcher(ExecutionEvents):
    """Bookings, offers and vehicle plans of one service day.

    Parameters
    ----------
    costs
        Travel costs between road-graph nodes (:class:`routing.RoadNetwork`, :class:`dispatch.costs.MatrixCosts`).
    vehicles
        The fleet; every vehicle needs at least one :class:`dispatch.model.Shift`.
    rules
        Service rules (defaults: 08:00-17:00, 15 min notice, 5 days horizon, 15 min pickup window).
    service_day
        ISO date this dispatcher plans (bookings for another day are refused as invalid).
    solve_params
        Re-optimisation search parameters; ``time_limit_s`` is the default budget of :meth:`reoptimise`.
    insertion
        Insertion search parameters.
    offer_hold_s
        Seconds an unconfirmed offer holds its slot.
    max_alternatives
        Most alternative times offered with a ``no_vehicle_available`` rejection.
    """

    def __init__(
        self,
        costs: TravelCosts,
        vehicles: Sequence[Vehicle],
        rules: ServiceRules | None = None,
        service_day: str = "",
        solve_params: SolveParams | None = None,
        *,
        insertion: InsertionParams | None = None,
        offer_hold_s: int = 300,
        max_alternatives: int = 3,
    ) -> None:
        self.costs = costs
        self.rules = rules or ServiceRules()
        self.service_day = service_day
        self.solve_params = solve_params or SolveParams()
        self.offer_hold_s = offer_hold_s
        self._vehicles = list(vehicles)
        self._fleet = Fleet(TravelCache(costs), self._vehicles, self.rules, insertion or InsertionParams())
        self._placement = Placement(self._fleet, self.rules, max_alternatives)
        self._held: dict[str, int] = {}
        self.stats = DispatchStats()

    # ------------------------------------------------------------------------------------------ views
    @property
    def max_alternatives(self) -> int:
        return self._placement.max_alternatives

    @max_alternatives.setter
    def max_alternatives(self, value: int) -> None:
        self._placement.max_alternatives = value

    @property
    def vehicles(self) -> list[Vehicle]:
        return list(self._vehicles)

    @property
    def now(self) -> int:
        """Latest time the dispatcher has been told about (seconds)."""
        return self._fleet.now

    def booking(self, booking_id: str) -> Booking:
        return self._fleet.record(booking_id).booking

    def bookings(self) -> list[Booking]:
        return [rec.booking for rec in self._fleet.records.values()]

    def offer(self, booking_id: str) -> Offer | None:
        """The offer last made for a booking (None if it never got one)."""
        return self._fleet.record(booking_id).offer

    def plan(self, vehicle_id: str) -> VehiclePlan:
        vs = self._fleet.state(vehicle_id)
        return plan_view(vs, self._fleet.records, self._fleet.cache, self._fleet.now)

    def plans(self) -> dict[str, VehiclePlan]:
        return {vid: self.plan(vid) for vid in self._fleet.states}

    def manifest(self, vehicle_id: str) -> list[Stop]:
        """The stops the vehicle still has to make, in order (what the driver's tablet shows)."""
        return self.plan(vehicle_id).stops

    def executed(self, vehicle_id: str) -> list[Stop]:
        """Stops the vehicle has made today, with actual times."""
        return list(self._fleet.state(vehicle_id).done)

    def tick(self, now: int) -> None:
        """Let the clock pass to ``now``: lapsed holds expire, stops vehicles must have left for lock, and
        breaks no driver reported are taken as planned (see :meth:`dispatch.online.fleet.Fleet.advance`)."""
        self._advance(now)

    def missed(self, vehicle_id: str) -> list[tuple[int, str, Location]]:
        """Pickups the vehicle drove to where the rider did not come: (arrival s, booking id, place)."""
        return list(self._fleet.state(vehicle_id).missed)

    def check(self) -> list[str]:
        """Every rule the current plans break, as found by :func:`dispatch.validator.validate` (empty = valid).

        Checked against the promises (pickup windows, ride limits, shifts), relaxed only where a vehicle
        already runs late (see :meth:`late_bookings`).
        """
        tr = to_problem(self._fleet, self._fleet.now)
        return [str(v) for v in validate(tr.problem, tr.current)]

    def late_bookings(self) -> dict[str, list[str]]:
        """Per vehicle, bookings whose promise the current plan can no longer keep (reality ran late)."""
        return {vid: list(vs.late) for vid, vs in self._fleet.states.items() if vs.late}

    # ------------------------------------------------------------------------------------- bookings
    def request(self, booking: Booking, now: int) -> Offer | Rejection:
        """Answer a booking at once: an offer holding a slot (status OFFERED) or a rejection with a reason.

        Raises
        ------
        InvalidBooking
            Malformed booking (empty party, same pickup and drop-off, another service day, id in use).
        """
        began = time.perf_counter()
        try:
            check_input(booking, self.service_day)
            old = self._fleet.records.get(booking.id)
            if old is not None and old.booking.status not in (BookingStatus.REJECTED, BookingStatus.CANCELLED):
                raise InvalidBooking(f"booking id {booking.id!r} is already in use ({old.booking.status})")
            self._advance(now)
            booking = replace(
                booking,
                booked_at=now,
                service_day=booking.service_day or self.service_day,
                status=BookingStatus.REQUESTED,
            )
            self.stats.requests += 1
            answer = self._place(booking, now, status=BookingStatus.OFFERED)
            if isinstance(answer, Rejection):
                self._fleet.records[booking.id] = BookingRecord(
                    booking.with_status(BookingStatus.REJECTED), self._placement.windows(booking)
                )
            return answer
        finally:
            self.stats.insertion_seconds += time.perf_counter() - began

    def confirm(self, booking_id: str, now: int) -> Offer:
        """The caller accepts: the offer becomes binding (CONFIRMED).

        An offer whose hold lapsed is re-placed inside the pickup window that was offered; if that no
        longer fits, :class:`BookingRejected` is raised and the booking ends REJECTED.
        """
        rec = self._fleet.record(booking_id)
        self._advance(now)
        status = rec.booking.status
        if status == BookingStatus.OFFERED:
            self._held.pop(booking_id, None)
            rec.hold_until = None
            self._fleet.set_status(rec, BookingStatus.CONFIRMED)
            self.stats.confirmations += 1
            assert rec.offer is not None
            return rec.offer
        if status in (BookingStatus.CONFIRMED, BookingStatus.ASSIGNED, BookingStatus.ONBOARD):
            assert rec.offer is not None
            return rec.offer
        if status == BookingStatus.REQUESTED and rec.expired and rec.promised is not None:
            began = time.perf_counter()
            found = self._placement.search(rec.booking, pickup_window=rec.promised)
            self.stats.insertion_seconds += time.perf_counter() - began
            if found is None:
                self._fleet.set_status(rec, BookingStatus.REJECTED)
                raise BookingRejected(
                    Rejection(
                        booking_id,
                        RejectionReason.NO_VEHICLE_AVAILABLE,
                        f"the offer for {hhmm(rec.promised[0])}-{hhmm(rec.promised[1])} expired and its slot"
                        " has been taken; please request again",
                    )
                )
            offer = self._placement.commit(rec, found)
            self._fleet.set_status(rec, BookingStatus.CONFIRMED)
            self.stats.confirmations += 1
            return offer
        raise BookingStateError(f"booking {booking_id!r} cannot be confirmed: it is {status}")

    def decline(self, booking_id: str, now: int) -> None:
        """The caller says no to the offer: its slot is released (status CANCELLED)."""
        rec = self._fleet.record(booking_id)
        self._advance(now)
        if rec.booking.status == BookingStatus.OFFERED or (
            rec.booking.status == BookingStatus.REQUESTED and rec.expired
        ):
            self._release(rec)
            self.stats.declines += 1
            return
        raise BookingStateError(f"booking {booking_id!r} has no open offer to decline: it is {rec.booking.status}")

    def cancel(self, booking_id: str, now: int) -> None:
        """Cancel a booking that is not yet on board; its room in the plan is freed. Cancelling twice is a no-op."""
        rec = self._fleet.record(booking_id)
        self._advance(now)
        status = rec.booking.status
        if status == BookingStatus.CANCELLED:
            return
        if status == BookingStatus.ONBOARD:
            raise BookingStateError(f"booking {booking_id!r} is on board: drop the party off instead of cancelling")
        if status.is_final:
            raise BookingStateError(f"booking {booking_id!r} is already {status}")
        self._release(rec)
        self.stats.cancellations += 1

    def modify(self, booking_id: str, now: int, **changes: Any) -> Offer | Rejection:
        """Edit a booking not yet on board. It is re-placed; if the new version cannot be served the old
        booking and its plan stay exactly as they were and the rejection is returned.

        A confirmed booking stays confirmed (the new offer is binding); an offered one gets a fresh hold.
        """
        rec = self._fleet.record(booking_id)
        unknown = sorted(set(changes) - MODIFIABLE)
        if unknown:
            raise InvalidBooking(
                f"cannot modify {', '.join(unknown)}; modifiable fields: {', '.join(sorted(MODIFIABLE))}"
            )
        new = replace(rec.booking, **changes)
        check_input(new, self.service_day)
        self._advance(now)  # first: an offer whose hold lapses now is no longer there to modify
        status = rec.booking.status
        if status not in (BookingStatus.OFFERED, BookingStatus.CONFIRMED, BookingStatus.ASSIGNED):
            raise BookingStateError(f"booking {booking_id!r} cannot be modified: it is {status}")
        self.stats.modifications += 1
        if set(changes) <= _NO_REPLAN:
            rec.booking = new
            assert rec.offer is not None
            return rec.offer
        began = time.perf_counter()
        try:
            saved = undo.save(self._fleet, rec)
            self._fleet.detach(booking_id)
            rec.promised = None
            keep = BookingStatus.OFFERED if status == BookingStatus.OFFERED else BookingStatus.CONFIRMED
            answer = self._place(new, now, status=keep, record=rec)
            if isinstance(answer, Rejection):
                self._restore(rec, saved)
            return answer
        finally:
            self.stats.insertion_seconds += time.perf_counter() - began

    def reassign(self, booking_id: str, vehicle_id: str, now: int, pin: bool = True) -> VehiclePlan:
        """Dispatcher override: move a booking not yet on board to ``vehicle_id`` (best insertion there).

        With ``pin`` (the default) the booking is pinned to that vehicle: insertion and re-optimisation
        may retime it within its promise but never move it to another vehicle, until :meth:`unpin`.
        Without it the booking moves unpinned (an earlier pin is released).

        Raises
        ------
        VehicleNotFound
            No such vehicle in the day's fleet.
        BookingRejected
            The vehicle cannot take it within its promised windows; nothing changes.
        """
        rec = self._fleet.record(booking_id)
        target = self._fleet.state(vehicle_id)
        self._advance(now)
        status = rec.booking.status
        if status not in (BookingStatus.OFFERED, BookingStatus.CONFIRMED, BookingStatus.ASSIGNED):
            raise BookingStateError(f"booking {booking_id!r} cannot be reassigned: it is {status}")
        if rec.vehicle_id != vehicle_id:
            self._move(rec, target, status)
        rec.pinned_to = vehicle_id if pin else None
        return self.plan(vehicle_id)

    def unpin(self, booking_id: str) -> bool:
        """Release a dispatcher's pin: the booking may move to any vehicle again. False if it was not pinned."""
        rec = self._fleet.record(booking_id)
        was = rec.pinned_to is not None
        rec.pinned_to = None
        return was

    def pins(self) -> dict[str, str]:
        """Booking id -> vehicle id of every open booking a dispatcher pinned."""
        return pins(self._fleet)

    def lock_sequence(self, vehicle_id: str, stops: Sequence[tuple[str, str]], now: int) -> VehiclePlan:
        """Dispatcher override: the vehicle's next stops are ``stops`` (``(booking id, "pickup" | "dropoff")``), in
        this order, until they are made or :meth:`unlock_sequence`.

        The order is checked first with the exact schedule (the rest of the plan follows in its order);
        bookings named are pinned to the vehicle (taken over from another vehicle if need be). A stop the
        vehicle is already driving to stays first. Insertion adds new bookings only after the locked stops
        and re-optimisation keeps them first, in this order.

        Raises
        ------
        VehicleNotFound, BookingNotFound
            Unknown vehicle or booking.
        BookingStateError
            The list is no possible order (see :func:`dispatch.online.sequence_lock.plan_lock`).
        BookingRejected
            The order breaks a promise: which window, ride limit, seats or shift end, by how much; nothing changes.
        """
        self._advance(now)
        plan = sequence_lock.plan_lock(self._fleet, vehicle_id, sequence_lock.parse(stops), self._fleet.now)
        sequence_lock.apply_lock(self._fleet, plan)
        return self.plan(vehicle_id)

    def unlock_sequence(self, vehicle_id: str) -> bool:
        """Release the vehicle's locked order (its bookings stay pinned). False if it had none."""
        return sequence_lock.unlock(self._fleet, vehicle_id)

    def sequence_locks(self) -> dict[str, list[tuple[str, str]]]:
        """Vehicle id -> the next stops a dispatcher locked on it, ``(booking id, "pickup" | "dropoff")`` in order."""
        return sequence_locks(self._fleet)

    def _move(self, rec: BookingRecord, target: VehicleState, status: BookingStatus) -> None:
        """Re-place a booking on ``target`` within its promise, or raise BookingRejected and change nothing."""
        booking_id, vehicle_id = rec.id, target.id
        if not self._fleet.eligible(rec.booking, only=[vehicle_id]):
            why = "; ".join(fixed_reasons(target, rec.booking)) or f"vehicle {vehicle_id} cannot take this booking"
            raise BookingRejected(Rejection(booking_id, RejectionReason.NO_VEHICLE_AVAILABLE, why))
        saved = undo.save(self._fleet, rec)
        self._fleet.detach(booking_id)
        found = self._placement.search(rec.booking, pickup_window=rec.pickup_window, only=[vehicle_id])
        if found is None:
            self._restore(rec, saved)
            windows = self._placement.windows(rec.booking)
            request = self._placement.request_for(rec.booking, windows, rec.pickup_window)
            why = explain(target, self._fleet.cache, rec.booking, request, self._fleet.now)
            raise BookingRejected(
                Rejection(
                    booking_id,
                    RejectionReason.NO_VEHICLE_AVAILABLE,
                    f"vehicle {vehicle_id} cannot take booking {booking_id} within its promise: {why}",
                )
            )
        self._placement.commit(rec, found, keep_promise=True)
        if status == BookingStatus.ASSIGNED:
            self._fleet.set_status(rec, BookingStatus.CONFIRMED)
        self.stats.reassignments += 1

    # ------------------------------------------------------------------------------- re-optimisation
    def reoptimise(self, now: int, time_limit_s: float | None = None) -> ReoptimisationResult:
        """Re-solve all open plans with OR-Tools; publish only a validated plan that is not longer.

        Keeps every promise: riders on board stay on their vehicle, pinned bookings on theirs, locked
        next stops stay first, offered and confirmed bookings are required with their promised pickup
        windows and ride limits.
        """
        self._advance(now)
        limit = self.solve_params.time_limit_s if time_limit_s is None else time_limit_s
        # plan from the latest time the dispatcher knows (an event may have been later than ``now``)
        result = reoptimise(self._fleet, replace(self.solve_params, time_limit_s=limit), self._fleet.now)
        self._count(result)
        return result

    def refit(self, orders: dict[str, list[tuple[str, str]]], now: int, searched: ReoptimisationResult | None = None
              ) -> ReoptimisationResult:
        """Publish visit orders a re-optimisation found on an earlier copy of this day, if they still fit now.

        For a search that ran elsewhere (another process) while bookings and events went on here: see
        :func:`dispatch.online.reoptimise.refit`. ``searched`` is that search's own result (its time counts).
        """
        self._advance(now)
        label = searched.solver if searched is not None else ""
        result = refit(self._fleet, orders, self._fleet.now, label, searched.seconds if searched is not None else 0.0)
        self._count(result)
        return result

    def planned_orders(self) -> dict[str, list[tuple[str, str]]]:
        """Vehicle id -> its planned stops in order, ``(booking id, "pickup" | "dropoff")`` (for :meth:`refit`)."""
        return {vid: [(rid, str(kind)) for rid, kind in vs.sequence] for vid, vs in self._fleet.states.items()}

    def _count(self, result: ReoptimisationResult) -> None:
        self.stats.reoptimisation_runs += 1
        self.stats.solver_seconds += result.seconds
        if result.published:
            self.stats.reoptimisations_published += 1
            self.stats.reoptimisation_saved_m += result.cost_before_m - result.cost_after_m
            for rec in self._fleet.records.values():
                if rec.offer is not None and rec.vehicle_id is not None and rec.offer.vehicle_id != rec.vehicle_id:
                    rec.offer = replace(rec.offer, vehicle_id=rec.vehicle_id)

    # ------------------------------------------------------------------------------------ snapshots
    def snapshot(self) -> dict[str, Any]:
        """Everything needed to rebuild this dispatcher, as JSON-safe data."""
        return snapshot_io.dump(self)

    @classmethod
    def restore(cls, snapshot: dict[str, Any], costs: TravelCosts) -> Dispatcher:
        """Rebuild a dispatcher from :meth:`snapshot` output over the given travel costs."""
        return snapshot_io.load(cls, snapshot, costs)

    # ------------------------------------------------------------------------------------ internals
    def _advance(self, now: int) -> None:
        """Expire lapsed holds, then move the fleet's clock (locking stops vehicles must have left for)."""
        self._expire(now)
        self._fleet.advance(now)

    def _expire(self, now: int) -> None:
        """Release every offer whose hold lapsed before ``now``."""
        for rid, until in list(self._held.items()):
            if until < now:
                rec = self._fleet.records[rid]
                del self._held[rid]
                if rec.booking.status == BookingStatus.OFFERED:
                    self._fleet.detach(rid)
                    self._fleet.set_status(rec, BookingStatus.REQUESTED)
                    rec.expired = True
                    rec.hold_until = None
                    self.stats.expired_offers += 1

    def _place(
        self, booking: Booking, now: int, status: BookingStatus, record: BookingRecord | None = None
    ) -> Offer | Rejection:
        """Place a booking; on success record it with ``status`` (holding the slot if OFFERED)."""
        pinned = record.pinned_to if record is not None else None
        placed = self._placement.place(booking, now, only=None if pinned is None else [pinned])
        if isinstance(placed, Rejection):
            self.stats.reject(placed.reason.value)
            return placed
        rec = record or BookingRecord(booking, placed[1])
        rec.booking = booking.with_status(status)
        rec.expired = False
        self._fleet.records[booking.id] = rec
        offer = self._placement.commit(rec, placed)
        if status == BookingStatus.OFFERED:
            rec.hold_until = now + self.offer_hold_s
            self._held[booking.id] = rec.hold_until
        self.stats.offers += 1
        return offer

    def _release(self, rec: BookingRecord) -> None:
        self._held.pop(rec.id, None)
        self._fleet.detach(rec.id)
        rec.hold_until = None
        self._fleet.set_status(rec, BookingStatus.CANCELLED)

    def _restore(self, rec: BookingRecord, saved: undo.Saved) -> None:
        undo.restore(self._fleet, rec, saved)
        if rec.booking.status == BookingStatus.OFFERED and rec.hold_until is not None:
            self._held[rec.id] = rec.hold_until

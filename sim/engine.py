"""The discrete-event loop of one service day, driving the same :class:`dispatch.Dispatcher` the API uses.

Events sit on a heap ordered by (time, priority, sequence): shift starts, vehicle events (arrive,
service done, no-show), departures, cancellations, bookings, re-optimisation, shift ends. Vehicles follow
the dispatcher's plan just in time: an idle vehicle waits where it is and leaves for its first stop when
it must (the dispatcher locks that stop from then on), arrives after the road-graph travel time, stands
for the dwell the plan gives, and reports arrive/board/drop-off/no-show back. After every change to the
plans, idle vehicles look at their plan again; an event planned from an older plan carries an older
token and is ignored.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from dispatch.errors import DispatchError
from dispatch.fares import FareTable
from dispatch.model import Booking, BookingRejected, Location, Rejection, StopKind, Vehicle
from dispatch.rules import ServiceRules
from sim.bookings import BookingFactory
from sim.events import BOOKING, CANCEL, DEPART, REOPT, SHIFT_END, SHIFT_START, VEHICLE
from sim.legs import LegBook
from sim.movement import Mover
from sim.records import LegRecord, RunRecords, VehicleRecord
from sim.trip_driver import TripDriver

# A re-optimisation that used this share of its time cap was (most likely) stopped by the clock.
CLOCK_BOUND_SHARE = 0.9


class SimulationError(RuntimeError):
    """The simulated world broke an invariant (a rider in two vehicles, a vehicle over capacity)."""


@dataclass
class StopLogEntry:
    """One executed stop: realised arrival, service start and departure (seconds)."""

    day: int
    vehicle_id: str
    booking_id: str
    kind: str
    node: int
    arrival: int
    start: int
    departure: int


@dataclass
class VehicleRun:
    """The simulator's side of one vehicle: where it is, what it does, who is on board."""

    vehicle: Vehicle
    record: VehicleRecord
    node: int
    shift_start: int
    shift_end: int
    depot: Location
    state: str = "before"  # before | idle | driving | at_stop | going_home | off
    token: int = 0
    target: tuple[str, StopKind] | None = None
    target_node: int = 0
    onboard: dict[str, tuple[int, int]] = field(default_factory=dict)
    arrived_at: int = 0
    service_start: int = 0
    off_at: int | None = None

    @property
    def riders(self) -> int:
        return sum(s + w for s, w in self.onboard.values())


class DaySimulation:
    """One service day: the event heap, the vehicles and the records they leave.

    Parameters
    ----------
    day
        Day index (0 = scenario start date).
    dispatcher
        The day's :class:`dispatch.Dispatcher`.
    trips
        Front door for bookings (:class:`sim.trip_driver.TripDriver`): the dispatcher itself, or the trip
        planner for wide-area models.
    mover
        Drive accounting on the road graph.
    factory
        Turns trip requests into bookings.
    rules
        Service rules (re-optimisation runs within service hours).
    reopt_every, reopt_limit
        Re-optimisation period (s, 0 = never) and time budget (s).
    no_show_wait
        Seconds a driver waits at a pickup before recording a no-show (None: the stop's planned dwell).
    acceptance
        Share of offers callers accept.
    rng
        Random stream of the day (offer acceptance, train delays).
    on_booking
        Called after each booking event (progress bar).
    fares
        Fare table for rides whose offer carries no fare (yen per rider).
    alternative_acceptance
        Share of refused callers who re-book at the first alternative time offered.
    """

    def __init__(self, day: int, dispatcher, trips: TripDriver, mover: Mover, factory: BookingFactory,
                 records: RunRecords, rules: ServiceRules, reopt_every: int, reopt_limit: float,
                 no_show_wait: int | None, acceptance: float, rng: random.Random,
                 on_booking: Callable[[], None] | None = None, fares: FareTable | None = None,
                 alternative_acceptance: float = 0.0) -> None:
        self.day = day
        self.d = dispatcher
        self.trips = trips
        self.mover = mover
        self.factory = factory
        self.records = records
        self.rules = rules
        self.reopt_every = reopt_every
        self.reopt_limit = reopt_limit
        self.no_show_wait = no_show_wait
        self.acceptance = acceptance
        self.rng = rng
        self.on_booking = on_booking
        self.fares = fares
        self.alternative_acceptance = alternative_acceptance
        self.heap: list[tuple] = []
        self.seq = 0
        self.book = LegBook(day, mover, trips.planned_legs)
        self.legs: dict[str, LegRecord] = self.book.legs
        self.no_shows: set[str] = self.book.no_shows
        self.vehicles: dict[str, VehicleRun] = {}
        self.stop_log: list[StopLogEntry] = []
        self.retargets = 0
        self.alternatives_taken = 0
        for v in dispatcher.vehicles:
            start = min(s.start for s in v.shifts)
            end = max(s.end for s in v.shifts)
            depot = min(v.shifts, key=lambda s: s.start).start_depot
            rec = VehicleRecord(v.id, day, v.municipality, v.seats, v.wheelchair_places)
            self.vehicles[v.id] = VehicleRun(v, rec, depot.node, start, end, depot)
            self.push(start, SHIFT_START, "shift_start", v.id)
            self.push(end, SHIFT_END, "shift_end", v.id)
        if reopt_every > 0:
            t = rules.service_start - reopt_every
            while t < rules.service_end:
                self.push(t, REOPT, "reopt")
                t += reopt_every

    # ----------------------------------------------------------------------------------- the loop
    def push(self, at: float, priority: int, kind: str, *args) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (int(math.ceil(at)), priority, self.seq, kind, args))

    def add_request(self, request) -> None:
        self.push(request.booked_at, BOOKING, "booking", request)
        if request.cancel_at is not None:
            self.push(request.cancel_at, CANCEL, "cancel", request.id)

    def run(self) -> None:
        while self.heap:
            now, _, _, kind, args = heapq.heappop(self.heap)
            getattr(self, f"_on_{kind}")(now, *args)
        for run in self.vehicles.values():
            if run.state != "off":
                self._finish(run, max(run.shift_end, run.off_at or 0))
            run.record.shift_s = max(run.shift_end, run.off_at or run.shift_end) - run.shift_start
            self.records.vehicles.append(run.record)
        self.records.legs.extend(self.legs.values())

    # ------------------------------------------------------------------------------ bookings
    def _on_booking(self, now: int, request) -> None:
        try:
            booking = self.factory.booking(request, self.d.service_day)
        except ValueError as exc:
            self.book.from_request(request, None).status = "rejected"
            self.legs[request.id].rejection_reason = getattr(exc, "reason", None) or f"invalid_request: {exc}"
            return
        if request.no_show:
            self.no_shows.add(request.id)
        began = time.perf_counter()
        try:
            self._book(now, request, booking)
        finally:
            self.records.booking_s += time.perf_counter() - began
        if self.on_booking is not None:
            self.on_booking()
        self.wake_idle(now)

    def _book(self, now: int, request, booking: Booking) -> None:
        """Ask, then confirm (or decline, or take an alternative time) as the simulated caller would."""
        answer = self.trips.request(booking, now)
        if (isinstance(answer, Rejection) and answer.alternatives
                and self.rng.random() < self.alternative_acceptance):
            # The caller takes the nearest time the operator proposes: a new request with the same id.
            request = replace(request, requested_time=answer.alternatives[0])
            booking = replace(booking, requested_time=answer.alternatives[0])
            answer = self.trips.request(booking, now)
            self.alternatives_taken += 1
        if isinstance(answer, Rejection):
            leg = self.book.from_request(request, booking)
            leg.status, leg.rejection_reason = "rejected", answer.reason.value
        elif self.rng.random() >= self.acceptance:
            self.trips.decline(booking.id, now)
            self.book.from_request(request, booking).status = "declined"
        else:
            try:
                offer = self.trips.confirm(booking.id, now)
            except BookingRejected as exc:
                leg = self.book.from_request(request, booking)
                leg.status, leg.rejection_reason = "rejected", exc.rejection.reason.value
            else:
                self.book.from_offer(request, booking, offer)
                self.trips.trip_booked(self, request.id)

    def _on_cancel(self, now: int, booking_id: str) -> None:
        legs = [leg for leg in self.legs.values() if (leg.trip_id or leg.id) == booking_id]
        drt = [leg for leg in legs if leg.mode == "drt"]
        if not drt or any(leg.status != "confirmed" or leg.pickup_at is not None for leg in drt):
            return  # rejected, declined, or already under way: nothing to cancel
        self.trips.cancel(booking_id, now)
        for leg in legs:
            leg.status = "cancelled"
        self.wake_idle(now)

    # ------------------------------------------------------------------------------ vehicles
    def _on_shift_start(self, now: int, vid: str) -> None:
        run = self.vehicles[vid]
        self.d.start_shift(vid, now)
        run.state = "idle"
        self._next(run, now)

    def _on_shift_end(self, now: int, vid: str) -> None:
        run = self.vehicles[vid]
        if run.state == "idle":
            self._next(run, now)

    def wake_idle(self, now: int) -> None:
        for run in self.vehicles.values():
            if run.state == "idle":
                self._next(run, now)

    def _next(self, run: VehicleRun, now: int) -> None:
        """An idle vehicle looks at its plan: schedule leaving for the first stop, or go home after shift."""
        run.token += 1
        plan = self.d.plan(run.vehicle.id)
        if not plan.stops:
            if now >= run.shift_end:
                self._go_home(run, now)
            return
        first = plan.stops[0]
        # Whole-second clock: leave on the second before the plan's (fractional) departure, so that the
        # vehicle is never later than its plan (arrival = ceil(leave + drive) <= planned service start).
        leave = math.floor(first.service_start - self.mover.travel_time(run.node, first.location.node))
        self.push(max(now, leave), DEPART, "depart", run.vehicle.id, run.token)

    def _on_depart(self, now: int, vid: str, token: int) -> None:
        run = self.vehicles[vid]
        if token != run.token or run.state != "idle":
            return
        plan = self.d.plan(vid)
        if not plan.stops:
            self._next(run, now)
            return
        first = plan.stops[0]
        if first.service_start - self.mover.travel_time(run.node, first.location.node) > now + 1:
            self._next(run, now)  # the plan moved the first stop later since this departure was scheduled
            return
        run.state = "driving"
        run.target = (first.booking_id, first.kind)
        run.target_node = first.location.node
        seconds, _ = self.mover.drive(run.record, run.node, first.location.node, run.riders)
        self.push(now + seconds, VEHICLE, "arrive", vid, run.token)

    def _on_arrive(self, now: int, vid: str, token: int) -> None:
        run = self.vehicles[vid]
        if token != run.token or run.state != "driving":
            return
        run.node = run.target_node
        assert run.target is not None
        bid, kind = run.target
        if not self._still_first(run, now):
            return
        if kind == StopKind.BREAK:  # the driver rests here (a break taken anywhere: where the vehicle is)
            self.d.start_break(vid, bid, now)
            stop = self.d.plan(vid).stops[0]
            run.state, run.arrived_at = "at_stop", now
            run.service_start = now
            self.push(max(stop.departure, now), VEHICLE, "service_done", vid, run.token)
            return
        self.d.arrive(vid, bid, now)
        stop = self.d.plan(vid).stops[0]
        run.state, run.arrived_at = "at_stop", now
        run.service_start = max(now, stop.service_start)
        if kind == StopKind.PICKUP and bid in self.no_shows:
            wait = stop.departure - stop.service_start if self.no_show_wait is None else self.no_show_wait
            self.push(max(run.service_start, stop.earliest) + wait, VEHICLE, "no_show", vid, run.token)
        else:
            self.push(max(stop.departure, run.service_start), VEHICLE, "service_done", vid, run.token)

    def _on_service_done(self, now: int, vid: str, token: int) -> None:
        run = self.vehicles[vid]
        if token != run.token or run.state != "at_stop":
            return
        assert run.target is not None
        bid, kind = run.target
        if kind == StopKind.BREAK:
            plan = self.d.plan(vid)
            if plan.stops and (plan.stops[0].booking_id, plan.stops[0].kind) == run.target:
                self.d.end_break(vid, bid, now)  # (else the dispatcher's clock took it as planned already)
            self._log_stop(run, bid, "break", now)
            run.state = "idle"
            self._next(run, now)
            return
        if not self._still_first(run, now):
            return
        leg = self.legs.get(bid)
        booking = self.d.booking(bid)
        if kind == StopKind.PICKUP:
            self._check_board(run, bid, booking)
            self.d.board(vid, bid, now)
            if run.riders == 0:
                run.record.runs += 1
            run.onboard[bid] = (booking.seats, booking.wheelchairs)
            run.record.boarded += booking.party_size
            run.record.max_load = max(run.record.max_load, run.riders)
            if leg is not None:
                leg.pickup_at, leg.vehicle_id, leg.fleet_jis = run.service_start, vid, run.vehicle.municipality
                if leg.trip_id:  # an onward leg may have been re-planned around a late train
                    self.book.refresh_promise(leg, self.d.offer(bid))
        else:
            self.d.drop_off(vid, bid, now)
            run.onboard.pop(bid, None)
            if leg is not None:
                leg.dropoff_at, leg.status = run.service_start, "completed"
                if not leg.fare_yen and self.fares is not None:
                    leg.fare_yen = booking.party_size * self.fares.drt_fare(
                        run.vehicle.municipality, booking.home_municipality, booking.fare_class)
            self.trips.dropped_off(self, bid, now)
        self.records.load_events.append((self.day, now, vid, run.riders))
        self.records.demand_nodes[run.node] += booking.party_size
        self._log_stop(run, bid, kind.value, now)
        run.record.dwell_s += now - run.arrived_at
        run.state = "idle"
        self._next(run, now)

    def _on_no_show(self, now: int, vid: str, token: int) -> None:
        run = self.vehicles[vid]
        if token != run.token or run.state != "at_stop":
            return
        assert run.target is not None
        bid, _ = run.target
        if not self._still_first(run, now):
            return
        self.d.no_show(vid, bid, now)
        self._log_stop(run, bid, "no_show", now)
        run.record.dwell_s += now - run.arrived_at
        leg = self.legs.get(bid)
        if leg is not None:
            for other in self.legs.values():
                if leg.trip_id and other.trip_id == leg.trip_id and other.status == "confirmed":
                    other.status = "no_show"
            leg.status = "no_show"
        self.trips.after_no_show(self, bid, now)
        run.state = "idle"
        self._next(run, now)
        self.wake_idle(now)

    def _still_first(self, run: VehicleRun, now: int) -> bool:
        """True if the stop the vehicle is serving is still first in its plan; else report and re-plan.

        It stops being first when the booking is cancelled while the vehicle drives there or stands at it.
        """
        plan = self.d.plan(run.vehicle.id)
        if plan.stops and (plan.stops[0].booking_id, plan.stops[0].kind) == run.target:
            return True
        self.retargets += 1
        if run.state == "at_stop":
            run.record.dwell_s += now - run.arrived_at
        self.d.update_position(run.vehicle.id, Location(node=run.node), now)
        run.state = "idle"
        self._next(run, now)
        return False

    def _check_board(self, run: VehicleRun, bid: str, booking: Booking) -> None:
        for other in self.vehicles.values():
            if bid in other.onboard:
                raise SimulationError(f"booking {bid} boards {run.vehicle.id} while on board {other.vehicle.id}")
        seats = sum(s for s, _ in run.onboard.values()) + booking.seats
        chairs = sum(w for _, w in run.onboard.values()) + booking.wheelchairs
        if seats > run.vehicle.seats or chairs > run.vehicle.wheelchair_places:
            raise SimulationError(f"{run.vehicle.id} would carry {seats} seated and {chairs} wheelchair riders")

    def _log_stop(self, run: VehicleRun, bid: str, kind: str, now: int) -> None:
        self.stop_log.append(StopLogEntry(self.day, run.vehicle.id, bid, kind, run.node, run.arrived_at,
                                          run.service_start, now))

    def _go_home(self, run: VehicleRun, now: int) -> None:
        try:
            self.d.end_shift(run.vehicle.id, now)
        except DispatchError:
            return  # still has work the dispatcher could not move: keep serving it
        self._finish(run, now)

    def _finish(self, run: VehicleRun, now: int) -> None:
        seconds, _ = self.mover.drive(run.record, run.node, run.depot.node, run.riders)
        run.node = run.depot.node
        run.state = "off"
        run.off_at = int(now + seconds)

    # ------------------------------------------------------------------------------ schedule
    def _on_reopt(self, now: int) -> None:
        result = self.d.reoptimise(now, self.reopt_limit)
        if result.seconds >= CLOCK_BOUND_SHARE * self.reopt_limit:
            self.records.clock_bound_reoptimisations += 1
        self.wake_idle(now)

    def _on_train(self, now: int, callback, *args) -> None:
        callback(self, now, *args)

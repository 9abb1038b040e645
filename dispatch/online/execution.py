"""Execution events: what drivers (API) or the event loop (simulator) report, applied to the fleet.

Reality wins over the plan: an event that is possible is applied even when the vehicle runs late (the
plan is then re-timed with relaxed bounds, see :mod:`dispatch.online.state`). An event that cannot have happened
raises :class:`dispatch.errors.InvalidEvent` with the reason and changes nothing: boarding a booking
planned on another vehicle, dropping off someone not on board or before they boarded, arriving at or
boarding at a pickup earlier than its promised window minus ``ServiceRules.early_event_tolerance_s``,
boarding before arriving, arriving at the pickup of a party already on board, arriving at the drop-off
sooner after boarding than half the direct drive, a no-show before the pickup window opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.errors import InvalidEvent
from dispatch.model import BookingStatus, Location, Stop, StopKind, Vehicle
from dispatch.online import undo
from dispatch.online.admission import hhmm
from dispatch.online.fleet import Fleet, duty_shift
from dispatch.online.state import BookingRecord, VehicleState
from dispatch.problem import VisitKind

if TYPE_CHECKING:
    from dispatch.online.placement import Placement
    from dispatch.stats import DispatchStats


def start_shift(fleet: Fleet, vehicle_id: str, now: int) -> None:
    """The driver leaves the depot now."""
    vs = _on_duty(fleet, vehicle_id)
    if vs.on_shift:
        raise InvalidEvent(f"vehicle {vehicle_id!r} is already on shift")
    fleet.advance(now)
    vs.on_shift = True
    vs.position = vs.shift.start_depot
    vs.position_time = now
    if vs.locked:
        vs.lock_time = now
    fleet.retime(vs, at=now)


def update_position(fleet: Fleet, vehicle_id: str, location: Location, now: int) -> None:
    """The vehicle is at ``location`` now; moving towards its next stop locks that stop."""
    vs = _on_duty(fleet, vehicle_id)
    fleet.advance(now)
    assert vs.position is not None
    moved = location.node != vs.position.node
    vs.on_shift = True
    vs.position = location
    vs.position_time = now
    if vs.sequence and (moved or vs.locked):
        vs.arrived = False if moved else vs.arrived
        fleet.lock(vs, now)
    fleet.retime(vs, at=now)


def arrive(fleet: Fleet, vehicle_id: str, booking_id: str, now: int, stop: str | None = None) -> None:
    """The vehicle stands at the booking's pickup (or, if the party is on board, its drop-off).

    ``stop`` (``"pickup"`` or ``"dropoff"``) is what the driver says it is; None: the one due.
    """
    vs = _on_duty(fleet, vehicle_id)
    rec = fleet.record(booking_id)
    kind = VisitKind.DROPOFF if booking_id in vs.onboard else VisitKind.PICKUP
    if stop is not None and stop != str(kind):
        if kind == VisitKind.DROPOFF:
            raise InvalidEvent(f"booking {booking_id!r} boarded at {hhmm(rec.picked_up_at or now)}: arriving at its"
                               " pickup cannot come after that")
        raise InvalidEvent(f"booking {booking_id!r} has not boarded: the vehicle cannot be at its drop-off for it")
    item = (booking_id, kind)
    if item not in vs.sequence:
        raise InvalidEvent(f"booking {booking_id!r} has no {kind} planned on vehicle {vehicle_id!r}")
    if kind == VisitKind.PICKUP:
        _not_too_early(fleet, rec, "arrived at", now)
    else:
        _not_before_drive(fleet, rec, now)
    fleet.advance(now)
    vs.sequence.remove(item)
    vs.sequence.insert(0, item)
    vs.on_shift = True
    vs.position = rec.booking.pickup if kind == VisitKind.PICKUP else rec.booking.dropoff
    vs.position_time = now
    vs.arrived = True
    fleet.lock(vs, now)
    fleet.retime(vs, at=now)


def board(fleet: Fleet, vehicle_id: str, booking_id: str, now: int) -> None:
    """The party got in: the pickup is done and the drop-off must be made by this vehicle."""
    vs = _on_duty(fleet, vehicle_id)
    rec = fleet.record(booking_id)
    if booking_id in vs.onboard:
        raise InvalidEvent(f"booking {booking_id!r} is already on board vehicle {vehicle_id!r}")
    if (booking_id, VisitKind.PICKUP) not in vs.sequence:
        raise InvalidEvent(f"booking {booking_id!r} has no pickup planned on vehicle {vehicle_id!r}")
    seats = sum(fleet.records[r].booking.seats for r in vs.onboard) + rec.booking.seats
    chairs = sum(fleet.records[r].booking.wheelchairs for r in vs.onboard) + rec.booking.wheelchairs
    if seats > vs.vehicle.seats or chairs > vs.vehicle.wheelchair_places:
        raise InvalidEvent(
            f"vehicle {vehicle_id!r} cannot take booking {booking_id!r}: {seats} seats and {chairs} wheelchair"
            f" place(s) needed, it has {vs.vehicle.seats} and {vs.vehicle.wheelchair_places}"
        )
    _not_too_early(fleet, rec, "boarded at", now)
    here = vs.arrived and vs.sequence and vs.sequence[0] == (booking_id, VisitKind.PICKUP)
    if here and vs.lock_time is not None and now < vs.lock_time:
        raise InvalidEvent(f"booking {booking_id!r} cannot board at {hhmm(now)}: the vehicle arrived at its pickup"
                           f" at {hhmm(vs.lock_time)}")
    fleet.advance(now)
    arrived_at = _arrival_time(vs, (booking_id, VisitKind.PICKUP), now)
    vs.sequence.remove((booking_id, VisitKind.PICKUP))
    vs.onboard.append(booking_id)
    rec.picked_up_at = now
    fleet.set_status(rec, BookingStatus.ONBOARD)
    _record_done(fleet, vs, rec, StopKind.PICKUP, arrived_at, now)
    _leave(vs, rec.booking.pickup, now)
    fleet.retime(vs, at=now)


def drop_off(fleet: Fleet, vehicle_id: str, booking_id: str, now: int) -> None:
    """The party got out at its destination: the booking is completed."""
    vs = _on_duty(fleet, vehicle_id, allow_off_duty=True)
    rec = fleet.record(booking_id)
    if booking_id not in vs.onboard:
        raise InvalidEvent(f"booking {booking_id!r} is not on board vehicle {vehicle_id!r}")
    if rec.picked_up_at is not None and now < rec.picked_up_at:
        raise InvalidEvent(f"booking {booking_id!r} cannot be dropped off at {hhmm(now)}: it boarded at"
                           f" {hhmm(rec.picked_up_at)}")
    fleet.advance(now)
    arrived_at = _arrival_time(vs, (booking_id, VisitKind.DROPOFF), now)
    vs.sequence = [item for item in vs.sequence if item != (booking_id, VisitKind.DROPOFF)]
    vs.onboard.remove(booking_id)
    rec.dropped_at = now
    fleet.set_status(rec, BookingStatus.COMPLETED)
    _record_done(fleet, vs, rec, StopKind.DROPOFF, arrived_at, now)
    _leave(vs, rec.booking.dropoff, now)
    fleet.retime(vs, at=now)


def no_show(fleet: Fleet, vehicle_id: str, booking_id: str, now: int) -> None:
    """Nobody came to the pickup: the booking ends as a no-show and its room is freed."""
    vs = _on_duty(fleet, vehicle_id)
    rec = fleet.record(booking_id)
    if (booking_id, VisitKind.PICKUP) not in vs.sequence:
        raise InvalidEvent(f"booking {booking_id!r} has no pickup planned on vehicle {vehicle_id!r}")
    opens = rec.pickup_window[0]
    if now < opens:
        raise InvalidEvent(f"too early for a no-show of {booking_id!r}: its pickup window opens at {hhmm(opens)}")
    fleet.advance(now)
    at_stop = vs.arrived and vs.sequence[0] == (booking_id, VisitKind.PICKUP)
    was_first = vs.sequence[0][0] == booking_id
    vs.sequence = [item for item in vs.sequence if item[0] != booking_id]
    fleet.set_status(rec, BookingStatus.NO_SHOW)
    if at_stop:
        vs.missed.append((int(vs.position_time), booking_id, rec.booking.pickup))  # it drove there: km to count
        _leave(vs, rec.booking.pickup, now)
    elif was_first:
        vs.locked, vs.lock_time = 0, None
    fleet.retime(vs, at=now)


def start_break(fleet: Fleet, vehicle_id: str, break_id: str, now: int) -> None:
    """The driver begins a break of their plan now (where the vehicle is: at the break's place, if it has one).

    Refused when riders are on board, when the break is not planned on this vehicle, or earlier than its
    window minus ``ServiceRules.early_event_tolerance_s``.
    """
    vs = _on_duty(fleet, vehicle_id)
    item = (break_id, VisitKind.BREAK)
    if item not in vs.sequence:
        raise InvalidEvent(f"vehicle {vehicle_id!r} has no break {break_id!r} planned")
    if vs.break_started():
        raise InvalidEvent(f"vehicle {vehicle_id!r} is already on a break ({vs.sequence[0][0]!r})")
    if vs.onboard:
        raise InvalidEvent(f"vehicle {vehicle_id!r} cannot start a break with riders on board:"
                           f" {', '.join(sorted(vs.onboard))}")
    brk = vs.shift_breaks[break_id]
    tolerance = fleet.rules.early_event_tolerance_s
    if now < brk.earliest - tolerance:
        raise InvalidEvent(f"break {break_id!r} cannot start at {hhmm(now)}: it may start from {hhmm(brk.earliest)}"
                           f" (at most {tolerance // 60} min early)")
    fleet.advance(now)
    if item not in vs.sequence:  # the clock passing took it as planned already
        raise InvalidEvent(f"break {break_id!r} of vehicle {vehicle_id!r} is already over by {hhmm(now)}")
    vs.sequence.remove(item)
    vs.sequence.insert(0, item)
    vs.on_shift = True
    if brk.location is not None:
        vs.position = brk.location
    vs.position_time = now
    vs.arrived = True
    vs.locked, vs.lock_time = 1, now
    fleet.retime(vs, at=now)


def end_break(fleet: Fleet, vehicle_id: str, break_id: str, now: int) -> None:
    """The driver ends the break they are on; the plan goes on from here and now."""
    vs = _on_duty(fleet, vehicle_id)
    if not (vs.break_started() and vs.sequence[0][0] == break_id):
        raise InvalidEvent(f"vehicle {vehicle_id!r} is not on break {break_id!r}")
    assert vs.lock_time is not None
    if now < vs.lock_time:
        raise InvalidEvent(f"break {break_id!r} cannot end at {hhmm(now)}: it started at {hhmm(vs.lock_time)}")
    fleet.advance(now)
    if vs.sequence and vs.sequence[0] == (break_id, VisitKind.BREAK):
        fleet.finish_break(vs, vs.lock_time, now)


def end_shift(fleet: Fleet, vehicle_id: str, now: int) -> None:
    """The vehicle goes off duty; its plan must be empty (the dispatcher moves planned bookings first).

    Breaks not taken yet are dropped with the rest of the day.
    """
    vs = _on_duty(fleet, vehicle_id)
    if vs.onboard:
        raise InvalidEvent(f"vehicle {vehicle_id!r} still has riders on board: {', '.join(sorted(vs.onboard))}")
    stops = [item for item in vs.sequence if item[1] != VisitKind.BREAK]
    if stops:
        raise InvalidEvent(f"vehicle {vehicle_id!r} still has {len(stops)} planned stop(s)")
    vs.sequence = []
    fleet.advance(now)
    vs.on_shift = False
    vs.off_duty = True
    vs.locked, vs.lock_time, vs.arrived = 0, None, False
    vs.position_time = now
    fleet.retime(vs, at=now)


class ExecutionEvents:
    """The :class:`dispatch.online.dispatcher.Dispatcher`'s execution-event methods (a mixin).

    Each applies one of the functions above to the dispatcher's fleet and keeps the dispatcher's own
    books (held offers, statistics); the dispatcher supplies the attributes and the booking-lifecycle
    helpers declared below.
    """

    service_day: str
    stats: DispatchStats
    _fleet: Fleet
    _placement: Placement
    _held: dict[str, int]
    _vehicles: list[Vehicle]

    if TYPE_CHECKING:

        def _advance(self, now: int) -> None: ...

        def _expire(self, now: int) -> None: ...

        def _restore(self, rec: BookingRecord, saved: undo.Saved) -> None: ...

    def start_shift(self, vehicle_id: str, now: int) -> None:
        self._expire(now)  # the event itself is checked before the clock moves
        start_shift(self._fleet, vehicle_id, now)

    def end_shift(self, vehicle_id: str, now: int) -> None:
        """Take the vehicle off duty; bookings still planned on it are moved to other vehicles first.

        Raises
        ------
        InvalidEvent
            Riders are on board, a planned booking is pinned to this vehicle, or some planned booking fits
            no other vehicle (nothing changes then).
        """
        vs = self._fleet.state(vehicle_id)
        if vs.onboard:
            raise InvalidEvent(f"vehicle {vehicle_id!r} still has riders on board: {', '.join(sorted(vs.onboard))}")
        self._advance(now)
        pending = list(dict.fromkeys(rid for rid, kind in vs.sequence if kind != VisitKind.BREAK))
        pinned = [rid for rid in pending if self._fleet.records[rid].pinned_to == vehicle_id]
        if pinned:
            raise InvalidEvent(
                f"vehicle {vehicle_id!r} cannot end its shift: booking(s) {', '.join(pinned)} are pinned to it;"
                " unpin or reassign them first"
            )
        if pending:
            self._move_away(vs, pending)
        end_shift(self._fleet, vehicle_id, now)

    def start_break(self, vehicle_id: str, break_id: str, now: int) -> None:
        self._expire(now)  # the event itself is checked before the clock moves
        start_break(self._fleet, vehicle_id, break_id, now)

    def end_break(self, vehicle_id: str, break_id: str, now: int) -> None:
        self._expire(now)
        end_break(self._fleet, vehicle_id, break_id, now)

    def update_position(self, vehicle_id: str, location: Location, now: int) -> None:
        self._expire(now)  # the event itself is checked before the clock moves
        update_position(self._fleet, vehicle_id, location, now)

    def arrive(self, vehicle_id: str, booking_id: str, now: int, stop: str | None = None) -> None:
        self._expire(now)  # the event itself is checked before the clock moves
        arrive(self._fleet, vehicle_id, booking_id, now, stop)
        self._held.pop(booking_id, None)

    def board(self, vehicle_id: str, booking_id: str, now: int) -> None:
        self._expire(now)  # the event itself is checked before the clock moves
        board(self._fleet, vehicle_id, booking_id, now)
        self._held.pop(booking_id, None)

    def drop_off(self, vehicle_id: str, booking_id: str, now: int) -> None:
        self._expire(now)  # the event itself is checked before the clock moves
        drop_off(self._fleet, vehicle_id, booking_id, now)
        self.stats.completed += 1

    def no_show(self, vehicle_id: str, booking_id: str, now: int) -> None:
        self._expire(now)  # the event itself is checked before the clock moves
        no_show(self._fleet, vehicle_id, booking_id, now)
        self._fleet.record(booking_id).vehicle_id = vehicle_id
        self._held.pop(booking_id, None)
        self.stats.no_shows += 1

    def add_vehicle(self, vehicle: Vehicle, now: int) -> None:
        """A vehicle registered after the day began planning joins it with an empty plan.

        It is free from its depot at shift start, or from ``now`` if the shift already began; the next
        insertion and re-optimisation use it, and snapshots keep it.

        Raises
        ------
        InvalidEvent
            The id is already in the day's fleet, or the vehicle has no shift.
        """
        if vehicle.id in self._fleet.states:
            raise InvalidEvent(f"vehicle {vehicle.id!r} is already in the plan of {self.service_day or 'the day'}")
        try:
            duty_shift(vehicle)  # checked before the clock moves: a refused vehicle changes nothing
        except ValueError as exc:
            raise InvalidEvent(str(exc)) from None
        self._advance(now)
        self._fleet.add(vehicle)
        self._vehicles.append(vehicle)

    def _move_away(self, vs: VehicleState, booking_ids: list[str]) -> None:
        """Re-place every listed booking on other vehicles within its promise, all or nothing."""
        saved = {rid: undo.save(self._fleet, self._fleet.records[rid]) for rid in booking_ids}
        others = [vid for vid in self._fleet.states if vid != vs.id]
        moved: list[str] = []
        for rid in booking_ids:
            rec = self._fleet.records[rid]
            self._fleet.detach(rid)
            found = self._placement.search(rec.booking, pickup_window=rec.pickup_window, only=others)
            if found is None:
                for back in reversed(moved + [rid]):
                    if self._fleet.records[back].vehicle_id is not None:
                        self._fleet.detach(back)
                    self._restore(self._fleet.records[back], saved[back])
                raise InvalidEvent(
                    f"vehicle {vs.id!r} cannot end its shift: booking {rid!r} fits no other vehicle; cancel or"
                    " reassign it first"
                )
            self._placement.commit(rec, found, keep_promise=True)
            moved.append(rid)


def _not_too_early(fleet: Fleet, rec: BookingRecord, what: str, now: int) -> None:
    """Refuse a pickup event earlier than the promised window allows (minus the rules' tolerance)."""
    opens = rec.pickup_window[0]
    tolerance = fleet.rules.early_event_tolerance_s
    if now < opens - tolerance:
        raise InvalidEvent(
            f"{what} the pickup of {rec.id!r} at {hhmm(now)}, {(opens - now) // 60} min before its window"
            f" {hhmm(opens)}-{hhmm(rec.pickup_window[1])} opens (at most {tolerance // 60} min early is possible)"
        )


def _not_before_drive(fleet: Fleet, rec: BookingRecord, now: int) -> None:
    """Refuse an arrival at the drop-off sooner after boarding than half the direct drive."""
    if rec.picked_up_at is None:
        return
    cache = fleet.cache
    direct = float(cache.seconds[cache.index(rec.booking.pickup.node), cache.index(rec.booking.dropoff.node)])
    if now < rec.picked_up_at + direct / 2:
        raise InvalidEvent(
            f"arrived at the drop-off of {rec.id!r} at {hhmm(now)}, {max(0, now - rec.picked_up_at) // 60} min after"
            f" boarding at {hhmm(rec.picked_up_at)}; the drive takes about {round(direct / 60)} min"
        )


def _on_duty(fleet: Fleet, vehicle_id: str, allow_off_duty: bool = False) -> VehicleState:
    vs = fleet.state(vehicle_id)
    if vs.off_duty and not allow_off_duty:
        raise InvalidEvent(f"vehicle {vehicle_id!r} has ended its shift")
    return vs


def _arrival_time(vs: VehicleState, item: tuple[str, VisitKind], now: int) -> int:
    if vs.arrived and vs.sequence and vs.sequence[0] == item and vs.lock_time is not None:
        return vs.lock_time
    return now


def _leave(vs: VehicleState, where: Location, now: int) -> None:
    vs.position = where
    vs.position_time = now
    vs.locked, vs.lock_time, vs.arrived = 0, None, False


def _record_done(fleet: Fleet, vs: VehicleState, rec: BookingRecord, kind: StopKind, arrived: int, now: int) -> None:
    """Keep the executed stop (actual times, load when leaving) for the vehicle's log."""
    pickup = kind == StopKind.PICKUP
    window = rec.pickup_window if pickup else rec.windows.dropoff
    b = rec.booking
    vs.done.append(
        Stop(
            booking_id=b.id,
            kind=kind,
            location=b.pickup if pickup else b.dropoff,
            earliest=int(window[0]),
            latest=int(window[1]),
            arrival=int(arrived),
            service_start=int(arrived),
            departure=int(now),
            seats_after=sum(fleet.records[r].booking.seats for r in vs.onboard),
            wheelchairs_after=sum(fleet.records[r].booking.wheelchairs for r in vs.onboard),
        )
    )

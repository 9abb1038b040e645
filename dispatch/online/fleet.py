"""The dispatcher's working state: vehicles with their timed plans and the booking records.

Holds no policy: the :class:`dispatch.online.dispatcher.Dispatcher` decides what to insert, move or drop; the
fleet keeps plans timed (:func:`dispatch.online.state.reschedule`) and the insertion arrays fresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from dispatch.costs import TravelCache
from dispatch.errors import BookingNotFound, VehicleNotFound
from dispatch.model import Booking, BookingStatus, Shift, Stop, StopKind, Vehicle
from dispatch.online.insertion import InsertionParams, RouteArrays, route_arrays
from dispatch.online.state import BookingRecord, VehicleState, reschedule
from dispatch.problem import Request, Visit, VisitKind
from dispatch.rules import ServiceRules


def duty_shift(vehicle: Vehicle) -> Shift:
    """One planning window per vehicle and day: first shift start to last shift end, with every break.

    The time between two shifts is not modelled as time off (the vehicle counts as available through
    it); the breaks (休憩) the shifts hold are (see :class:`dispatch.model.Break`).
    """
    if not vehicle.shifts:
        raise ValueError(f"vehicle {vehicle.id!r} has no shift: it needs at least one Shift with a depot")
    first = min(vehicle.shifts, key=lambda s: s.start)
    last = max(vehicle.shifts, key=lambda s: s.end)
    breaks = tuple(b for s in vehicle.shifts for b in s.breaks)
    return Shift(first.start, last.end, first.start_depot, last.return_depot, breaks=breaks)


def _places(vs: VehicleState) -> list[int]:
    """Road nodes a vehicle's day may visit of its own: depots and break places."""
    nodes = [vs.shift.start_depot.node, vs.shift.return_depot.node]
    return nodes + [b.location.node for b in vs.shift.breaks if b.location is not None]


class Fleet:
    """Vehicle states and booking records of one service day."""

    def __init__(self, cache: TravelCache, vehicles: Sequence[Vehicle], rules: ServiceRules,
                 insertion: InsertionParams) -> None:
        ids = [v.id for v in vehicles]
        if len(set(ids)) != len(ids):
            raise ValueError("vehicle ids must be unique")
        self.cache = cache
        self.rules = rules
        self.insertion = insertion
        self.states: dict[str, VehicleState] = {v.id: VehicleState(v, duty_shift(v)) for v in vehicles}
        self.records: dict[str, BookingRecord] = {}
        self.views: dict = {}  # memo of insertion.FleetView per vehicle subset
        self.now = -10**9
        cache.add([node for vs in self.states.values() for node in _places(vs)])
        for vs in self.states.values():
            if vs.sequence:  # the day's breaks
                self.retime(vs)

    def add(self, vehicle: Vehicle) -> VehicleState:
        """A vehicle joins the day with an empty plan from its depot (free from shift start or ``now``),
        holding the breaks that can still start in their window.

        Raises
        ------
        ValueError
            The id is already in the fleet, or the vehicle has no shift.
        """
        if vehicle.id in self.states:
            raise ValueError(f"vehicle id {vehicle.id!r} is already in the day's fleet")
        vs = VehicleState(vehicle, duty_shift(vehicle))
        # a break that can no longer start in its window when the vehicle joins is not planned
        vs.sequence = [(rid, k) for rid, k in vs.sequence
                       if k != VisitKind.BREAK or vs.shift_breaks[rid].latest >= self.now]
        self.cache.add(_places(vs))
        self.states[vehicle.id] = vs
        self.retime(vs)  # empty timing and insertion arrays, so the next search sees it
        return vs

    # lookups -------------------------------------------------------------------------------------
    def state(self, vehicle_id: str) -> VehicleState:
        try:
            return self.states[vehicle_id]
        except KeyError:
            raise VehicleNotFound(f"no vehicle {vehicle_id!r}") from None

    def record(self, booking_id: str) -> BookingRecord:
        try:
            return self.records[booking_id]
        except KeyError:
            raise BookingNotFound(f"no booking {booking_id!r}") from None

    def set_status(self, rec: BookingRecord, status: BookingStatus) -> None:
        rec.booking = rec.booking.with_status(status)

    def eligible(self, booking: Booking, only: Iterable[str] | None = None) -> list[VehicleState]:
        """Vehicles on duty that can carry the party, serve both ends and belong to the booking's fleet, if set."""
        chosen = set(only) if only is not None else None
        return [
            vs
            for vs in self.states.values()
            if not vs.off_duty
            and (chosen is None or vs.id in chosen)
            and vs.vehicle.can_carry(booking.seats, booking.wheelchairs)
            and vs.vehicle.serves(booking.pickup.jis_code)
            and vs.vehicle.serves(booking.dropoff.jis_code)
            and (booking.fleet is None or vs.vehicle.municipality == booking.fleet)
        ]

    # plan upkeep ---------------------------------------------------------------------------------
    def retime(self, vs: VehicleState, at: int | None = None) -> None:
        """Re-time the vehicle's plan and refresh what depends on it.

        ``at`` is when the vehicle became free (an execution event's own time, which may be a little
        earlier than the latest time the dispatcher heard of); the stop it must then have left for by
        now is locked.
        """
        when = self.now if at is None else min(at, self.now)
        reschedule(vs, self.records, self.cache, when)
        vs.arrays = route_arrays(vs, self.cache, when)
        self._lock_if_gone(vs)

    def retime_with(self, vs: VehicleState, visits: list[Visit], request: Request) -> None:
        """Adopt an exactly scheduled insertion of ``request`` (``vs.sequence`` already holds it)."""
        vs.requests = {**vs.requests, request.id: request}
        vs.visits = visits
        vs.arrays = route_arrays(vs, self.cache, self.now)

    def detach(self, booking_id: str) -> VehicleState | None:
        """Take a not-yet-boarded booking out of its vehicle's plan (re-timed); returns that vehicle."""
        rec = self.records[booking_id]
        vs = self.states.get(rec.vehicle_id) if rec.vehicle_id else None
        if vs is None:
            return None
        idx = [n for n, (rid, _) in enumerate(vs.sequence) if rid == booking_id]
        if idx and idx[0] < vs.locked:
            vs.locked = 0
            vs.lock_time = None
            vs.arrived = False
        vs.sequence = [item for item in vs.sequence if item[0] != booking_id]
        rec.vehicle_id = None
        self.retime(vs)
        return vs

    def advance(self, now: int) -> None:
        """Move the clock; lock the next stop of every vehicle that must have left for it by now.

        A break the driver has not reported is taken as planned: locked when it must begin, done when
        its time is over (a driver who reports it keeps the times they report).
        """
        if now <= self.now:
            return
        self.now = now
        for vs in self.states.values():
            self._lock_if_gone(vs)
            while self._break_over(vs):
                self.finish_break(vs, int(round(vs.visits[0].start)), int(round(vs.visits[0].departure)))
                self._lock_if_gone(vs)

    def _break_over(self, vs: VehicleState) -> bool:
        if vs.off_duty or not vs.visits or vs.visits[0].kind != VisitKind.BREAK or not vs.locked:
            return False
        return self.now >= vs.visits[0].departure

    def finish_break(self, vs: VehicleState, began: int, ended: int) -> None:
        """The first item, a break, was taken from ``began`` to ``ended``: log it and re-time the rest."""
        bid, kind = vs.sequence[0]
        assert kind == VisitKind.BREAK
        brk = vs.shift_breaks[bid]
        assert vs.position is not None
        place = vs.position if brk.location is None else brk.location
        vs.done.append(
            Stop(bid, StopKind.BREAK, place, brk.earliest, brk.latest, began, began, ended,
                 anywhere=brk.location is None)
        )
        vs.sequence = vs.sequence[1:]
        vs.breaks = {k: b for k, b in vs.breaks.items() if k != bid}
        vs.position = place
        vs.position_time = max(vs.position_time, ended)
        vs.locked, vs.lock_time, vs.arrived = 0, None, False
        self.retime(vs, at=ended)

    def _lock_if_gone(self, vs: VehicleState) -> None:
        """Lock the first stop if, timed just in time, the vehicle must have left for it by now."""
        if vs.locked or not vs.visits or vs.off_duty:
            return
        first = vs.visits[0]
        assert vs.position is not None
        here = self.cache.index(vs.position.node)
        if first.kind == VisitKind.BREAK:
            brk = vs.breaks.get(first.request_id)
            node = here if brk is None or brk.location is None else brk.location
        else:
            r = vs.requests[first.request_id]
            node = r.pickup if first.kind == VisitKind.PICKUP else r.dropoff
        leave = first.start - float(self.cache.seconds[here, node])
        if self.now >= leave:
            self.lock(vs, int(max(vs.position_time, leave)))

    def lock(self, vs: VehicleState, when: int) -> None:
        """The vehicle is committed to its first stop (driving there, or standing at it)."""
        if not vs.sequence:
            return
        vs.locked = 1
        vs.lock_time = when
        if isinstance(vs.arrays, RouteArrays):
            vs.arrays = replace(vs.arrays, locked=vs.fixed)  # a new object: fleet views keyed on identity refresh
        rid, kind = vs.sequence[0]
        if kind == VisitKind.BREAK:
            return
        rec = self.records[rid]
        if kind == VisitKind.PICKUP and rec.booking.status == BookingStatus.CONFIRMED:
            self.set_status(rec, BookingStatus.ASSIGNED)

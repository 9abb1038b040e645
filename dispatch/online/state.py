"""What the dispatcher knows about each booking and each vehicle, and how a vehicle's plan is timed.

A vehicle's plan starts where it is free next: its depot at shift start before the shift, otherwise its
last reported position. Plans are timed "just in time": a vehicle waits where it is and leaves so as to
arrive when service starts, so the stop it heads for is only locked once it must have left (or it
reported moving, or it arrived there). Riders on board are dropped off by that vehicle.

When reality runs late (a driver reports a position behind the plan), the promised windows may no longer
all hold. The plan is then timed against windows relaxed just enough to contain the late times, so the
dispatcher keeps working: nothing may be pushed later than it already is, and later insertions and the
re-optimiser work against the relaxed bounds. ``VehicleState.late`` lists the bookings concerned.

A vehicle's driver breaks (:class:`dispatch.model.Break` of its shifts) are items ``(break id,
VisitKind.BREAK)`` of its sequence from the start of the day, timed with the rest (see
:func:`dispatch.validator.schedule_route`); a break taken leaves the sequence for ``VehicleState.done``.
A break in progress is locked first (started at ``lock_time``), like a stop the vehicle stands at.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from dispatch.costs import TravelCache
from dispatch.model import Booking, Break, Location, Offer, Shift, Stop, StopKind, Vehicle, VehiclePlan
from dispatch.online.windows import BookingWindows, Window
from dispatch.problem import BreakSpec, Request, RoutingProblem, VehicleSpec, Visit, VisitKind
from dispatch.validator import TOLERANCE, check_route, schedule_route

SeqItem = tuple[str, VisitKind]


def break_id(vehicle_id: str, index: int) -> str:
    """Id of the ``index``-th break (in order of earliest start) of the vehicle's day."""
    return f"break:{vehicle_id}:{index + 1}"


def is_break(item: SeqItem) -> bool:
    return item[1] == VisitKind.BREAK


@dataclass
class BookingRecord:
    """A booking with what the dispatcher has decided about it.

    ``promised`` is the pickup window told to the caller (binding once confirmed); until then the
    windows derived from the request apply. ``pinned_to`` is the vehicle a dispatcher pinned the booking
    to: insertion and re-optimisation may retime it there but never move it to another vehicle.
    """

    booking: Booking
    windows: BookingWindows
    promised: Window | None = None
    vehicle_id: str | None = None
    offer: Offer | None = None
    hold_until: int | None = None
    picked_up_at: int | None = None
    dropped_at: int | None = None
    expired: bool = False
    pinned_to: str | None = None

    @property
    def id(self) -> str:
        return self.booking.id

    @property
    def pickup_window(self) -> Window:
        return self.promised if self.promised is not None else self.windows.pickup

    def request(self, cache: TravelCache, onboard_vehicle: str | None = None) -> Request:
        """The booking as a solver request over the cache's node indices (required, true windows)."""
        b = self.booking
        return Request(
            id=b.id,
            pickup=cache.index(b.pickup.node),
            dropoff=cache.index(b.dropoff.node),
            pickup_window=self.pickup_window,
            dropoff_window=self.windows.dropoff,
            load=(b.seats, b.wheelchairs),
            pickup_service=float(self.windows.pickup_service_s),
            dropoff_service=float(self.windows.dropoff_service_s),
            max_ride=float(self.windows.max_ride_s),
            required=True,
            onboard_vehicle=onboard_vehicle,
            picked_up_at=float(self.picked_up_at) if onboard_vehicle is not None and self.picked_up_at is not None
            else None,
        )


@dataclass
class VehicleState:
    """One vehicle's shift, where it is, what it carries and the visits it will make, in order.

    ``locked`` counts the stops at the head of ``sequence`` the vehicle is committed to (driving to or
    standing at: 0 or 1); ``held`` is the order of next stops a dispatcher locked
    (:meth:`dispatch.online.dispatcher.Dispatcher.lock_sequence`), always the head of ``sequence``. Neither
    insertion nor re-optimisation reorders or interleaves the first :attr:`fixed` stops.
    """

    vehicle: Vehicle
    shift: Shift
    on_shift: bool = False
    off_duty: bool = False
    position: Location | None = None
    position_time: int = 0
    locked: int = 0
    lock_time: int | None = None
    arrived: bool = False
    sequence: list[SeqItem] = field(default_factory=list)
    onboard: list[str] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    requests: dict[str, Request] = field(default_factory=dict)
    end_time: float = 0.0
    late: list[str] = field(default_factory=list)
    done: list[Stop] = field(default_factory=list)
    #: pickups driven to where nobody came (no-shows after arriving): (arrival s, booking id, place); they
    #: make no stop of :attr:`done`, but the drive there is vehicle-km and -hours
    missed: list[tuple[int, str, Location]] = field(default_factory=list)
    arrays: object | None = None
    held: list[SeqItem] = field(default_factory=list)
    breaks: dict[str, BreakSpec] = field(default_factory=dict)
    shift_breaks: dict[str, Break] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.position is None:
            self.position = self.shift.start_depot
            self.position_time = self.shift.start
        if not self.end_time:
            self.end_time = float(self.shift.end)
        if not self.shift_breaks:
            self.shift_breaks = {break_id(self.vehicle.id, n): b for n, b in enumerate(self.shift.breaks)}
            self.sequence = self.sequence + [(bid, VisitKind.BREAK) for bid in self.shift_breaks]

    def break_started(self) -> bool:
        """True while the driver is on the break that is the plan's first item."""
        return bool(self.arrived and self.sequence and is_break(self.sequence[0]) and self.lock_time is not None)

    @property
    def id(self) -> str:
        return self.vehicle.id

    @property
    def capacity(self) -> tuple[int, int]:
        return (self.vehicle.seats, self.vehicle.wheelchair_places)

    def start_time(self, now: int) -> int:
        """When the plan starts at :attr:`position`: fixed once locked, else not before ``now``."""
        if self.locked and self.lock_time is not None:
            return self.lock_time
        return max(self.position_time, now)

    @property
    def fixed(self) -> int:
        """How many stops at the head of the sequence nothing may reorder or insert into."""
        return max(self.locked, len(self.held))

    def booking_ids(self) -> set[str]:
        return {rid for rid, kind in self.sequence if kind != VisitKind.BREAK} | set(self.onboard)

    def spec(self, cache: TravelCache, now: int, end_time: float | None = None) -> VehicleSpec:
        assert self.position is not None
        pending = [rid for rid, kind in self.sequence if kind == VisitKind.BREAK]
        missing = [rid for rid in pending if rid not in self.breaks]
        if missing:
            self.breaks = {**self.breaks, **true_breaks(self, cache)}
        return VehicleSpec(
            id=self.id,
            start=cache.index(self.position.node),
            start_time=float(self.start_time(now)),
            end=cache.index(self.shift.return_depot.node),
            end_time=self.end_time if end_time is None else end_time,
            capacity=self.capacity,
            locked=tuple(self.sequence[: self.fixed]),
            breaks=tuple(self.breaks[rid] for rid in pending),
        )


def true_breaks(vs: VehicleState, cache: TravelCache) -> dict[str, BreakSpec]:
    """The vehicle's pending breaks as the solver sees them (location as a cache index, None = anywhere).

    A break in progress is fixed at the time it started, where the vehicle is.
    """
    out = {}
    for n, (bid, kind) in enumerate(vs.sequence):
        if kind != VisitKind.BREAK:
            continue
        b = vs.shift_breaks[bid]
        if n == 0 and vs.break_started():
            assert vs.lock_time is not None
            out[bid] = BreakSpec(bid, (float(vs.lock_time), float(vs.lock_time)), float(b.duration), None)
            continue
        loc = None if b.location is None else cache.index(b.location.node)
        out[bid] = BreakSpec(bid, (float(b.earliest), float(b.latest)), float(b.duration), loc)
    return out


def follow_held(vs: VehicleState) -> None:
    """Shrink the dispatcher's locked order to what is still ahead, as the head of the sequence.

    Made or removed stops leave it (it shrinks as stops are executed); the stop the vehicle is committed to
    heads it (a driver who arrived at another stop first: reality wins); it ends where the sequence
    stops following it.
    """
    if not vs.held:
        return
    ahead = set(vs.sequence)
    items = [item for item in vs.held if item in ahead]
    if vs.locked and vs.sequence and items and items[0] != vs.sequence[0]:
        first = vs.sequence[0]
        items = [first] + [item for item in items if item != first]
    n = 0
    while n < len(items) and items[n] == vs.sequence[n]:
        n += 1
    vs.held = items[:n]


def true_requests(vs: VehicleState, records: dict[str, BookingRecord], cache: TravelCache) -> dict[str, Request]:
    out = {}
    for rid in vs.booking_ids():
        out[rid] = records[rid].request(cache, vs.id if rid in vs.onboard else None)
    return out


def sub_problem(cache: TravelCache, requests: list[Request], spec: VehicleSpec) -> RoutingProblem:
    """A one-vehicle problem over the cache's matrices (views, nothing copied)."""
    return RoutingProblem(cache.seconds, cache.metres, requests, [spec])


def reschedule(vs: VehicleState, records: dict[str, BookingRecord], cache: TravelCache, now: int) -> None:
    """Time ``vs.sequence`` from where the vehicle is free next; relax only what reality already broke."""
    follow_held(vs)
    requests = true_requests(vs, records, cache)
    vs.sequence = breaks_when_empty(vs.sequence, set(vs.onboard), vs.break_started())
    vs.breaks = true_breaks(vs, cache)
    spec = vs.spec(cache, now, end_time=float(vs.shift.end))
    problem = sub_problem(cache, list(requests.values()), spec)
    visits = schedule_route(problem, spec, vs.sequence) if vs.sequence else []
    if visits is None:
        requests, spec, visits = _relaxed(vs, requests, spec, cache)
    else:
        vs.late = []
    vs.requests = requests
    vs.end_time = spec.end_time
    vs.visits = visits


def breaks_when_empty(sequence: list[SeqItem], onboard: set[str], started: bool) -> list[SeqItem]:
    """``sequence`` with each break that would have riders on board moved to where the vehicle is next empty.

    Plans the dispatcher makes never need this; reality can (a driver picks up a rider planned after a
    break before taking it). A break in progress (``started``) stays where it is.
    """
    carrying = set(onboard)
    out: list[SeqItem] = []
    waiting: list[SeqItem] = []
    for n, item in enumerate(sequence):
        rid, kind = item
        if kind == VisitKind.BREAK:
            if carrying and not (started and n == 0):
                waiting.append(item)
            else:
                out.append(item)
            continue
        out.append(item)
        if kind == VisitKind.PICKUP:
            carrying.add(rid)
        else:
            carrying.discard(rid)
        if not carrying and waiting:
            out += waiting
            waiting = []
    return out + waiting


def _relaxed(
    vs: VehicleState, requests: dict[str, Request], spec: VehicleSpec, cache: TravelCache
) -> tuple[dict[str, Request], VehicleSpec, list[Visit]]:
    """Earliest-possible timing, with windows and ride limits widened to contain it, then tightened."""
    earliest = _earliest_visits(vs, requests, spec, cache)
    loose = _widen(requests, earliest, spec)
    loose_spec = _widen_breaks(spec, earliest)
    end_time = max(float(vs.shift.end), _end_arrival(earliest, loose, loose_spec, cache))
    loose_spec = replace(loose_spec, end_time=end_time)
    problem = sub_problem(cache, list(loose.values()), loose_spec)
    visits = schedule_route(problem, loose_spec, vs.sequence) or earliest
    tight = _widen(requests, visits, spec)
    spec = _widen_breaks(spec, visits)
    vs.breaks = {b.id: b for b in spec.breaks}
    end_time = max(float(vs.shift.end), _end_arrival(visits, tight, spec, cache))
    vs.late = sorted(rid for rid in tight if tight[rid] != requests[rid])
    return tight, replace(spec, end_time=end_time), visits


def _widen_breaks(spec: VehicleSpec, visits: list[Visit]) -> VehicleSpec:
    """The spec with break windows widened to contain the starts ``visits`` give them (never narrowed)."""
    starts = {v.request_id: v.start for v in visits if v.kind == VisitKind.BREAK}
    out = []
    for b in spec.breaks:
        at = starts.get(b.id)
        lo, hi = b.window
        if at is not None and at > hi + TOLERANCE:
            b = replace(b, window=(lo, at))
        out.append(b)
    return replace(spec, breaks=tuple(out))


def _earliest_visits(
    vs: VehicleState, requests: dict[str, Request], spec: VehicleSpec, cache: TravelCache
) -> list[Visit]:
    out = []
    here, clock = spec.start, spec.start_time
    t = cache.seconds  # every node here is indexed already (spec and requests)
    drive_from, rested = clock, 0.0
    for rid, kind in vs.sequence:
        if kind == VisitKind.BREAK:
            b = spec.break_spec(rid)
            if b.location is None:
                start = max(clock, b.window[0])
                out.append(Visit(rid, kind, clock, start, start + b.duration))
                rested += b.duration
                clock = start + b.duration
                continue
            loc, window, service = b.location, b.window, b.duration
        else:
            r = requests[rid]
            loc = r.pickup if kind == VisitKind.PICKUP else r.dropoff
            window = r.pickup_window if kind == VisitKind.PICKUP else r.dropoff_window
            service = r.pickup_service if kind == VisitKind.PICKUP else r.dropoff_service
        arrival = max(clock, drive_from + rested + float(t[here, loc]))
        start = max(arrival, window[0])
        out.append(Visit(rid, kind, arrival, start, start + service))
        here, clock = loc, start + service
        drive_from, rested = clock, 0.0
    return out


def _widen(requests: dict[str, Request], visits: list[Visit], spec: VehicleSpec) -> dict[str, Request]:
    """Requests whose latest starts and ride limits are widened to what ``visits`` do (never narrowed)."""
    out = dict(requests)
    left: dict[str, float] = {rid: r.picked_up_at for rid, r in requests.items() if r.picked_up_at is not None}
    for v in visits:
        if v.kind == VisitKind.BREAK:
            continue
        r = out[v.request_id]
        if v.kind == VisitKind.PICKUP:
            left[r.id] = v.departure
            if v.start > r.pickup_window[1] + TOLERANCE:
                r = replace(r, pickup_window=(r.pickup_window[0], v.start))
        else:
            if v.start > r.dropoff_window[1] + TOLERANCE:
                r = replace(r, dropoff_window=(r.dropoff_window[0], v.start))
            began = left.get(r.id)
            if began is not None and r.max_ride is not None and v.start - began > r.max_ride + TOLERANCE:
                r = replace(r, max_ride=v.start - began)
        out[r.id] = r
    return out


def _end_arrival(visits: list[Visit], requests: dict[str, Request], spec: VehicleSpec, cache: TravelCache) -> float:
    if not visits:
        return spec.start_time
    here, drive_from, rested = spec.start, spec.start_time, 0.0
    for v in visits:
        if v.kind == VisitKind.BREAK:
            loc = spec.break_spec(v.request_id).location
            if loc is None:
                rested += v.departure - v.start
                continue
        else:
            r = requests[v.request_id]
            loc = r.pickup if v.kind == VisitKind.PICKUP else r.dropoff
        here, drive_from, rested = loc, v.departure, 0.0
    back = 0.0 if spec.end is None else float(cache.seconds[here, spec.end])
    return max(visits[-1].departure, drive_from + rested + back)


def plan_view(vs: VehicleState, records: dict[str, BookingRecord], cache: TravelCache, now: int) -> VehiclePlan:
    """The vehicle's plan as the outside world sees it: stops with just-in-time arrivals and loads."""
    assert vs.position is not None
    seats = sum(records[rid].booking.seats for rid in vs.onboard)
    chairs = sum(records[rid].booking.wheelchairs for rid in vs.onboard)
    stops = []
    here = cache.index(vs.position.node)
    start_time = vs.start_time(now)
    distance = drive = 0.0
    last_place = vs.position
    for visit in vs.visits:
        if visit.kind == VisitKind.BREAK:
            brk = vs.shift_breaks[visit.request_id]
            window = vs.breaks[visit.request_id].window if visit.request_id in vs.breaks else (brk.earliest, brk.latest)
            anywhere = brk.location is None or (vs.break_started() and visit is vs.visits[0])
            place = last_place if anywhere else brk.location
            assert place is not None
            if not anywhere:
                there = cache.index(place.node)
                distance += float(cache.metres[here, there])
                drive += float(cache.seconds[here, there])
                here, last_place = there, place
            stops.append(
                Stop(
                    booking_id=visit.request_id,
                    kind=StopKind.BREAK,
                    location=place,
                    earliest=int(window[0]),
                    latest=int(window[1]),
                    arrival=int(round(visit.start)),
                    service_start=int(round(visit.start)),
                    departure=int(round(visit.departure)),
                    seats_after=seats,
                    wheelchairs_after=chairs,
                    anywhere=brk.location is None,
                )
            )
            continue
        rec = records[visit.request_id]
        b = rec.booking
        pickup = visit.kind == VisitKind.PICKUP
        sign = 1 if pickup else -1
        seats += sign * b.seats
        chairs += sign * b.wheelchairs
        loc = b.pickup if pickup else b.dropoff
        window = rec.pickup_window if pickup else rec.windows.dropoff
        there = cache.index(loc.node)
        distance += float(cache.metres[here, there])
        drive += float(cache.seconds[here, there])
        here, last_place = there, loc
        stops.append(
            Stop(
                booking_id=b.id,
                kind=StopKind.PICKUP if pickup else StopKind.DROPOFF,
                location=loc,
                earliest=int(window[0]),
                latest=int(window[1]),
                arrival=int(round(visit.start)),
                service_start=int(round(visit.start)),
                departure=int(round(visit.departure)),
                seats_after=seats,
                wheelchairs_after=chairs,
            )
        )
    end = vs.shift.return_depot
    end_idx = cache.index(end.node)
    end_time = None
    if stops:
        distance += float(cache.metres[here, end_idx])
        drive += float(cache.seconds[here, end_idx])
        end_time = int(round(_end_arrival(vs.visits, vs.requests, vs.spec(cache, now), cache)))
    return VehiclePlan(
        vehicle_id=vs.id,
        start=vs.position,
        start_time=start_time,
        stops=stops,
        end=end,
        end_time=end_time,
        distance_m=distance,
        drive_s=drive,
    )


def route_check(vs: VehicleState, cache: TravelCache, now: int) -> list[str]:
    """Violations of the vehicle's current timed plan against its (possibly relaxed) requests."""
    spec = vs.spec(cache, now)
    problem = sub_problem(cache, list(vs.requests.values()), spec)
    return [str(v) for v in check_route(problem, spec, jit_visits(vs.visits))]


def jit_visits(visits: list[Visit]) -> list[Visit]:
    """Visits with arrival = service start: the vehicle waits before leaving, not at the stop."""
    return [replace(v, arrival=v.start) for v in visits]

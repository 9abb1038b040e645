"""Plain data objects of the dispatch domain: bookings, vehicles, stops, plans, offers.

All times are seconds since the service day's midnight (Asia/Tokyo); a time before the day starts is
negative (a booking made two days ahead has ``booked_at`` about -2 x 86,400). Distances are metres.
Locations are road-graph nodes; latitude/longitude and the stop key are kept for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class BookingStatus(StrEnum):
    """Where a booking stands in its life."""

    REQUESTED = "requested"
    OFFERED = "offered"
    CONFIRMED = "confirmed"
    ASSIGNED = "assigned"
    ONBOARD = "onboard"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in _FINAL

    @property
    def is_active(self) -> bool:
        """True while the booking occupies (or will occupy) room in a vehicle plan."""
        return self in _ACTIVE


_FINAL = frozenset(
    {BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW, BookingStatus.REJECTED}
)
_ACTIVE = frozenset(
    {BookingStatus.OFFERED, BookingStatus.CONFIRMED, BookingStatus.ASSIGNED, BookingStatus.ONBOARD}
)


class TimeKind(StrEnum):
    """How the caller states the time: leave after it, or arrive before it."""

    DEPART_AFTER = "depart_after"
    ARRIVE_BY = "arrive_by"


class StopKind(StrEnum):
    PICKUP = "pickup"
    DROPOFF = "dropoff"
    BREAK = "break"


@dataclass(frozen=True)
class Location:
    """A point of service: a road-graph node, with what a person needs to recognise it.

    Parameters
    ----------
    node
        Road-graph node id (or, in benchmark instances, the instance's node index).
    lat, lon
        WGS84 degrees of the rider's point (not the snapped node), if known.
    stop_id
        Key of a named stop or place (``st:Shimonita``, ``tomioka_general_hospital``), if booked at one.
    name
        Label for manifests and the console.
    jis_code
        Municipality (JIS code) the location lies in; decides which fleet serves it.
    access_s
        Seconds the rider walks between the point and ``node`` (0 at a stop).
    """

    node: int
    lat: float | None = None
    lon: float | None = None
    stop_id: str | None = None
    name: str = ""
    jis_code: str | None = None
    access_s: float = 0.0


@dataclass
class Booking:
    """One trip request of a party travelling together.

    ``seats`` riders sit in ordinary seats and ``wheelchairs`` riders stay in their wheelchair and take a
    wheelchair place. ``pickup_window``/``dropoff_window`` override the windows the service rules derive
    from ``requested_time``; the trip planner sets them on linked legs (reach the station before the
    train, leave it after the train arrives). ``fleet`` names the municipality (JIS code) whose vehicles
    must serve the booking (the trip planner sets it on legs: a feeder is its home municipality's);
    None means any vehicle whose service area covers both ends. ``priority`` (``open_return``: a rider
    calling to be taken home) lets the booking use a reserve when nothing fits (see :mod:`dispatch.priority`).
    """

    id: str
    pickup: Location
    dropoff: Location
    requested_time: int
    time_kind: TimeKind = TimeKind.DEPART_AFTER
    seats: int = 1
    wheelchairs: int = 0
    rider_ids: tuple[str, ...] = ()
    booked_at: int = 0
    service_day: str = ""
    status: BookingStatus = BookingStatus.REQUESTED
    notes: str = ""
    home_municipality: str | None = None
    fare_class: str = "resident"
    trip_id: str | None = None
    leg_index: int = 0
    pickup_window: tuple[int, int] | None = None
    dropoff_window: tuple[int, int] | None = None
    fleet: str | None = None
    priority: str | None = None

    @property
    def party_size(self) -> int:
        return self.seats + self.wheelchairs

    def with_status(self, status: BookingStatus) -> Booking:
        return replace(self, status=status)


@dataclass(frozen=True)
class Break:
    """A driver's break (休憩) in a shift: ``duration`` seconds starting between ``earliest`` and ``latest``.

    A fixed-time break has ``earliest == latest``. ``location`` is where it is taken (the depot, an
    office); None means anywhere: on the way between two stops, wherever the vehicle is. Either way the
    vehicle carries nobody during it (a driver does not rest with riders on board). Times are seconds
    since the service day's midnight.

    Raises
    ------
    ValueError
        A duration that is not positive, or a latest start before the earliest.
    """

    earliest: int
    latest: int
    duration: int
    location: Location | None = None

    def __post_init__(self) -> None:
        if self.duration <= 0:
            raise ValueError(f"a break needs a positive duration (got {self.duration} s)")
        if self.latest < self.earliest:
            raise ValueError(f"a break's latest start {self.latest} is before its earliest start {self.earliest}")

    @property
    def fixed(self) -> bool:
        return self.earliest == self.latest


@dataclass(frozen=True)
class Shift:
    """A driver's shift on one vehicle: leave ``start_depot`` at ``start``, be back at ``end``.

    ``breaks`` are taken inside the shift: each starts no earlier than ``start`` and ends by ``end`` even
    when started at its latest. They are kept in order of earliest start, and each must be able to follow
    the one before it (its latest start is not before the earlier break's earliest end).
    """

    start: int
    end: int
    start_depot: Location
    end_depot: Location | None = None
    breaks: tuple[Break, ...] = ()

    def __post_init__(self) -> None:
        ordered = sorted(self.breaks, key=lambda b: (b.earliest, b.latest))
        for b in ordered:
            if b.earliest < self.start or b.latest + b.duration > self.end:
                raise ValueError(
                    f"break [{b.earliest}, {b.latest}] + {b.duration} s does not fit in the shift "
                    f"[{self.start}, {self.end}]"
                )
        for a, b in zip(ordered, ordered[1:], strict=False):
            if b.latest < a.earliest + a.duration:
                raise ValueError(f"breaks starting {a.earliest} and {b.earliest} cannot both be taken in order")
        object.__setattr__(self, "breaks", tuple(ordered))

    @property
    def return_depot(self) -> Location:
        return self.end_depot if self.end_depot is not None else self.start_depot


@dataclass(frozen=True)
class Vehicle:
    """A vehicle of a municipality's fleet.

    ``service_area`` lists the municipalities (JIS codes) it may pick up or drop off in; ``None`` means
    anywhere. The operating model (municipal-only, wide-area) fills it in.
    """

    id: str
    municipality: str
    seats: int = 7
    wheelchair_places: int = 0
    shifts: tuple[Shift, ...] = ()
    service_area: frozenset[str] | None = None
    label: str = ""

    def can_carry(self, seats: int, wheelchairs: int) -> bool:
        return seats <= self.seats and wheelchairs <= self.wheelchair_places

    def serves(self, jis_code: str | None) -> bool:
        return self.service_area is None or jis_code is None or jis_code in self.service_area


@dataclass
class Stop:
    """A planned visit of a vehicle: pick up or drop off one booking, or the driver's break.

    ``earliest``/``latest`` is the window service must start in; ``arrival`` and ``departure`` the planned
    times; ``seats_after``/``wheelchairs_after`` the load when the vehicle leaves. A break (kind
    ``BREAK``) has the break's id in ``booking_id``, its start window in ``earliest``/``latest`` and
    lasts from ``service_start`` to ``departure``; ``anywhere`` marks a break taken wherever the vehicle
    is (``location`` is then the place of the stop before it).
    """

    booking_id: str
    kind: StopKind
    location: Location
    earliest: int
    latest: int
    arrival: int = 0
    service_start: int = 0
    departure: int = 0
    seats_after: int = 0
    wheelchairs_after: int = 0
    anywhere: bool = False


@dataclass
class VehiclePlan:
    """The ordered stops one vehicle will make, starting from where it is free next."""

    vehicle_id: str
    start: Location
    start_time: int
    stops: list[Stop] = field(default_factory=list)
    end: Location | None = None
    end_time: int | None = None
    distance_m: float = 0.0
    drive_s: float = 0.0

    @property
    def booking_ids(self) -> set[str]:
        return {s.booking_id for s in self.stops if s.kind != StopKind.BREAK}


@dataclass(frozen=True)
class OfferLeg:
    """One leg of an itinerary as the caller hears it: a taxi ride, a train, or a walk."""

    mode: str  # "drt" | "rail" | "walk"
    origin: str
    destination: str
    depart: int
    arrive: int
    booking_id: str | None = None
    vehicle_id: str | None = None
    pickup_window: tuple[int, int] | None = None
    train_id: str | None = None
    fare_yen: int = 0


@dataclass(frozen=True)
class Offer:
    """What is promised to the caller: a pickup window and an expected drop-off."""

    booking_id: str
    vehicle_id: str
    pickup_window: tuple[int, int]
    expected_pickup: int
    expected_dropoff: int
    fare_yen: int = 0
    legs: tuple[OfferLeg, ...] = ()


class RejectionReason(StrEnum):
    OUTSIDE_SERVICE_HOURS = "outside_service_hours"
    TOO_LITTLE_NOTICE = "too_little_notice"
    BEYOND_HORIZON = "beyond_horizon"
    PARTY_TOO_LARGE = "party_too_large"
    OUTSIDE_SERVICE_AREA = "outside_service_area"
    NO_VEHICLE_AVAILABLE = "no_vehicle_available"
    INVALID_REQUEST = "invalid_request"


@dataclass(frozen=True)
class Rejection:
    """Why a booking cannot be served as asked, and requested times that could be (seconds)."""

    booking_id: str
    reason: RejectionReason
    message: str
    alternatives: tuple[int, ...] = ()


class BookingRejected(Exception):
    """Raised where a caller wants an exception rather than a :class:`Rejection` value."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.message)
        self.rejection = rejection

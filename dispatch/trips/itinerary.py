"""Legs, trip options and itineraries: a trip as the planner prices it and as the rider is told it.

Times are seconds since the service day's midnight, distances metres, money yen. A :class:`Leg` of mode
``drt`` becomes a dispatcher booking (``booking_id``) once the option is inserted; ``rail`` legs carry
the train :class:`~dispatch.rail.timetable.Connection`; ``walk`` legs are on foot.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from dispatch.model import Booking, BookingStatus, Location, Offer, OfferLeg
from dispatch.online.admission import hhmm
from dispatch.rail.timetable import Connection

DRT, RAIL, WALK = "drt", "rail", "walk"
LOCAL, DIRECT, CHAIN = "local", "direct", "chain"


def place_label(location: Location) -> str:
    """What a rider recognises: the stop name, else the stop key, else the node."""
    return location.name or location.stop_id or f"node {location.node}"


@dataclass(frozen=True)
class Leg:
    """One leg of a trip.

    Parameters
    ----------
    mode
        ``"drt"``, ``"rail"`` or ``"walk"``.
    origin, destination
        Where the leg starts and ends.
    depart, arrive
        Planned (estimated before insertion, dispatcher-expected after) departure and arrival, s.
    fleet
        Municipality (JIS) whose vehicles give a ``drt`` leg.
    distance_m, direct_s
        Road (or walking) metres and the direct drive seconds of the leg; for rail the km post
        difference in metres and the ride seconds.
    fare_yen
        What the rider pays for the leg.
    pickup_window, dropoff_window
        Windows handed to the dispatcher for a ``drt`` leg of a chain (None: derived from the
        rider's own request by the service rules).
    connection
        The train of a ``rail`` leg.
    booking_id, vehicle_id, promised_window
        Set once the leg is inserted: the dispatcher booking, its vehicle and the pickup window told
        to the rider.
    empty_m, empty_s
        Estimated empty driving the leg causes beyond its own (the return of a taxi that leaves its
        municipality), metres and seconds.
    """

    mode: str
    origin: Location
    destination: Location
    depart: int
    arrive: int
    fleet: str | None = None
    distance_m: float = 0.0
    direct_s: float = 0.0
    fare_yen: int = 0
    pickup_window: tuple[int, int] | None = None
    dropoff_window: tuple[int, int] | None = None
    connection: Connection | None = None
    booking_id: str | None = None
    vehicle_id: str | None = None
    promised_window: tuple[int, int] | None = None
    empty_m: float = 0.0
    empty_s: float = 0.0

    @property
    def train_id(self) -> str | None:
        return self.connection.train_id if self.connection is not None else None

    def to_offer_leg(self) -> OfferLeg:
        return OfferLeg(
            mode=self.mode,
            origin=place_label(self.origin),
            destination=place_label(self.destination),
            depart=int(self.depart),
            arrive=int(self.arrive),
            booking_id=self.booking_id,
            vehicle_id=self.vehicle_id,
            pickup_window=self.promised_window,
            train_id=self.train_id,
            fare_yen=self.fare_yen,
        )

    def describe(self) -> str:
        where = f"{place_label(self.origin)} -> {place_label(self.destination)}"
        if self.mode == RAIL:
            return f"train {self.train_id} {hhmm(self.depart)} {where} {hhmm(self.arrive)}"
        who = f" ({self.vehicle_id})" if self.vehicle_id else (f" (fleet {self.fleet})" if self.fleet else "")
        return f"{self.mode}{who} {hhmm(self.depart)} {where} {hhmm(self.arrive)}"


@dataclass(frozen=True)
class TripOption:
    """One way to make the trip, with what it costs the rider and the operators.

    ``total_s`` runs from the asked time to the arrival (depart-after) or from the departure to the
    asked time (arrive-by); ``wait_s`` is the part spent waiting for a vehicle or train, ``schedule_s``
    the part spent at home or arriving early. Vehicle-km and vehicle-hours count the taxi legs and the
    empty return a border crossing causes.
    """

    kind: str
    legs: tuple[Leg, ...]
    total_s: float
    wait_s: float
    schedule_s: float
    in_vehicle_s: float
    in_train_s: float
    walk_s: float
    transfers: int
    vehicle_km: float
    vehicle_h: float
    fare_yen: int
    cost_yen: float
    hubs: tuple[str, str] | None = None

    @property
    def train_id(self) -> str | None:
        return next((leg.train_id for leg in self.legs if leg.mode == RAIL), None)

    @property
    def drt_legs(self) -> list[Leg]:
        return [leg for leg in self.legs if leg.mode == DRT]

    def describe(self) -> str:
        head = (f"{self.kind}: {self.total_s / 60:.0f} min door to door, {self.fare_yen} yen, "
                f"{self.vehicle_km:.1f} veh-km, cost {self.cost_yen:.0f}")
        return head + "".join(f"\n  {leg.describe()}" for leg in self.legs)


@dataclass
class Itinerary:
    """A rider's booked trip: the option chosen and its live legs.

    ``booking`` is the caller's booking as asked (its id is the trip's id); ``legs`` are updated when
    the dispatcher re-times a leg or a delay re-plans it.
    """

    booking: Booking
    option: TripOption
    legs: list[Leg]
    status: BookingStatus = BookingStatus.OFFERED
    replanned: list[str] = field(default_factory=list)
    at_risk: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.booking.id

    @property
    def kind(self) -> str:
        return self.option.kind

    @property
    def leg_booking_ids(self) -> list[str]:
        return [leg.booking_id for leg in self.legs if leg.booking_id is not None]

    @property
    def fare_yen(self) -> int:
        return sum(leg.fare_yen for leg in self.legs)

    def rail_leg(self) -> tuple[int, Leg] | None:
        return next(((i, leg) for i, leg in enumerate(self.legs) if leg.mode == RAIL), None)

    def replace_leg(self, index: int, **changes: object) -> None:
        self.legs[index] = replace(self.legs[index], **changes)

    def to_offer(self) -> Offer:
        """The offer the caller hears: first taxi leg's vehicle and window, arrival, every leg, total fare."""
        first = next((leg for leg in self.legs if leg.mode == DRT), None)
        start, end = self.legs[0], self.legs[-1]
        window = first.promised_window if first is not None and first.promised_window else (start.depart, start.depart)
        return Offer(
            booking_id=self.booking.id,
            vehicle_id=(first.vehicle_id or "") if first is not None else "",
            pickup_window=window,
            expected_pickup=int(first.depart if first is not None else start.depart),
            expected_dropoff=int(end.arrive),
            fare_yen=self.fare_yen,
            legs=tuple(leg.to_offer_leg() for leg in self.legs),
        )

    def describe(self) -> str:
        return f"{self.booking.id} [{self.kind}, {self.status}]" + "".join(f"\n  {leg.describe()}" for leg in self.legs)

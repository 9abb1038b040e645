"""Per-municipality accounting: who drove how much for whom, so the four municipalities can share costs.

The settlement sphere's vision asks the municipalities to share the cost of a common service (役割分担).
This module splits every vehicle's day into driven segments (depot -> executed stops -> planned stops ->
depot) and books each segment's kilometres and hours

* to the **fleet** that drove it (the vehicle's municipality),
* to the **municipality served**: the home municipalities of the riders the segment carries or goes to
  fetch, shared by party size (an empty return is booked to the riders just set down), and
* to the **territory** the segment drives into (the municipality of its end point).

Riders are counted by home municipality and by how they travelled (local, direct, chain) and how many
were delivered to (or fetched from) the railway. Distances in km, times in hours, money in yen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dispatch.costs import TravelCosts
from dispatch.fares import FareTable
from dispatch.model import Booking, BookingStatus, Location, Stop, StopKind, Vehicle, VehiclePlan

if TYPE_CHECKING:
    from dispatch.online.dispatcher import Dispatcher
    from dispatch.trips.itinerary import Itinerary
    from dispatch.trips.planner import TripPlanner

UNKNOWN = "unknown"
#: Bookings that count as riders: accepted and not called off.
COUNTED = frozenset({BookingStatus.CONFIRMED, BookingStatus.ASSIGNED, BookingStatus.ONBOARD, BookingStatus.COMPLETED})


@dataclass(frozen=True)
class Segment:
    """One drive between two consecutive points of a vehicle's day.

    ``riders`` are ``(booking_id, home municipality, party size)`` of those on board or being fetched.
    """

    vehicle_id: str
    fleet: str
    metres: float
    seconds: float
    to_municipality: str
    riders: tuple[tuple[str, str, int], ...]


def home_of(booking: Booking) -> str:
    """A rider's home municipality: as booked, else where the trip starts, else unknown."""
    return booking.home_municipality or booking.pickup.jis_code or UNKNOWN


def vehicle_segments(vehicle: Vehicle, done: Sequence[Stop], plan: VehiclePlan, bookings: Mapping[str, Booking],
                     costs: TravelCosts, missed: Sequence[tuple[int, str, Location]] = ()) -> list[Segment]:
    """Split one vehicle's day into driven segments with the riders each one serves.

    Parameters
    ----------
    vehicle
        The vehicle (its first shift's depot is where the day starts).
    done, plan
        Executed stops and the remaining plan (``Dispatcher.executed`` and ``Dispatcher.plan``).
    bookings
        Bookings by id (for home municipality and party size).
    costs
        Road costs between nodes (metres, seconds).
    missed
        Pickups driven to where nobody came (``Dispatcher.missed``: arrival s, booking id, place), placed among
        the executed stops by time: the drive there is the vehicle's too, shared as a fetch of that rider.
    """
    stops = list(done) + list(plan.stops) + [None for _ in missed]
    if not stops or not vehicle.shifts:
        return []
    depot = min(vehicle.shifts, key=lambda s: s.start).start_depot
    back = plan.end or max(vehicle.shifts, key=lambda s: s.end).return_depot
    points: list[tuple[Location, Stop | None, str | None]] = [(depot, None, None)]
    waiting = sorted(missed, key=lambda m: m[0])
    for s in done:
        while waiting and waiting[0][0] <= s.arrival:
            t, bid, loc = waiting.pop(0)
            points.append((loc, None, bid))
        points.append((s.location, s, None))
    points += [(loc, None, bid) for _, bid, loc in waiting]
    if len(points) > 1 and plan.stops and plan.start.node != points[-1][0].node:
        points.append((plan.start, None, None))
    points += [(s.location, s, None) for s in plan.stops] + [(back, None, None)]
    onboard: dict[str, tuple[str, str, int]] = {}
    last_served: tuple[tuple[str, str, int], ...] = ()
    out = []
    for (a, _, _), (b, stop, fetched) in zip(points, points[1:], strict=False):
        rider = None
        booking_id = stop.booking_id if stop is not None else fetched
        if booking_id is not None and booking_id in bookings:
            bk = bookings[booking_id]
            rider = (bk.id, home_of(bk), bk.party_size)
        riders = tuple(onboard.values())
        if rider is not None and (fetched is not None or stop.kind == StopKind.PICKUP):
            riders += (rider,)
        if not riders:
            riders = last_served
        if a.node != b.node:
            out.append(Segment(vehicle.id, vehicle.municipality, costs.distance(a.node, b.node),
                               costs.travel_time(a.node, b.node), b.jis_code or UNKNOWN, riders))
        if stop is not None and rider is not None:  # a missed pickup carries nobody on
            if stop.kind == StopKind.PICKUP:
                onboard[stop.booking_id] = rider
            else:
                onboard.pop(stop.booking_id, None)
                last_served = (rider,)
    return out


def day_segments(dispatcher: Dispatcher, costs: TravelCosts) -> list[Segment]:
    """Every vehicle's driven segments of the day (executed and planned)."""
    bookings = {b.id: b for b in dispatcher.bookings()}
    out: list[Segment] = []
    for vehicle in dispatcher.vehicles:
        out += vehicle_segments(vehicle, dispatcher.executed(vehicle.id), dispatcher.plan(vehicle.id), bookings,
                                costs, dispatcher.missed(vehicle.id))
    return out


def allocate(segments: Iterable[Segment], key: Callable[[str], str]) -> dict[str, tuple[float, float]]:
    """Split the segments' km and hours over any grouping of bookings (``key(booking_id)``), by party size.

    The same rule as the municipal accounts (a segment is shared by the riders it carries or fetches, an
    empty return goes to the riders just set down), so the groups sum to the fleet totals.

    Returns
    -------
    dict
        ``group -> (km, hours)``.
    """
    km: dict[str, float] = defaultdict(float)
    hours: dict[str, float] = defaultdict(float)
    for seg in segments:
        riders = [(bid, key(bid), party) for bid, _, party in seg.riders]
        for group, part in _share(seg.metres / 1000.0, riders).items():
            km[group] += part
        for group, part in _share(seg.seconds / 3600.0, riders).items():
            hours[group] += part
    return {g: (km[g], hours[g]) for g in km}


def _share(total: float, riders: Sequence[tuple[str, str, int]]) -> dict[str, float]:
    """Split ``total`` over the riders' home municipalities by party size (unknown when nobody)."""
    if not riders:
        return {UNKNOWN: total}
    weight = sum(party for _, _, party in riders)
    out: dict[str, float] = defaultdict(float)
    for _, home, party in riders:
        out[home] += total * party / weight
    return out


def _nested() -> defaultdict[str, defaultdict[str, float]]:
    return defaultdict(lambda: defaultdict(float))


@dataclass
class MunicipalAccounts:
    """Vehicle-km and vehicle-hours by fleet, by municipality served and by territory; riders by home.

    ``km``/``hours`` are ``[fleet][home municipality served]`` tables: each row sums to that fleet's total,
    each column is what a municipality's residents used of every fleet.
    """

    km: dict[str, dict[str, float]] = field(default_factory=_nested)
    hours: dict[str, dict[str, float]] = field(default_factory=_nested)
    km_by_territory: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    vehicles_by_fleet: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    riders: dict[str, dict[str, float]] = field(default_factory=_nested)
    fares_by_fleet: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    rail_fares_yen: float = 0.0

    # ------------------------------------------------------------------ totals
    def fleet_km(self, fleet: str) -> float:
        return sum(self.km.get(fleet, {}).values())

    def fleet_hours(self, fleet: str) -> float:
        return sum(self.hours.get(fleet, {}).values())

    def served_km(self, home: str) -> float:
        return sum(row.get(home, 0.0) for row in self.km.values())

    def served_hours(self, home: str) -> float:
        return sum(row.get(home, 0.0) for row in self.hours.values())

    @property
    def total_km(self) -> float:
        return sum(self.fleet_km(f) for f in self.km)

    @property
    def total_hours(self) -> float:
        return sum(self.fleet_hours(f) for f in self.hours)

    # ------------------------------------------------------------------ building
    def add_segments(self, segments: Iterable[Segment]) -> None:
        for seg in segments:
            for home, part in _share(seg.metres / 1000.0, seg.riders).items():
                self.km[seg.fleet][home] += part
            for home, part in _share(seg.seconds / 3600.0, seg.riders).items():
                self.hours[seg.fleet][home] += part
            self.km_by_territory[seg.to_municipality] += seg.metres / 1000.0

    def add_trip(self, home: str, kind: str, riders: int, rail: bool) -> None:
        row = self.riders[home]
        row["trips"] += 1
        row["riders"] += riders
        row[kind] += riders
        if rail:
            row["rail"] += riders

    @classmethod
    def from_dispatcher(cls, dispatcher: Dispatcher, costs: TravelCosts,
                        itineraries: Iterable[Itinerary] = (), fares: FareTable | None = None) -> MunicipalAccounts:
        """Accounts of a dispatcher's day (executed and planned), with trips from ``itineraries`` if given.

        Bookings not part of an itinerary count as one local trip each, with the fleet fare of ``fares``.
        """
        acc = cls()
        bookings = {b.id: b for b in dispatcher.bookings()}
        fleet_of: dict[str, str] = {}
        for vehicle in dispatcher.vehicles:
            done, plan = dispatcher.executed(vehicle.id), dispatcher.plan(vehicle.id)
            segments = vehicle_segments(vehicle, done, plan, bookings, costs, dispatcher.missed(vehicle.id))
            if segments:
                acc.vehicles_by_fleet[vehicle.municipality] += 1
            acc.add_segments(segments)
            for stop in list(done) + list(plan.stops):
                fleet_of[stop.booking_id] = vehicle.municipality
        in_trips: set[str] = set()
        for itinerary in itineraries:
            if itinerary.status not in COUNTED:
                continue
            legs = [leg for leg in itinerary.legs if leg.booking_id is not None]
            in_trips.update(leg.booking_id for leg in legs if leg.booking_id is not None)
            rail = any(leg.mode == "rail" for leg in itinerary.legs)
            acc.add_trip(home_of(itinerary.booking), itinerary.kind, itinerary.booking.party_size, rail)
            for leg in itinerary.legs:
                if leg.mode == "drt" and leg.booking_id is not None:
                    acc.fares_by_fleet[fleet_of.get(leg.booking_id, leg.fleet or UNKNOWN)] += leg.fare_yen
                elif leg.mode == "rail":
                    acc.rail_fares_yen += leg.fare_yen
        for bid, booking in bookings.items():
            if bid in in_trips or booking.status not in COUNTED:
                continue
            acc.add_trip(home_of(booking), "local", booking.party_size, False)
            fleet = fleet_of.get(bid)
            if fares is not None and fleet is not None and fleet in fares.drt:
                acc.fares_by_fleet[fleet] += fares.drt_fare(fleet, booking.home_municipality,
                                                            booking.fare_class) * booking.party_size
        return acc

    @classmethod
    def from_planner(cls, planner: TripPlanner) -> MunicipalAccounts:
        """Accounts of everything the planner booked (its dispatcher, road network and fares)."""
        return cls.from_dispatcher(planner.dispatcher, planner.builder.network, planner.itineraries(),
                                   planner.model.fares)

    # ------------------------------------------------------------------ output
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe tables (km and hours rounded to 0.001)."""
        def tidy(table: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
            return {k: {h: round(v, 3) for h, v in sorted(row.items())} for k, row in sorted(table.items())}

        fleets = sorted(self.km)
        homes = sorted({h for row in self.km.values() for h in row} | set(self.riders))
        return {
            "by_fleet": {f: {"vehicles": self.vehicles_by_fleet.get(f, 0), "vehicle_km": round(self.fleet_km(f), 3),
                             "vehicle_h": round(self.fleet_hours(f), 3),
                             "fares_yen": round(self.fares_by_fleet.get(f, 0.0))} for f in fleets},
            "by_municipality_served": {h: {"vehicle_km": round(self.served_km(h), 3),
                                           "vehicle_h": round(self.served_hours(h), 3)} for h in homes},
            "km_fleet_x_served": tidy(self.km),
            "hours_fleet_x_served": tidy(self.hours),
            "km_by_territory": {k: round(v, 3) for k, v in sorted(self.km_by_territory.items())},
            "riders_by_home": tidy(self.riders),
            "rail_fares_yen": round(self.rail_fares_yen),
            "total_km": round(self.total_km, 3),
            "total_hours": round(self.total_hours, 3),
        }

    def table(self, names: Mapping[str, str] | None = None) -> str:
        """A plain-text table: per municipality, km and hours driven by its fleet and used by its residents."""
        names = names or {}
        homes = sorted(set(self.km) | {h for row in self.km.values() for h in row} | set(self.riders))
        lines = [f"{'municipality':<14}{'fleet km':>10}{'fleet h':>9}{'served km':>11}{'served h':>10}"
                 f"{'trips':>7}{'to rail':>9}{'fares':>9}"]
        for m in homes:
            r = self.riders.get(m, {})
            lines.append(f"{names.get(m, m):<14}{self.fleet_km(m):>10.1f}{self.fleet_hours(m):>9.2f}"
                         f"{self.served_km(m):>11.1f}{self.served_hours(m):>10.2f}{r.get('trips', 0):>7.0f}"
                         f"{r.get('rail', 0):>9.0f}{self.fares_by_fleet.get(m, 0):>9.0f}")
        lines.append(f"{'total':<14}{self.total_km:>10.1f}{self.total_hours:>9.2f}{self.total_km:>11.1f}"
                     f"{self.total_hours:>10.2f}{'':>7}{'':>9}{sum(self.fares_by_fleet.values()):>9.0f}")
        return "\n".join(lines)

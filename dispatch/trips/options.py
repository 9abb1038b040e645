"""Enumerate the ways to make a trip: local ride, direct border crossing, or taxi -> train -> taxi chains.

For each booking the builder looks at the origin's and destination's municipalities and stations: a
station at either end is used as it is, a station within walking distance is walked to, and the nearest
hubs of a municipality with a fleet are reached by a feeder taxi. Every hub pair is tried with the next
trains after the asked time (depart-after) or the last ones before it (arrive-by). Each feasible chain
gets feeder windows that make the connection: the feeder drops the rider by ``departure - buffer``, the
onward feeder picks up from ``arrival + access``. Times in seconds, distances metres, money yen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from dispatch.model import Booking, Location, TimeKind
from dispatch.rail.access import StationIndex
from dispatch.rail.timetable import Connection, Timetable
from dispatch.rules import ServiceRules
from dispatch.trips.itinerary import CHAIN, DIRECT, DRT, LOCAL, RAIL, WALK, Leg, TripOption
from dispatch.trips.operating_model import OperatingModel


class StationPlace(Protocol):
    """A road-network station (``routing.facts.Station``)."""

    key: str
    name_ja: str
    name_en: str
    jis_code: str
    lat: float
    lon: float
    node: int
    km_from_takasaki: float


class PlanningNetwork(Protocol):
    """What the planner needs of the road network (``routing.RoadNetwork`` provides it)."""

    @property
    def stations(self) -> Sequence[StationPlace]: ...

    def travel_time(self, a: int, b: int) -> float: ...

    def distance(self, a: int, b: int) -> float: ...

    def zone_of(self, lat: float, lon: float) -> object: ...

    def node_latlon(self, node: int) -> tuple[float, float]: ...


@dataclass(frozen=True)
class _End:
    """How the rider gets between their own point and a station at one end of a chain."""

    station: str
    mode: str | None  # None: the point is the station; WALK or DRT
    seconds: float  # walk or direct drive seconds
    metres: float
    fleet: str | None = None


class OptionBuilder:
    """Builds and prices every trip option of a booking.

    Parameters
    ----------
    network
        Road network: drive times, stations, zones.
    timetable
        Trains of the service day.
    model
        Operating model (fleets, direct crossings, hubs, weights, fares).
    rules
        Service rules (dwell times, maximum ride, waiting, service hours).
    """

    def __init__(self, network: PlanningNetwork, timetable: Timetable, model: OperatingModel,
                 rules: ServiceRules) -> None:
        self.network = network
        self.timetable = timetable
        self.model = model
        self.rules = rules
        self.stations = {s.key: s for s in network.stations}
        self.index = StationIndex(list(self.stations.values()), timetable)
        self.locations = {
            k: Location(node=s.node, lat=s.lat, lon=s.lon, stop_id=k, name=f"{s.name_en} station", jis_code=s.jis_code)
            for k, s in self.stations.items()
        }

    # ------------------------------------------------------------------ places
    def municipality(self, loc: Location) -> str | None:
        """JIS code of a location: as given, else from its coordinates (or its node's)."""
        if loc.jis_code:
            return loc.jis_code
        lat, lon = (loc.lat, loc.lon) if loc.lat is not None and loc.lon is not None else self.network.node_latlon(
            loc.node)
        try:
            return str(self.network.zone_of(lat, lon).jis_code)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a point outside every zone simply has no municipality
            return None

    def _latlon(self, loc: Location) -> tuple[float, float]:
        if loc.lat is not None and loc.lon is not None:
            return loc.lat, loc.lon
        return self.network.node_latlon(loc.node)

    def _ends(self, loc: Location, jis: str | None, outbound: bool, walks: bool = True) -> list[_End]:
        """Stations usable at one end: the point itself, walkable ones, then the nearest fed hubs."""
        if loc.stop_id in self.stations and self.index.stop_of(loc.stop_id):
            return [_End(loc.stop_id, None, 0.0, 0.0)]
        at = [k for k, s in self.stations.items() if s.node == loc.node and self.index.stop_of(k)]
        if at:
            return [_End(at[0], None, 0.0, 0.0)]
        access = self.model.station_access
        out: list[_End] = []
        lat, lon = self._latlon(loc)
        for key, s in self.stations.items() if walks else ():
            walk = access.walk(lat, lon, s.lat, s.lon)
            if walk is not None and self.index.stop_of(key):
                out.append(_End(key, WALK, walk[0], walk[1]))
        if self.model.has_fleet(jis):
            own = [k for k, s in self.stations.items() if s.jis_code == jis]
            hubs = [k for k in self.model.hubs_of(jis, own) if k in self.stations and self.index.stop_of(k)]
            timed = []
            for key in hubs:
                node = self.stations[key].node
                a, b = (loc.node, node) if outbound else (node, loc.node)
                timed.append((self.network.travel_time(a, b), self.network.distance(a, b), key))
            timed.sort()
            walked = {e.station for e in out}
            for seconds, metres, key in timed[: self.model.hub_candidates]:
                if key not in walked:
                    out.append(_End(key, DRT, seconds, metres, fleet=jis))
        return out

    # ------------------------------------------------------------------ options
    def options(self, booking: Booking) -> list[TripOption]:
        """Every feasible option for ``booking``, cheapest generalised cost first."""
        o_jis, d_jis = self.municipality(booking.pickup), self.municipality(booking.dropoff)
        found: list[TripOption] = []
        if o_jis is not None and o_jis == d_jis:
            if self.model.has_fleet(o_jis):
                found.append(self._single(booking, LOCAL, o_jis, o_jis, d_jis))
            return found
        keys = (booking.pickup.stop_id, booking.dropoff.stop_id)
        if o_jis is not None and d_jis is not None and self.model.direct_allowed(o_jis, d_jis, *keys):
            fleet = self.model.direct_fleet(o_jis, d_jis, *keys)
            found.append(self._single(booking, DIRECT, fleet, o_jis, d_jis))
        if self.model.rail_feeding:
            walks = booking.wheelchairs == 0  # a wheelchair rider is met at the station, not sent walking
            for first in self._ends(booking.pickup, o_jis, outbound=True, walks=walks):
                for last in self._ends(booking.dropoff, d_jis, outbound=False, walks=walks):
                    if first.station != last.station:
                        found.extend(self._chains(booking, first, last, o_jis, d_jis))
        # a trip with no taxi leg (walk and train) is not the shared taxi's to book
        found = [opt for opt in found if opt.drt_legs]
        found, slow = split_by_chain_cap(found, self.model)
        found.sort(key=lambda opt: (opt.cost_yen, opt.total_s))
        if self.model.slow_chains_as_last_resort:
            found += sorted(slow, key=lambda opt: (opt.cost_yen, opt.total_s))
        return found

    def _dwell(self, booking: Booking) -> int:
        return self.rules.dwell_s(booking.seats, booking.wheelchairs)

    def _empty(self, fleet: str, jis_ends: tuple[str | None, str | None], metres: float, seconds: float) -> tuple[
            float, float]:
        """Empty driving of a taxi leg: one more run of the leg per end outside the fleet's municipality."""
        outside = sum(1 for j in jis_ends if j != fleet)
        return outside * metres, outside * seconds

    def _drt_leg(self, booking: Booking, origin: Location, dest: Location, fleet: str, depart: int,
                 seconds: float, metres: float, jis_ends: tuple[str | None, str | None],
                 pickup_window: tuple[int, int] | None = None,
                 dropoff_window: tuple[int, int] | None = None) -> Leg:
        dwell = self._dwell(booking)
        empty_m, empty_s = self._empty(fleet, jis_ends, metres, seconds)
        fare = self.model.fares.drt_fare(fleet, booking.home_municipality, booking.fare_class) * booking.party_size
        return Leg(DRT, origin, dest, depart, int(depart + dwell + seconds), fleet=fleet, distance_m=metres,
                   direct_s=seconds, fare_yen=fare, pickup_window=pickup_window, dropoff_window=dropoff_window,
                   empty_m=empty_m, empty_s=empty_s)

    def _single(self, booking: Booking, kind: str, fleet: str, o_jis: str | None, d_jis: str | None) -> TripOption:
        a, b = booking.pickup.node, booking.dropoff.node
        seconds, metres = self.network.travel_time(a, b), self.network.distance(a, b)
        t = booking.requested_time
        depart = t if booking.time_kind == TimeKind.DEPART_AFTER else int(t - self._dwell(booking) - seconds)
        leg = self._drt_leg(booking, booking.pickup, booking.dropoff, fleet, depart, seconds, metres, (o_jis, d_jis))
        return self._price(booking, kind, (leg,), None)

    def _rail_fare(self, booking: Booking, conn: Connection, a: str, b: str) -> tuple[int, float]:
        km = abs(self.stations[b].km_from_takasaki - self.stations[a].km_from_takasaki)
        if conn.km is not None and km == 0:
            km = conn.km
        return self.model.fares.rail_fare(km, booking.fare_class) * booking.party_size, km * 1000

    def _chains(self, booking: Booking, first: _End, last: _End, o_jis: str | None,
                d_jis: str | None) -> list[TripOption]:
        access = self.model.station_access
        stop_a, stop_b = self.index.stop_of(first.station), self.index.stop_of(last.station)
        assert stop_a is not None and stop_b is not None
        t, dwell, k = booking.requested_time, self._dwell(booking), self.model.trains_per_pair
        buffer_a, access_a, access_b = (access.buffer_at(first.station), access.access_at(first.station),
                                        access.access_at(last.station))
        if booking.time_kind == TimeKind.DEPART_AFTER:
            ready = t + {None: access_a, WALK: first.seconds + access_a, DRT: 2 * dwell + first.seconds + buffer_a}[
                first.mode]
            trains = self.timetable.departures(stop_a, stop_b, int(ready), limit=k)
        else:
            need = {None: 0, WALK: last.seconds + access_b, DRT: access_b + 2 * dwell + last.seconds}[last.mode]
            trains = self.timetable.arrivals(stop_a, stop_b, int(t - need), limit=k)
        out = []
        for conn in trains:
            legs = self._chain_legs(booking, first, last, conn, o_jis, d_jis)
            if legs is not None:
                out.append(self._price(booking, CHAIN, tuple(legs), (first.station, last.station)))
        return out

    def _chain_legs(self, booking: Booking, first: _End, last: _End, conn: Connection, o_jis: str | None,
                    d_jis: str | None) -> list[Leg] | None:
        """Legs of one chain around train ``conn``, or None when the windows cannot be met."""
        rules, access = self.rules, self.model.station_access
        t, dwell = booking.requested_time, self._dwell(booking)
        after = booking.time_kind == TimeKind.DEPART_AFTER
        st_a, st_b = self.locations[first.station], self.locations[last.station]
        legs: list[Leg] = []
        # to the station
        if first.mode == WALK:
            start = conn.departure - access.access_at(first.station) - int(first.seconds)
            if after and start < t:
                return None
            legs.append(Leg(WALK, booking.pickup, st_a, start, int(start + first.seconds), distance_m=first.metres,
                            direct_s=first.seconds))
        elif first.mode == DRT:
            assert first.fleet is not None
            drop_hi = conn.departure - access.buffer_at(first.station) - dwell
            drop_lo = drop_hi - self.model.station_wait_s
            pick_hi = int(drop_hi - dwell - first.seconds)
            pick_lo = max(int(drop_lo - dwell - rules.max_ride_s(first.seconds)), rules.service_start)
            if after:
                pick_lo = max(pick_lo, t)
            if pick_lo > pick_hi or pick_hi > rules.service_end:
                return None
            legs.append(self._drt_leg(booking, booking.pickup, st_a, first.fleet, pick_hi, first.seconds,
                                      first.metres, (o_jis, st_a.jis_code), (pick_lo, pick_hi),
                                      (max(pick_lo + dwell + int(first.seconds), drop_lo), drop_hi)))
        elif after and conn.departure < t:
            return None
        fare, km_m = self._rail_fare(booking, conn, first.station, last.station)
        legs.append(Leg(RAIL, st_a, st_b, conn.departure, conn.arrival, distance_m=km_m,
                        direct_s=conn.ride_s, fare_yen=fare, connection=conn))
        # from the station
        ready = conn.arrival + access.access_at(last.station)
        if last.mode == WALK:
            end = int(ready + last.seconds)
            if not after and end > t:
                return None
            legs.append(Leg(WALK, st_b, booking.dropoff, ready, end, distance_m=last.metres, direct_s=last.seconds))
        elif last.mode == DRT:
            assert last.fleet is not None
            pick_lo, pick_hi = ready, ready + rules.max_wait_s
            drop_lo = int(pick_lo + dwell + last.seconds)
            drop_hi = int(pick_hi + dwell + rules.max_ride_s(last.seconds))
            if not after:
                drop_hi = min(drop_hi, t)
                pick_hi = min(pick_hi, int(t - dwell - last.seconds))
            if pick_lo < rules.service_start or pick_lo > pick_hi or drop_hi > rules.service_end:
                return None
            legs.append(self._drt_leg(booking, st_b, booking.dropoff, last.fleet, pick_lo, last.seconds,
                                      last.metres, (st_b.jis_code, d_jis), (pick_lo, pick_hi), (drop_lo, drop_hi)))
        return legs

    # ------------------------------------------------------------------ pricing
    def _price(self, booking: Booking, kind: str, legs: tuple[Leg, ...], hubs: tuple[str, str] | None) -> TripOption:
        return price(booking, kind, legs, hubs, self.model)


def split_by_chain_cap(options: list[TripOption], model: OperatingModel) -> tuple[list[TripOption],
                                                                                   list[TripOption]]:
    """(options within the chain time cap, chains over it) (``OperatingModel.chain_time_cap_s``).

    The generalised cost counts a border-crossing taxi's empty return, which on a short trip can make a
    chain three or four times as long as the direct ride look cheaper; riders would not accept that. With
    no direct option (the crossing is not allowed) every chain is within: they are the only way across.
    """
    direct = [opt.total_s for opt in options if opt.kind == DIRECT]
    if not direct:
        return options, []
    cap = model.chain_time_cap_s(min(direct))
    within: list[TripOption] = []
    slow: list[TripOption] = []
    for opt in options:
        (slow if opt.kind == CHAIN and opt.total_s > cap else within).append(opt)
    return within, slow


def price(booking: Booking, kind: str, legs: Sequence[Leg], hubs: tuple[str, str] | None,
          model: OperatingModel) -> TripOption:
    """A :class:`TripOption` for ``legs`` with times, vehicle use, fare and generalised cost filled in."""
    t = booking.requested_time
    start, end = legs[0].depart, legs[-1].arrive
    if booking.time_kind == TimeKind.DEPART_AFTER:
        total, schedule = end - t, max(start - t, 0)
    else:
        total, schedule = t - start, max(t - end, 0)
    in_vehicle = sum(leg.arrive - leg.depart for leg in legs if leg.mode == DRT)
    in_train = sum(leg.arrive - leg.depart for leg in legs if leg.mode == RAIL)
    walk = sum(leg.arrive - leg.depart for leg in legs if leg.mode == WALK)
    wait = max(total - schedule - in_vehicle - in_train - walk, 0)
    transfers = max(sum(1 for leg in legs if leg.mode in (DRT, RAIL)) - 1, 0)
    vkm = sum(leg.distance_m + leg.empty_m for leg in legs if leg.mode == DRT) / 1000.0
    vh = sum(leg.direct_s + leg.empty_s for leg in legs if leg.mode == DRT) / 3600.0
    fare = sum(leg.fare_yen for leg in legs)
    cost = model.weights.cost_yen(in_vehicle_s=in_vehicle, in_train_s=in_train, wait_s=wait, walk_s=walk,
                                  schedule_s=schedule, transfers=transfers, fare_yen=fare, vehicle_km=vkm,
                                  vehicle_h=vh)
    return TripOption(kind, tuple(legs), total, wait, schedule, in_vehicle, in_train, walk, transfers, vkm, vh,
                      fare, cost, hubs)

"""Turns a :class:`TripRequest` into the :class:`dispatch.model.Booking` the dispatcher is asked for."""

from __future__ import annotations

from dispatch.model import Booking, Location
from dispatch.stop_service import StopMapper
from routing.errors import RoutingError
from sim.requests import Endpoint, TripRequest


class BookingFactory:
    """Snaps request endpoints to the road graph (named places at their node, points to the nearest).

    With a stop mapper (stop-based service), a door in a municipality the service runs stop to stop
    is then moved to the nearest stop within the walking limit; ``Location.access_s`` holds the walk.

    Parameters
    ----------
    network
        A :class:`routing.RoadNetwork`.
    stops
        A :class:`dispatch.stop_service.StopMapper`, or None for door-to-door service everywhere.
    """

    def __init__(self, network, stops: StopMapper | None = None) -> None:
        self.network = network
        self.stops = stops
        self._places = {p.key: p for p in network.places}
        self._cache: dict[tuple, Location] = {}

    def location(self, end: Endpoint) -> Location:
        """The dispatch location of an endpoint (cached).

        Raises ``RoutingError`` outside the area. Stop service is applied per trip, in :meth:`booking`.
        """
        key = (end.key, end.lat, end.lon)
        loc = self._cache.get(key)
        if loc is not None:
            return loc
        loc = self._door(end)
        self._cache[key] = loc
        return loc

    def _door(self, end: Endpoint) -> Location:
        place = self._places.get(end.key) if end.key else None
        if place is not None:
            loc = Location(node=place.node, lat=place.lat, lon=place.lon, stop_id=place.key,
                           name=place.name_en or place.name_ja, jis_code=place.jis_code)
        else:
            snap = self.network.snap(end.lat, end.lon, "walk")
            jis = end.jis_code
            if jis is None:
                jis = self.network.zone_of(end.lat, end.lon).jis_code
            loc = Location(node=snap.node, lat=end.lat, lon=end.lon, stop_id=None, name=end.name or end.label,
                           jis_code=jis, access_s=float(snap.access_time_s))
        return loc

    def booking(self, request: TripRequest, service_day: str) -> Booking:
        """The booking for ``request``.

        Raises ``RoutingError`` if an endpoint cannot be placed; in stop service ``NoStopNearby`` for a
        door with no stop in reach and ``SameStop`` when both doors are served at one stop.
        """
        pickup = self.location(request.origin)
        dropoff = self.location(request.destination)
        if self.stops is not None:
            pickup, dropoff = self.stops.serve_trip(pickup, dropoff)
        home = request.home_jis or pickup.jis_code
        return Booking(
            id=request.id,
            pickup=pickup,
            dropoff=dropoff,
            requested_time=request.requested_time,
            time_kind=request.time_kind,
            seats=request.seats,
            wheelchairs=request.wheelchairs,
            booked_at=request.booked_at,
            service_day=service_day,
            home_municipality=home,
            fare_class="resident",  # the fare table charges non-residents of the fleet's town the other fare
            notes=request.purpose,
        )


__all__ = ["BookingFactory", "RoutingError"]

"""Turns a :class:`TripRequest` into the :class:`dispatch.model.Booking` the dispatcher is asked for."""

from __future__ import annotations

from dispatch.model import Booking, Location
from routing.errors import RoutingError
from sim.requests import Endpoint, TripRequest


class BookingFactory:
    """Snaps request endpoints to the road graph (named places at their node, points to the nearest).

    Parameters
    ----------
    network
        A :class:`routing.RoadNetwork`.
    """

    def __init__(self, network) -> None:
        self.network = network
        self._places = {p.key: p for p in network.places}
        self._cache: dict[tuple, Location] = {}

    def location(self, end: Endpoint) -> Location:
        """The dispatch location of an endpoint (cached); raises ``RoutingError`` outside the area."""
        key = (end.key, end.lat, end.lon)
        loc = self._cache.get(key)
        if loc is not None:
            return loc
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
        self._cache[key] = loc
        return loc

    def booking(self, request: TripRequest, service_day: str) -> Booking:
        """The booking for ``request`` (raises ``RoutingError`` if an endpoint cannot be placed)."""
        pickup = self.location(request.origin)
        dropoff = self.location(request.destination)
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

"""A rider's request as the simulator replays it: who books what, when, and what happens later.

Both sources of demand (the synthetic generator and the CSV replay) produce :class:`TripRequest`
objects; the event loop turns them into :class:`dispatch.model.Booking` objects at booking time.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.model import TimeKind


@dataclass(frozen=True)
class Endpoint:
    """Where a trip starts or ends: a named place (``key``) or a bare WGS84 point.

    Parameters
    ----------
    lat, lon
        WGS84 degrees.
    key
        Place key (``st:Joshu-Tomioka``, ``tomioka_general_hospital``, ``oz:富岡市/七日市``) or None.
    jis_code
        Municipality JIS code, when known before snapping.
    name
        Display name.
    """

    lat: float
    lon: float
    key: str | None = None
    jis_code: str | None = None
    name: str = ""

    @property
    def label(self) -> str:
        return self.key or f"{self.lat:.5f},{self.lon:.5f}"


@dataclass(frozen=True)
class TripRequest:
    """One booking the simulated public will make.

    Parameters
    ----------
    id
        Unique id (becomes the booking id).
    day
        Service day index, 0 = the scenario's start date.
    booked_at
        Seconds since that day's midnight when the call comes in (negative: an earlier day).
    requested_time
        Seconds since midnight: leave after (``DEPART_AFTER``) or arrive by (``ARRIVE_BY``).
    seats, wheelchairs
        Riders in ordinary seats and riders staying in a wheelchair.
    purpose
        Trip purpose (``hospital``, ``shopping``, ...; ``return`` for the ride home; ``replay``).
    home_jis
        JIS code of the rider's home municipality (fare class and per-municipality accounting).
    cancel_at
        When the rider cancels (seconds since midnight), or None.
    no_show
        True when the rider will not be at the pickup.
    outbound_id
        For a ride home, the id of the outbound request.
    """

    id: str
    day: int
    booked_at: int
    requested_time: int
    origin: Endpoint
    destination: Endpoint
    time_kind: TimeKind = TimeKind.DEPART_AFTER
    seats: int = 1
    wheelchairs: int = 0
    purpose: str = "other"
    home_jis: str | None = None
    cancel_at: int | None = None
    no_show: bool = False
    outbound_id: str | None = None

    @property
    def party_size(self) -> int:
        return self.seats + self.wheelchairs

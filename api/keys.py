"""The Redis key and stream layout, in one place (docs/api.md explains each)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    """Names of every Redis key the API and the worker use, under one prefix."""

    prefix: str = "kt"

    # riders
    def rider(self, rider_id: str) -> str:
        return f"{self.prefix}:rider:{rider_id}"

    def rider_phone(self, digits: str) -> str:
        return f"{self.prefix}:rider-phone:{digits}"

    @property
    def rider_index(self) -> str:
        """Hash rider id -> lower-case search text (name and phone digits), no other PII."""
        return f"{self.prefix}:rider-index"

    # the phone desk's records
    def round_trip(self, trip_id: str) -> str:
        """String (JSON): a round trip, naming its outbound and return bookings."""
        return f"{self.prefix}:round-trip:{trip_id}"

    def standing(self, series_id: str) -> str:
        """String (JSON): a standing booking series (定期予約)."""
        return f"{self.prefix}:standing:{series_id}"

    @property
    def standing_index(self) -> str:
        """Set of standing booking series ids."""
        return f"{self.prefix}:standing"

    def standing_lock(self, series_id: str) -> str:
        """One materialisation of a series at a time."""
        return f"{self.standing(series_id)}:lock"

    def standing_run(self, day: str, slot: int) -> str:
        """SET NX: one worker's scheduled standing-booking pass per day and interval slot."""
        return f"{self.prefix}:standing:run:{day}:{slot}"

    @property
    def callbacks(self) -> str:
        """Hash call-back id -> entry (折り返し), shared by every desk."""
        return f"{self.prefix}:callbacks"

    # bookings
    def booking(self, booking_id: str) -> str:
        return f"{self.prefix}:booking:{booking_id}"

    def idempotency(self, key: str) -> str:
        return f"{self.prefix}:idem:{key}"

    def event_idempotency(self, vehicle_id: str, key: str) -> str:
        """A driver event's ``Idempotency-Key``: ``<stream entry id>|<digest of the event>``."""
        return f"{self.prefix}:idem-event:{vehicle_id}:{key}"

    def bookings_of_day(self, day: str) -> str:
        return f"{self.prefix}:bookings:day:{day}"

    def bookings_of_rider(self, rider_id: str) -> str:
        return f"{self.prefix}:bookings:rider:{rider_id}"

    # vehicles
    def vehicle(self, vehicle_id: str) -> str:
        return f"{self.prefix}:vehicle:{vehicle_id}"

    @property
    def vehicles(self) -> str:
        return f"{self.prefix}:vehicles"

    def vehicle_position(self, vehicle_id: str) -> str:
        return f"{self.prefix}:vehicle-pos:{vehicle_id}"

    # one writer per service area
    def lock(self, area: str) -> str:
        return f"{self.prefix}:area:{area}:lock"

    def fence(self, area: str) -> str:
        return f"{self.prefix}:area:{area}:fence"

    def leader(self, area: str) -> str:
        """The worker lease of the area: ``<worker name>#<fencing token>`` of the active worker."""
        return f"{self.prefix}:area:{area}:owner"

    def claim(self, area: str) -> str:
        """Heartbeat of the worker started for this area (``--areas``); a stand-in hands the area back to it."""
        return f"{self.prefix}:area:{area}:claim"

    def cursor(self, area: str) -> str:
        """Hash stream name -> id of the last entry applied to the area's dispatchers."""
        return f"{self.prefix}:area:{area}:cursor"

    def snapshot(self, area: str, day: str) -> str:
        """Hash with ``data`` (the dispatcher snapshot JSON), ``version`` and ``fence`` of its writer."""
        return f"{self.prefix}:area:{area}:day:{day}"

    def commits(self, area: str) -> str:
        """Stream of the area's commits: ``writer``, ``fence`` and ``versions`` (JSON day -> version)."""
        return f"{self.prefix}:area:{area}:commits"

    def days(self, area: str) -> str:
        return f"{self.prefix}:area:{area}:days"

    def result(self, area: str, entry_id: str) -> str:
        return f"{self.prefix}:area:{area}:result:{entry_id}"

    # re-optimisation asked for by a dispatcher (run by the worker)
    def reopt_request(self, request_id: str) -> str:
        """Hash of one request: ``meta`` (JSON: day, areas, time limit, who, when) and ``area:{name}`` results."""
        return f"{self.prefix}:reopt:{request_id}"

    def reopt_queue(self, area: str) -> str:
        """List of request ids waiting for the area's worker (the head is removed once its result is written)."""
        return f"{self.prefix}:area:{area}:reopt-queue"

    # streams
    def booking_stream(self, area: str) -> str:
        return f"{self.prefix}:stream:bookings:{area}"

    def vehicle_stream(self, area: str) -> str:
        return f"{self.prefix}:stream:vehicle-events:{area}"

    @property
    def events(self) -> str:
        """Outbound stream of offers, assignments and vehicle moves (what the console's SSE reads)."""
        return f"{self.prefix}:stream:events"

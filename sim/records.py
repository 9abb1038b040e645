"""What a run records: one row per rider leg and one per vehicle and day, plus time series.

The event loop fills these in; :mod:`sim.kpis` computes the indicators from them and
:mod:`sim.output` writes them as ``legs.csv`` and ``vehicles.csv``. Times are seconds since the
service day's midnight, distances metres.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# Promises are told to the minute; the simulation runs in whole seconds, so a pickup a few seconds
# outside the window (rounding of drive times) still counts as on time.
ON_TIME_TOLERANCE_S = 59


@dataclass
class LegRecord:
    """One rider leg: a booking (``mode='drt'``) or the train ride of a chained trip (``mode='rail'``).

    ``status`` ends as ``completed``, ``rejected``, ``declined``, ``cancelled`` or ``no_show``.
    ``wait_s`` is the realised pickup minus the requested time (depart-after) or minus the start of the
    promised window (arrive-by); ``on_time`` means the pickup fell within the promised window and, for
    arrive-by, the drop-off was not after the requested time (both to the minute). ``walk_s`` is the
    rider's walk between their points and where the vehicle stops, both ends (the walk to and from the
    stop in stop-based service); ``journey_s`` is walk + wait + ride.
    """

    id: str
    day: int
    mode: str
    booked_at: int
    requested_time: int
    time_kind: str
    origin: str
    destination: str
    origin_jis: str | None
    destination_jis: str | None
    seats: int
    wheelchairs: int
    purpose: str = ""
    home_jis: str | None = None
    trip_id: str | None = None
    leg_index: int = 0
    status: str = "requested"
    rejection_reason: str = ""
    vehicle_id: str = ""
    fleet_jis: str = ""
    promised_start: int | None = None
    promised_end: int | None = None
    expected_pickup: int | None = None
    expected_dropoff: int | None = None
    pickup_at: int | None = None
    dropoff_at: int | None = None
    direct_s: float = 0.0
    direct_m: float = 0.0
    fare_yen: int = 0
    train_id: str = ""
    walk_s: float = 0.0

    @property
    def party(self) -> int:
        return self.seats + self.wheelchairs

    @property
    def served(self) -> bool:
        return self.status == "completed"

    @property
    def ride_s(self) -> float | None:
        if self.pickup_at is None or self.dropoff_at is None:
            return None
        return float(self.dropoff_at - self.pickup_at)

    @property
    def journey_s(self) -> float | None:
        """Walk, wait and ride of a served leg, seconds."""
        if self.ride_s is None or self.wait_s is None:
            return None
        return self.walk_s + self.wait_s + self.ride_s

    @property
    def wait_s(self) -> float | None:
        if self.pickup_at is None:
            return None
        if self.time_kind == "arrive_by" and self.promised_start is not None:
            return float(max(0, self.pickup_at - self.promised_start))
        return float(max(0, self.pickup_at - self.requested_time))

    @property
    def pickup_delay_s(self) -> float | None:
        """Realised minus promised latest pickup (positive = late), seconds."""
        if self.pickup_at is None or self.promised_end is None:
            return None
        return float(self.pickup_at - self.promised_end)

    @property
    def detour(self) -> float | None:
        """Ride time over direct drive time (1 = no detour)."""
        ride = self.ride_s
        if ride is None or self.direct_s <= 0:
            return None
        return ride / self.direct_s

    @property
    def on_time(self) -> bool | None:
        if self.pickup_at is None or self.promised_start is None or self.promised_end is None:
            return None
        tol = ON_TIME_TOLERANCE_S
        ok = self.promised_start - tol <= self.pickup_at <= self.promised_end + tol
        if self.time_kind == "arrive_by" and self.dropoff_at is not None:
            ok = ok and self.dropoff_at <= self.requested_time + tol
        return ok

    @property
    def cross_municipal(self) -> bool:
        return bool(self.origin_jis and self.destination_jis and self.origin_jis != self.destination_jis)


@dataclass
class VehicleRecord:
    """One vehicle on one day: time on shift, distance driven empty and loaded, riders carried.

    ``runs`` counts stretches between leaving empty and being empty again (a "run" in Japanese
    municipal reporting); ``boarded`` the riders picked up; ``passenger_m`` the rider-metres carried.
    """

    vehicle_id: str
    day: int
    fleet_jis: str
    seats: int
    wheelchair_places: int
    shift_s: float = 0.0
    drive_s: float = 0.0
    empty_drive_s: float = 0.0
    dwell_s: float = 0.0
    distance_m: float = 0.0
    empty_m: float = 0.0
    passenger_m: float = 0.0
    boarded: int = 0
    runs: int = 0
    max_load: int = 0
    metres_by_jis: Counter[str] = field(default_factory=Counter)

    @property
    def busy_s(self) -> float:
        return self.drive_s + self.dwell_s


@dataclass
class RunRecords:
    """Everything one run recorded, the input to KPIs, CSVs and the report.

    ``load_events`` holds (day, time, vehicle, riders on board after the change); ``edge_metres``
    the vehicle-metres per directed road edge (u, v); ``demand_nodes`` the pickup and drop-off counts
    per graph node; ``solver_s``, ``booking_s`` and ``wall_s`` wall-clock seconds spent in
    re-optimisation, in answering bookings (trip planner and dispatcher) and in the whole run.
    ``clock_bound_reoptimisations`` counts re-optimisations that ran into their time cap instead of
    stopping on their solution limit: their plans depend on the machine's speed and load, so a run
    with any is not guaranteed to repeat exactly.
    """

    legs: list[LegRecord] = field(default_factory=list)
    vehicles: list[VehicleRecord] = field(default_factory=list)
    load_events: list[tuple[int, int, str, int]] = field(default_factory=list)
    edge_metres: Counter[tuple[int, int]] = field(default_factory=Counter)
    demand_nodes: Counter[int] = field(default_factory=Counter)
    days: int = 1
    solver_s: float = 0.0
    booking_s: float = 0.0
    wall_s: float = 0.0
    clock_bound_reoptimisations: int = 0
    dispatcher_stats: dict[str, object] = field(default_factory=dict)

"""Service rules: what the operator promises, read from configuration rather than written in code.

Times in seconds, distances in metres. The ride-time limit follows MATSim DRT:
``max_ride = min(alpha * direct + beta, direct + max_detour)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class ServiceRules:
    """The rules every offer and plan must respect.

    Parameters
    ----------
    service_start, service_end
        Seconds since midnight between which pickups and drop-offs happen (08:00-17:00 by default,
        as Tomioka's 愛タク runs).
    min_notice_s
        Least time between booking and requested time (15 min).
    horizon_s
        Furthest ahead a booking is taken (5 days).
    max_wait_s
        Width of the pickup window promised to the caller (15 min).
    alpha, beta_s, max_detour_s
        Maximum ride time ``min(alpha * direct + beta, direct + max_detour)``.
    dwell_stop_s, dwell_per_passenger_s, dwell_wheelchair_s
        Time at a stop: fixed, per boarding or alighting rider, and extra per wheelchair rider.
    door_to_door
        True: any address point; False: named stops only (Tomioka's current model).
    arrive_by_slack_s
        For "arrive by" bookings, how much earlier than the stated time the rider may arrive.
    early_event_tolerance_s
        A driver's "arrived" or "boarded" at a pickup is refused when it is earlier than the promised
        pickup window's start minus this (10 min): it cannot have happened (a wrong tap, a wrong clock).
    """

    service_start: int = 8 * 3600
    service_end: int = 17 * 3600
    min_notice_s: int = 15 * 60
    horizon_s: int = 5 * 86_400
    max_wait_s: int = 15 * 60
    alpha: float = 1.5
    beta_s: int = 10 * 60
    max_detour_s: int = 20 * 60
    dwell_stop_s: int = 60
    dwell_per_passenger_s: int = 20
    dwell_wheelchair_s: int = 120
    door_to_door: bool = True
    arrive_by_slack_s: int = 20 * 60
    early_event_tolerance_s: int = 10 * 60

    def max_ride_s(self, direct_s: float) -> int:
        """Longest allowed in-vehicle time for a ride whose direct drive takes ``direct_s`` seconds."""
        return int(min(self.alpha * direct_s + self.beta_s, direct_s + self.max_detour_s))

    def dwell_s(self, seats: int, wheelchairs: int) -> int:
        """Seconds a vehicle stands at a stop to board or alight a party."""
        return (
            self.dwell_stop_s
            + self.dwell_per_passenger_s * (seats + wheelchairs)
            + self.dwell_wheelchair_s * wheelchairs
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServiceRules:
        """Build rules from a mapping; unknown keys raise ``ValueError`` naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown service rule(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        rules = cls(**data)
        if rules.service_end <= rules.service_start:
            raise ValueError("service_end must be after service_start")
        if rules.max_wait_s <= 0 or rules.alpha < 1.0:
            raise ValueError("max_wait_s must be positive and alpha at least 1.0")
        return rules

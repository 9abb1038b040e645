"""What the trip drivers may see of a service day's event loop: event priorities and a narrow view.

The event loop (:mod:`sim.engine`) stands above the trip drivers (:mod:`sim.trip_driver`): it owns them
and calls them; they reach back only through :class:`DayEvents` (schedule an event, read the day's leg
records, let idle vehicles look at their plans again), never through the loop's class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sim.records import LegRecord

# Priorities of simultaneous events: execution before plans change, plans before new bookings.
SHIFT_START, VEHICLE, DEPART, CANCEL, BOOKING, TRAIN, REOPT, SHIFT_END = range(8)

# A callback run at a train event: (day, time in seconds since midnight, *arguments).
TrainCallback = Callable[..., None]


class DayEvents(Protocol):
    """The part of one service day's simulation a trip driver works with."""

    legs: dict[str, LegRecord]

    def push(self, at: float, priority: int, kind: str, *args: object) -> None:
        """Schedule event ``kind`` at ``at`` seconds since midnight."""

    def wake_idle(self, now: int) -> None:
        """Idle vehicles look at their (changed) plans again."""

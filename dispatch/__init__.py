"""Bookings, vehicles, plans, trip planning, the OR-Tools solver and insertion.

Knows nothing of HTTP, Redis or the simulator's event loop: ``api`` and ``sim`` are thin drivers of
the same :class:`dispatch.online.dispatcher.Dispatcher`. Names below are imported lazily, so importing a
submodule (``dispatch.model``) does not pull in OR-Tools.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Dispatcher": "dispatch.online.dispatcher",
    "ReoptimisationResult": "dispatch.online.reoptimise",
    "DispatchStats": "dispatch.stats",
    "InsertionParams": "dispatch.online.insertion",
    "TravelCosts": "dispatch.costs",
    "MatrixCosts": "dispatch.costs",
    "DispatchError": "dispatch.errors",
    "BookingNotFound": "dispatch.errors",
    "VehicleNotFound": "dispatch.errors",
    "InvalidBooking": "dispatch.errors",
    "BookingStateError": "dispatch.errors",
    "InvalidEvent": "dispatch.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dispatch' has no attribute {name!r}")
    return getattr(import_module(module), name)

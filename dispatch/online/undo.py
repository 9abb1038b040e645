"""Undo for tentative changes: save a booking and its vehicle before re-placing it, restore on failure.

Used where a booking is taken out of its plan to try something else (modify, reassign, end of shift)
and the old version must come back exactly if the new one does not fit.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from dispatch.online.fleet import Fleet
from dispatch.online.state import BookingRecord, VehicleState

Saved = tuple[BookingRecord, dict[str, Any] | None]


def save(fleet: Fleet, rec: BookingRecord) -> Saved:
    """A copy of the record and of its vehicle's state (lists and dicts copied one level deep)."""
    vs = fleet.states.get(rec.vehicle_id) if rec.vehicle_id else None
    state = None if vs is None else {f.name: _shallow(getattr(vs, f.name)) for f in fields(VehicleState)}
    return replace(rec), state


def restore(fleet: Fleet, rec: BookingRecord, saved: Saved) -> None:
    """Put the record and its vehicle back as :func:`save` found them."""
    copy, state = saved
    for f in fields(BookingRecord):
        setattr(rec, f.name, getattr(copy, f.name))
    fleet.records[rec.id] = rec
    if state is not None:
        vs = fleet.states[state["vehicle"].id]
        for name, value in state.items():
            setattr(vs, name, value)


def _shallow(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value

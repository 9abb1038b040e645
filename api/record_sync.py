"""What the area writer copies between the engine and the stored booking records, and the audit entries.

Kept apart from :mod:`api.writer` (which loads, applies and commits): how a record follows the current
plan, which events a state change sends, and the audit entry of each booking command.
"""

from __future__ import annotations

import json
from typing import Any

from api import audit
from api.engine import BookingState

#: Audit action of each booking command (see :mod:`api.audit`).
AUDIT_ACTIONS = {"request": "booking.created", "confirm": "booking.confirmed", "decline": "booking.declined",
                 "cancel": "booking.cancelled", "modify": "booking.modified", "reassign": "booking.reassigned",
                 "unpin": "booking.unpinned", "train_delay": "rail.delay",
                 "lock_sequence": "vehicle.sequence_locked", "unlock_sequence": "vehicle.sequence_unlocked"}


def follow_plan(record: dict[str, Any], current: BookingState) -> bool:
    """Make a stored booking record agree with the engine's view of it; True if anything changed."""
    before = json.dumps(record, sort_keys=True, default=str)
    if record["status"] == "offered" and current.status == "requested":  # the engine let the hold lapse
        record["error"] = "the offer's hold lapsed: confirming tries to keep the same pickup window"
    record["status"] = current.status
    record["vehicle_id"] = current.vehicle_id or record.get("vehicle_id")
    record["pinned_to"] = current.pinned_to
    offer = record.get("offer")
    legs = offer.get("legs") or [] if offer else []
    if offer and current.vehicle_id and len(legs) <= 1:  # several legs: the planner re-plans those (replans)
        offer["vehicle_id"] = current.vehicle_id
        if current.pickup is not None:
            offer["expected_pickup"] = current.pickup
        if current.dropoff is not None:
            offer["expected_dropoff"] = current.dropoff
        for leg in legs:
            if leg.get("mode") == "drt":
                leg.update(vehicle_id=current.vehicle_id, depart=offer["expected_pickup"],
                           arrive=offer["expected_dropoff"])
    return json.dumps(record, sort_keys=True, default=str) != before


def state_events(events: list[dict[str, Any]], record: dict[str, Any], before: BookingState | None,
                 current: BookingState, day: str, area: str) -> None:
    """The status and assignment events of one booking whose engine state changed."""
    booking_id = record["id"]
    if before is not None and (before.status, before.vehicle_id) == (current.status, current.vehicle_id):
        return
    events.append({"type": "status", "booking_id": booking_id, "status": current.status,
                   "vehicle_id": current.vehicle_id, "day": day, "area": area})
    old_vehicle = before.vehicle_id if before is not None else None
    if current.vehicle_id and old_vehicle is not None and current.vehicle_id != old_vehicle:
        events.append({"type": "assignment", "booking_id": booking_id, "vehicle_id": current.vehicle_id,
                       "previous_vehicle_id": old_vehicle, "day": day, "area": area})


def audit_entry(command: dict[str, Any], record: dict[str, Any] | None, before: Any, outcome: Any) -> dict[str, str]:
    """One audit entry per booking command, committed with its effect (who, before, after)."""
    op = command["op"]
    who = command.get("by") or (record or {}).get("taken_by") or "system"
    target = command.get("booking_id") or command.get("train_id") or command.get("vehicle_id") or ""
    extra: dict[str, Any] = {}
    if op == "reassign":
        extra = {"vehicle_id": command["vehicle_id"], "pinned": bool(command.get("pin", True))}
    elif op == "cancel" and command.get("reason"):
        extra = {"reason": command["reason"]}
    elif op == "train_delay":
        extra = {"delay_s": command.get("delay_s")}
    elif op == "lock_sequence":
        extra = {"stops": command.get("stops")}
    if not outcome.ok:
        extra["refused"] = outcome.error
    # "after" is filled in once the batch's plan changes reached the record (``AreaWriter._sync_states``)
    return audit.entry(who, AUDIT_ACTIONS[op], target, before, outcome.data, outcome.ok, at=command["at"], **extra)

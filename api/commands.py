"""Apply one command from an area stream to that day's engine (:class:`api.engine.DayEngine`).

Commands are plain JSON: ``{"op": ..., "day": "YYYY-MM-DD", "at": <Unix seconds accepted>, ...}``. The
engine's "now" is derived from ``at``, so replaying a stream after a crash gives the same answers. No
dispatch logic lives here: each op is one engine call plus translation of its answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from api.engine import Replan, leg_owner
from api.timefmt import epoch_seconds_on
from api.world import to_location
from dispatch.errors import DispatchError
from dispatch.model import Booking, BookingRejected, Offer, Rejection, TimeKind

log = logging.getLogger(__name__)

BOOKING_OPS = frozenset({"request", "confirm", "decline", "cancel", "modify", "reassign", "unpin", "train_delay"})
# a dispatcher's orders for a vehicle's plan: no booking record of their own (the plan's changes reach them)
DISPATCH_OPS = frozenset({"lock_sequence", "unlock_sequence"})
VEHICLE_OPS = frozenset({"position", "arrive", "board", "drop_off", "no_show", "start_shift", "end_shift",
                         "start_break", "end_break", "add_vehicle"})
# the command errors a caller caused, as opposed to an engine bug
CALLER_ERRORS = (BookingRejected, DispatchError)



@dataclass
class Outcome:
    """What a command did: a result for the caller, and changes to the booking record it concerns."""

    ok: bool
    error: str | None = None
    offer: dict[str, Any] | None = None
    rejection: dict[str, Any] | None = None
    record_changes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    # other bookings a rail disruption re-planned: id -> {"offer": stored offer, "legs": [...], "at_risk": [...]}
    replans: dict[str, dict[str, Any]] = field(default_factory=dict)
    data: dict[str, Any] | None = None  # what a command without a booking answers (a train delay)

    def result(self, entry_id: str, booking_id: str | None) -> dict[str, Any]:
        out = {
            "ok": self.ok,
            "entry_id": entry_id,
            "booking_id": booking_id,
            "error": self.error,
            "offer": self.offer,
            "rejection": self.rejection,
        }
        if self.data is not None:
            out["data"] = self.data
        return out


def offer_dict(offer: Offer, offered_at: float) -> dict[str, Any]:
    """Stored form of an offer (times in seconds since the service day's midnight)."""
    return {
        "booking_id": offer.booking_id,
        "vehicle_id": offer.vehicle_id,
        "pickup_window": list(offer.pickup_window),
        "expected_pickup": offer.expected_pickup,
        "expected_dropoff": offer.expected_dropoff,
        "fare_yen": offer.fare_yen,
        "legs": [
            {
                "mode": leg.mode,
                "origin": leg.origin,
                "destination": leg.destination,
                "depart": leg.depart,
                "arrive": leg.arrive,
                "booking_id": leg.booking_id,
                "vehicle_id": leg.vehicle_id,
                "pickup_window": list(leg.pickup_window) if leg.pickup_window else None,
                "train_id": leg.train_id,
                "fare_yen": leg.fare_yen,
            }
            for leg in offer.legs
        ],
        "offered_at": offered_at,
    }


def rejection_dict(rejection: Rejection) -> dict[str, Any]:
    return {
        "reason": str(rejection.reason),
        "message": rejection.message,
        "alternatives": list(rejection.alternatives),
    }


def replans(replan: Replan | None, at: float) -> dict[str, dict[str, Any]]:
    """Stored form of what a disruption changed, per trip (see :attr:`Outcome.replans`)."""
    if replan is None:
        return {}
    return {
        trip_id: {"offer": offer_dict(offer, at), "legs": [bid for bid in replan.legs if leg_owner(bid) == trip_id],
                  "at_risk": [bid for bid in replan.at_risk if leg_owner(bid) == trip_id]}
        for trip_id, offer in replan.offers.items()
    }


def booking_of(record: dict[str, Any], now: int, **overrides: Any) -> Booking:
    """Engine booking of a stored booking record (``overrides`` for a modification)."""
    fields = {**record, **overrides}
    rider = fields.get("rider_id")
    return Booking(
        id=record["id"],
        pickup=to_location(fields["pickup"]),
        dropoff=to_location(fields["dropoff"]),
        requested_time=int(fields["requested_time"]),
        time_kind=TimeKind(fields["time_kind"]),
        seats=int(fields["seats"]),
        wheelchairs=int(fields["wheelchairs"]),
        rider_ids=(rider,) if rider else (),
        booked_at=now,
        service_day=record["service_day"],
        notes=fields.get("notes", ""),
        home_municipality=fields.get("home_municipality"),
        fare_class=fields.get("fare_class", "resident"),
        priority=fields.get("priority"),
    )


def _answer(result: Offer | Rejection, at: float) -> Outcome:
    if isinstance(result, Rejection):
        rejection = rejection_dict(result)
        return Outcome(True, rejection=rejection, events=[{"type": "rejection", "reason": rejection["reason"]}])
    offer = offer_dict(result, at)
    return Outcome(
        True,
        offer=offer,
        record_changes={"offer": offer, "rejection": None},
        events=[{"type": "offer", "vehicle_id": offer["vehicle_id"], "pickup_window": offer["pickup_window"]}],
    )


def apply(engine: Any, command: dict[str, Any], record: dict[str, Any] | None) -> Outcome:
    """Apply ``command`` to ``engine``; caller mistakes become a failed :class:`Outcome`, not an exception."""
    op = command["op"]
    now = epoch_seconds_on(command["day"], float(command["at"]))
    booking_id = command.get("booking_id")
    try:
        if op == "request":
            if record is None:
                return Outcome(False, error=f"booking {booking_id} has no record")
            if record["status"] != "requested":  # already answered by another writer pass
                return Outcome(True, offer=record.get("offer"), rejection=record.get("rejection"))
            outcome = _answer(engine.request(booking_of(record, now), now), command["at"])
            if outcome.rejection is not None:
                outcome.record_changes = {"status": "rejected", "rejection": outcome.rejection}
            return outcome
        if op == "confirm":
            offer = engine.confirm(booking_id, now)
            outcome = _answer(offer, command["at"])
            outcome.events = [{"type": "confirmed", "vehicle_id": offer.vehicle_id}]
            return outcome
        if op == "decline":
            engine.decline(booking_id, now)
            return Outcome(True, record_changes={"declined_at": command["at"]}, events=[{"type": "declined"}])
        if op == "cancel":
            engine.cancel(booking_id, now)
            # the desk's reason (code, note, who, late) is kept on the booking for the KPIs
            changes = {"cancellation": command["cancellation"]} if command.get("cancellation") else {}
            return Outcome(True, record_changes=changes, events=[{"type": "cancelled"}])
        if op == "modify":
            if record is None:
                return Outcome(False, error=f"booking {booking_id} has no record")
            changes = dict(command["changes"])
            engine_changes = {
                k: (to_location(v) if k in ("pickup", "dropoff") else TimeKind(v) if k == "time_kind" else v)
                for k, v in changes.items()
            }
            outcome = _answer(engine.modify(booking_id, now, **engine_changes), command["at"])
            if outcome.rejection is not None:
                outcome.ok = False
                outcome.error = f"the change cannot be served: {outcome.rejection['message']}"
            else:
                outcome.record_changes.update(changes)
                outcome.events = [{"type": "modified", "vehicle_id": outcome.offer["vehicle_id"]}]
            return outcome
        if op == "reassign":
            pin = bool(command.get("pin", True))
            engine.reassign(booking_id, command["vehicle_id"], now, pin=pin)
            return Outcome(True, data={"vehicle_id": command["vehicle_id"], "pinned": pin},
                           events=[{"type": "reassigned", "vehicle_id": command["vehicle_id"], "pinned": pin}])
        if op == "unpin":
            was = engine.unpin(booking_id)
            return Outcome(True, data={"was_pinned": was}, events=[{"type": "unpinned"}] if was else [])
        if op == "lock_sequence":
            stops = [(str(bid), str(kind)) for bid, kind in command["stops"]]
            engine.lock_sequence(command["vehicle_id"], stops, now)
            held = [list(item) for item in engine.sequence_locks().get(command["vehicle_id"], [])]
            data = {"vehicle_id": command["vehicle_id"], "locked": held}
            return Outcome(True, data=data, events=[{"type": "sequence_locked", **data}])
        if op == "unlock_sequence":
            was = engine.unlock_sequence(command["vehicle_id"])
            data = {"vehicle_id": command["vehicle_id"], "was_locked": was}
            return Outcome(True, data=data, events=[{"type": "sequence_unlocked", **data}] if was else [])
        if op == "train_delay":
            train_id, delay_s = command["train_id"], int(command["delay_s"])
            replan = engine.train_delayed(train_id, delay_s, now)
            data = {"train_id": train_id, "delay_s": delay_s, "replanned": replan.legs,
                    "trips": sorted(replan.offers), "at_risk": replan.at_risk}
            return Outcome(True, data=data, replans=replans(replan, command["at"]),
                           events=[{"type": "train_delay", **data}])
        if op == "add_vehicle":  # registered after the day's plan existed: it joins with an empty plan
            added = engine.add_vehicle(command["vehicle"], now)
            data = {"vehicle_id": command["vehicle_id"], "added": added}
            return Outcome(True, data=data, events=[{"type": "vehicle_added", **data}] if added else [])
        return _vehicle_event(engine, command, now)
    except CALLER_ERRORS as exc:
        message = exc.rejection.message if isinstance(exc, BookingRejected) else str(exc).strip("'\"")
        return Outcome(False, error=message)


def _vehicle_event(engine: Any, command: dict[str, Any], now: int) -> Outcome:
    op, vehicle_id, booking_id = command["op"], command["vehicle_id"], command.get("booking_id")
    changed: dict[str, dict[str, Any]] = {}
    if op == "position":
        engine.update_position(vehicle_id, to_location(command["location"]), now)
    elif op == "drop_off":  # a feeder set down at the station may have missed its train: re-planned
        changed = replans(engine.drop_off(vehicle_id, booking_id, now), command["at"])
    elif op == "arrive":
        engine.arrive(vehicle_id, booking_id, now, stop=command.get("stop"))
    elif op in ("board", "no_show"):
        getattr(engine, op)(vehicle_id, booking_id, now)
    elif op in ("start_shift", "end_shift"):
        getattr(engine, op)(vehicle_id, now)
    elif op in ("start_break", "end_break"):
        getattr(engine, op)(vehicle_id, command["break_id"], now)
    else:
        return Outcome(False, error=f"unknown command {op!r}")
    event = {"type": "vehicle", "op": op, "vehicle_id": vehicle_id, "booking_id": booking_id}
    if "break_id" in command:
        event["break_id"] = command["break_id"]
    if op == "position":
        event["lat"], event["lon"] = command["location"]["lat"], command["location"]["lon"]
    return Outcome(True, events=[event], replans=changed)

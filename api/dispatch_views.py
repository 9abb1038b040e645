"""What the dispatcher's screen reads besides plans: a reassignment's verdict before it is made, and alerts.

Both work on engines restored from the last committed snapshot, never on the writer's own objects:
the verdict is computed on a throw-away copy (insertion search and the validator only; no solver), so
nothing changes until the dispatcher commits with ``POST /dispatch/reassign``. Times in seconds since
service-day midnight inside, Tokyo ISO at the edges.
"""

from __future__ import annotations

from typing import Any

from api.engine import leg_owner
from api.timefmt import to_iso
from dispatch.errors import DispatchError
from dispatch.model import BookingRejected, BookingStatus, StopKind

AT_RISK_S = 3 * 60  # a pickup planned within this of its window's end is at risk
SILENT_S = 5 * 60  # a vehicle on shift that has not reported for this long is "not reporting"


def _pickups(plans: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {s.booking_id: (vid, s.service_start) for vid, p in plans.items() for s in p.stops
            if s.kind == StopKind.PICKUP}


def _dropoffs(plans: dict[str, Any]) -> dict[str, int]:
    return {s.booking_id: s.service_start for p in plans.values() for s in p.stops if s.kind == StopKind.DROPOFF}


def reassign_verdict(engine: Any, day: str, booking_id: str, vehicle_id: str, now: int) -> dict[str, Any]:
    """Try the reassignment on ``engine`` (a throw-away copy): the validator's verdict and what changes.

    ``ok`` false: ``reason`` is the engine's refusal (the window or limit that breaks, seats, area...).
    ``ok`` true: ``distance_change_m`` over the whole fleet, and per rider whose times move the planned
    pickup and drop-off before and after, with the change in seconds; ``violations`` from the validator.
    """
    before_plans = engine.plans()
    before_m = sum(p.distance_m for p in before_plans.values())
    pick_before, drop_before = _pickups(before_plans), _dropoffs(before_plans)
    try:
        engine.reassign(booking_id, vehicle_id, now, pin=True)
    except BookingRejected as exc:
        return {"ok": False, "booking_id": booking_id, "vehicle_id": vehicle_id, "reason": exc.rejection.message}
    except DispatchError as exc:
        return {"ok": False, "booking_id": booking_id, "vehicle_id": vehicle_id, "reason": str(exc).strip("'\"")}
    after_plans = engine.plans()
    after_m = sum(p.distance_m for p in after_plans.values())
    pick_after, drop_after = _pickups(after_plans), _dropoffs(after_plans)
    riders = []
    for bid in sorted(set(pick_before) | set(pick_after) | set(drop_before) | set(drop_after)):
        pb, pa = pick_before.get(bid, (None, None))[1], pick_after.get(bid, (None, None))[1]
        db, da = drop_before.get(bid), drop_after.get(bid)
        if (pb, db) == (pa, da) and bid != booking_id:
            continue
        riders.append({
            "booking_id": leg_owner(bid),
            "pickup_before": None if pb is None else to_iso(day, pb),
            "pickup_after": None if pa is None else to_iso(day, pa),
            "pickup_change_s": None if pb is None or pa is None else pa - pb,
            "dropoff_before": None if db is None else to_iso(day, db),
            "dropoff_after": None if da is None else to_iso(day, da),
            "dropoff_change_s": None if db is None or da is None else da - db,
        })
    violations = engine.dispatcher.check()
    return {"ok": not violations, "booking_id": booking_id, "vehicle_id": vehicle_id, "reason": "; ".join(violations),
            "distance_before_m": round(before_m, 1), "distance_after_m": round(after_m, 1),
            "distance_change_m": round(after_m - before_m, 1), "riders": riders, "violations": violations}


def alerts(engine: Any, day: str, now: int, positions: dict[str, dict[str, Any]], now_epoch: float,
           silent_s: int = SILENT_S) -> dict[str, Any]:
    """Alerts of one area and day, and the bookings a dispatcher should look at.

    ``late``: a vehicle's plan can no longer keep a booking's promise; ``not_reporting``: a vehicle on
    shift with no position for ``silent_s``; ``not_picked_up``: the pickup window has closed and the party
    has not boarded; ``unassigned`` (offered or confirmed, in no plan) and ``at_risk`` (planned pickup
    within :data:`AT_RISK_S` of its window's end, or late).
    """
    d = engine.dispatcher
    plans = d.plans()
    pickups = _pickups(plans)
    out: dict[str, list[dict[str, Any]]] = {"late": [], "not_reporting": [], "not_picked_up": [],
                                            "unassigned": [], "at_risk": []}
    late = d.late_bookings()
    for vehicle_id, ids in late.items():
        for bid in ids:
            out["late"].append({"vehicle_id": vehicle_id, "booking_id": leg_owner(bid)})
    for vs in d._fleet.states.values():
        if not vs.on_shift or vs.off_duty:
            continue
        reported = positions.get(vs.id, {})
        when = reported.get("reported_at", reported.get("at"))
        age = None if when is None else now_epoch - float(when)
        if age is None or age > silent_s:
            out["not_reporting"].append({"vehicle_id": vs.id, "age_s": None if age is None else round(age)})
    late_ids = {bid for ids in late.values() for bid in ids}
    for b in d.bookings():
        if b.status not in (BookingStatus.OFFERED, BookingStatus.CONFIRMED, BookingStatus.ASSIGNED):
            continue
        rec = d._fleet.records[b.id]
        window = rec.pickup_window
        planned = pickups.get(b.id)
        item = {"booking_id": leg_owner(b.id), "window": [to_iso(day, window[0]), to_iso(day, window[1])],
                "vehicle_id": planned[0] if planned else None,
                "planned_pickup": to_iso(day, planned[1]) if planned else None}
        if now > window[1]:
            out["not_picked_up"].append(item)
        if planned is None:
            out["unassigned"].append(item)
        elif b.id in late_ids or window[1] - planned[1] < AT_RISK_S:
            out["at_risk"].append({**item, "slack_s": int(window[1] - planned[1])})
    return out

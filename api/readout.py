"""What the phone desk reads out about a booking, on top of the stored record: the vehicle by its label, the
fare for the rider's class and municipality, the status as staff say it (lapsed, declined), a refusal in
Japanese with the times that could be offered (out of hours: the first and last possible ones) and, for a
party larger than any vehicle, how to split it; the cancellation deadline.

Why the fare was 0 円: the plain :class:`dispatch.Dispatcher` never prices an offer (``Offer.fare_yen``
defaults to 0; only the wide-area trip planner prices its legs), and the registry's fare classes (senior,
student, ...) are not the classes the fare rules price. The fare of a single-vehicle offer is therefore
priced here from :class:`dispatch.fares.FareTable` with :data:`api.schemas.FARE_RULE_CLASS`.

Times in seconds since the service day's midnight inside, Tokyo ISO 8601 in the output; fares in yen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from api import messages
from api.schemas import FARE_RULE_CLASS
from api.timefmt import now_jst, seconds_on, to_iso, to_service_time
from api.views import booking_out
from dispatch.fares import FareTable
from dispatch.online.admission import hhmm
from dispatch.rules import ServiceRules

CANCEL_REASONS: dict[str, str] = {
    "rider": "本人都合",
    "illness": "体調不良",
    "weather": "天候",
    "operator": "運行側都合",
    "no_show": "無断キャンセル",
}
"""Stable cancellation reason codes and their Japanese labels (KPIs count the codes)."""

ROUND_S = 300  # suggested times are whole five minutes


@dataclass
class DeskContext:
    """What presenting bookings needs besides the records (built once per response)."""

    rules: ServiceRules
    fares: FareTable
    hold_s: int
    cancel_deadline_s: int
    labels: dict[str, str] = field(default_factory=dict)  # vehicle id -> label (富岡 2号)
    fleets: dict[str, str] = field(default_factory=dict)  # vehicle id -> JIS code of the owner
    largest: tuple[int, int] = (0, 0)  # most seats, most wheelchair places of any vehicle
    riders: dict[str, dict[str, Any]] = field(default_factory=dict)
    travel_s: Any = None  # (node, node) -> driving seconds


async def desk_context(app: Any, records: list[dict[str, Any]]) -> DeskContext:
    """Vehicle labels and fleets, the largest vehicle and the riders of ``records``."""
    world, settings, store = app.state.world, app.state.settings, app.state.store
    model = world.operating_model
    definitions = await store.vehicle_definitions()
    rider_ids = sorted({r["rider_id"] for r in records if r.get("rider_id")})
    riders = await store.riders(rider_ids) if rider_ids else {}
    return DeskContext(
        rules=world.rules,
        fares=model.fares if model is not None else FareTable(),
        hold_s=settings.offer_hold_s,
        cancel_deadline_s=settings.cancel_deadline_s,
        labels={d["id"]: d.get("label") or d["id"] for d in definitions},
        fleets={d["id"]: d["municipality"] for d in definitions},
        largest=(max((int(d["seats"]) for d in definitions), default=0),
                 max((int(d["wheelchair_places"]) for d in definitions), default=0)),
        riders=riders,
        travel_s=world.network.travel_time,
    )


def state_of(record: dict[str, Any]) -> str:
    """The status as the desk reads it: ``lapsed`` for an offer whose hold ran out, ``declined`` for one the
    caller said no to; otherwise the stored status."""
    status = record["status"]
    if status == "requested" and record.get("offer"):
        return "lapsed"
    if status == "cancelled" and record.get("declined_at") and not record.get("cancellation"):
        return "declined"
    return status


def quoted_fare(record: dict[str, Any], vehicle_id: str | None, ctx: DeskContext) -> int:
    """Yen the whole party pays on ``vehicle_id``'s fleet (0 for a vehicle of no known fleet)."""
    fleet = ctx.fleets.get(vehicle_id or "")
    if fleet is None or fleet not in ctx.fares.drt:
        return 0
    fare_class = FARE_RULE_CLASS.get(record.get("fare_class", "resident"), "other")
    party = int(record["seats"]) + int(record["wheelchairs"])
    return ctx.fares.drt_fare(fleet, record.get("home_municipality"), fare_class) * party


def cancel_deadline(record: dict[str, Any], ctx: DeskContext) -> int:
    """Seconds since midnight after which a cancellation counts as late (before the promised pickup)."""
    offer = record.get("offer") or {}
    start = offer["pickup_window"][0] if offer.get("pickup_window") else record["requested_time"]
    return int(start) - ctx.cancel_deadline_s


def is_late(record: dict[str, Any], ctx: DeskContext, now: Any = None) -> bool:
    """True once ``now`` (default: the present) is past the booking's cancellation deadline."""
    return seconds_on(record["service_day"], now or now_jst()) > cancel_deadline(record, ctx)


def _round_up(t: float) -> int:
    return int(math.ceil(t / ROUND_S) * ROUND_S)


def _round_down(t: float) -> int:
    return int(t // ROUND_S * ROUND_S)


def hours_alternatives(record: dict[str, Any], ctx: DeskContext) -> list[int]:
    """First and last requested times inside service hours for this trip (seconds since midnight).

    Depart-after: from the service start to the latest departure that still arrives before the end;
    arrive-by: from the earliest arrival a departure at the start allows to the service end. Only times
    with the minimum notice from now are given.
    """
    rules = ctx.rules
    direct = ctx.travel_s(int(record["pickup"]["node"]), int(record["dropoff"]["node"])) if ctx.travel_s else 0.0
    dwell = 2 * rules.dwell_s(int(record["seats"]), int(record["wheelchairs"]))
    if record["time_kind"] == "arrive_by":
        first, last = _round_up(rules.service_start + direct + dwell + rules.max_wait_s), rules.service_end
    else:
        first, last = rules.service_start, _round_down(rules.service_end - direct - dwell - rules.max_wait_s)
    day, now_s = to_service_time(now_jst())
    if day == record["service_day"]:
        first = max(first, _round_up(now_s + rules.min_notice_s))
    elif day > record["service_day"]:
        return []
    return [t for t in dict.fromkeys((first, last)) if first <= t <= last]


def split_party(record: dict[str, Any], ctx: DeskContext) -> list[dict[str, int]]:
    """Two parts of a party that each fit the largest vehicle, or [] when two vehicles are not enough."""
    seats, wheelchairs = int(record["seats"]), int(record["wheelchairs"])
    parts = [{"seats": seats - seats // 2, "wheelchairs": wheelchairs - wheelchairs // 2},
             {"seats": seats // 2, "wheelchairs": wheelchairs // 2}]
    most_seats, most_wc = ctx.largest
    if all(p["seats"] <= most_seats and p["wheelchairs"] <= most_wc and p["seats"] + p["wheelchairs"] > 0
           for p in parts):
        return parts
    return []


def refusal_ja(rejection: dict[str, Any], record: dict[str, Any], ctx: DeskContext) -> str:
    """The refusal in Japanese with its reason's figures (service hours, notice, horizon, largest vehicle)."""
    rules = ctx.rules
    reason = rejection["reason"]
    params = {
        "start": hhmm(rules.service_start), "end": hhmm(rules.service_end),
        "minutes": rules.min_notice_s // 60, "days": f"{rules.horizon_s / 86_400:g}",
        "seats": ctx.largest[0], "wheelchairs": ctx.largest[1],
    }
    key = f"refusal.{reason}"
    return messages.text(key, **params) if messages.has(key) else messages.text("refusal.invalid_request")


def present(record: dict[str, Any], ctx: DeskContext) -> dict[str, Any]:
    """The booking as JSON (:class:`api.schemas.BookingOut`) with what the desk reads out."""
    out = booking_out(record, ctx.hold_s).model_dump(mode="json")
    day = record["service_day"]
    out["state"] = state_of(record)
    for name in ("round_trip_id", "round_trip_leg", "open_return", "standing_id", "priority"):
        out[name] = record.get(name)
    rider = ctx.riders.get(record.get("rider_id") or "")
    out["rider_name"] = rider["name"] if rider else None
    offer = out.get("offer")
    if offer:
        offer["vehicle_label"] = ctx.labels.get(offer["vehicle_id"], offer["vehicle_id"])
        for leg in offer["legs"]:
            leg["vehicle_label"] = ctx.labels.get(leg["vehicle_id"]) if leg.get("vehicle_id") else None
        if offer["fare_yen"] == 0 and len(offer["legs"]) <= 1:
            offer["fare_yen"] = quoted_fare(record, offer["vehicle_id"], ctx)
        if out["state"] not in ("offered", "confirmed", "assigned", "onboard", "completed"):
            out["vehicle_id"] = None  # a lapsed, declined or cancelled offer names no vehicle
    rejection = out.get("rejection")
    if rejection and record.get("rejection"):
        rejection["message_ja"] = refusal_ja(record["rejection"], record, ctx)
        if rejection["reason"] == "outside_service_hours" and not rejection["alternatives"]:
            rejection["alternatives"] = [to_iso(day, t) for t in hours_alternatives(record, ctx)]
        if rejection["reason"] == "party_too_large":
            rejection["split"] = split_party(record, ctx)
    cancellation = record.get("cancellation")
    if cancellation:
        out["cancellation"] = {**cancellation, "label_ja": CANCEL_REASONS.get(cancellation["reason"], "")}
    if record["status"] in ("requested", "offered", "confirmed", "assigned"):
        out["cancel_deadline"] = to_iso(day, cancel_deadline(record, ctx))
    return out

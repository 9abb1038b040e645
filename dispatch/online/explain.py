"""Why a vehicle cannot take a booking: the reason a dispatcher reads when a reassignment is refused.

First the fixed facts (off duty, seats, wheelchair places, service area, the leg's fleet, shift hours),
then, when the vehicle could carry the party but no insertion fits, the least-bad insertion: every
(pickup, drop-off) position in the vehicle's plan is timed as early as possible and scored by how far it
breaks the rules; the best one's broken rules are named with their size (a window missed by 7 min, a ride
limit exceeded by 3 min, the shift end overrun by 12 min). Times in seconds since service-day midnight.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.costs import TravelCache
from dispatch.model import Booking
from dispatch.online.admission import hhmm
from dispatch.online.state import SeqItem, VehicleState
from dispatch.problem import Request, VisitKind

#: A breach smaller than this (seconds) is rounding, not a reason.
SLACK_S = 1.0


@dataclass(frozen=True)
class Breach:
    """One rule a candidate plan breaks: what (text) and by how much (seconds or places)."""

    rule: str
    amount: float
    text: str


def fixed_reasons(vs: VehicleState, booking: Booking) -> list[str]:
    """Reasons that hold wherever the booking would go in the vehicle's plan (empty: it could carry it)."""
    v = vs.vehicle
    out = []
    if vs.off_duty:
        out.append(f"vehicle {v.id} has ended its shift")
    if booking.seats > v.seats:
        out.append(f"the party needs {booking.seats} seat(s), vehicle {v.id} has {v.seats}")
    if booking.wheelchairs > v.wheelchair_places:
        out.append(f"the party needs {booking.wheelchairs} wheelchair place(s), vehicle {v.id} has "
                   f"{v.wheelchair_places}")
    for end, loc in (("pickup", booking.pickup), ("drop-off", booking.dropoff)):
        if not v.serves(loc.jis_code):
            out.append(f"vehicle {v.id} does not serve the {end}'s municipality ({loc.jis_code})")
    if booking.fleet is not None and v.municipality != booking.fleet:
        out.append(f"this leg is for the vehicles of municipality {booking.fleet}; {v.id} belongs to {v.municipality}")
    return out


def shift_reason(vs: VehicleState, pickup_window: tuple[float, float]) -> str | None:
    """The vehicle's duty hours miss the promised pickup window altogether."""
    shift = vs.shift
    if pickup_window[1] < shift.start:
        return (f"vehicle {vs.id}'s shift starts at {hhmm(shift.start)}, after the promised pickup window "
                f"{hhmm(pickup_window[0])}-{hhmm(pickup_window[1])}")
    if pickup_window[0] > shift.end:
        return (f"vehicle {vs.id}'s shift ends at {hhmm(shift.end)}, before the promised pickup window "
                f"{hhmm(pickup_window[0])}-{hhmm(pickup_window[1])}")
    return None


def insertion_breaches(vs: VehicleState, cache: TravelCache, request: Request, now: int) -> list[Breach]:
    """The broken rules of the least-bad insertion of ``request`` into the vehicle's plan.

    Each candidate is timed as early as possible (waiting only for windows to open); its score is the
    sum of its breaches in seconds (capacity counts as an hour per place over).
    """
    requests = {**vs.requests, request.id: request}
    onboard = {rid: vs.requests[rid] for rid in vs.onboard if rid in vs.requests}
    base = list(vs.sequence)
    best: list[Breach] | None = None
    best_score = float("inf")
    first = vs.fixed
    for i in range(first, len(base) + 1):
        for j in range(i, len(base) + 1):
            seq = base[:i] + [(request.id, VisitKind.PICKUP)] + base[i:j] + [(request.id, VisitKind.DROPOFF)] + base[j:]
            breaches = _breaches(vs, cache, requests, onboard, seq, now)
            score = sum(b.amount * (3600 if b.rule == "capacity" else 1) for b in breaches)
            if score < best_score:
                best, best_score = breaches, score
    return best or []


def order_breaches(vs: VehicleState, cache: TravelCache, requests: dict[str, Request], seq: list[SeqItem],
                   now: int) -> list[Breach]:
    """The rules a given order of the vehicle's stops breaks, timed as early as possible (seconds, places)."""
    onboard = {rid: vs.requests[rid] for rid in vs.onboard if rid in vs.requests}
    return _breaches(vs, cache, requests, onboard, seq, now)


def _breaches(vs: VehicleState, cache: TravelCache, requests: dict[str, Request], onboard: dict[str, Request],
              seq: list[SeqItem], now: int) -> list[Breach]:
    t = cache.seconds
    assert vs.position is not None
    here = cache.index(vs.position.node)
    clock = float(vs.start_time(now))
    seats = sum(r.load[0] for r in onboard.values())
    chairs = sum(r.load[1] for r in onboard.values() if len(r.load) > 1)
    left: dict[str, float] = {rid: r.picked_up_at for rid, r in onboard.items() if r.picked_up_at is not None}
    out: list[Breach] = []
    for rid, kind in seq:
        if kind == VisitKind.BREAK:
            brk = vs.shift_breaks[rid]
            spec = vs.breaks.get(rid)
            lo, hi = spec.window if spec is not None else (brk.earliest, brk.latest)
            loc = here if brk.location is None else cache.index(brk.location.node)
            start = max(clock + float(t[here, loc]), lo)
            if start > hi + SLACK_S:
                out.append(Breach("break", start - hi,
                                  f"vehicle {vs.id}'s break from {hhmm(lo)} would start {_minutes(start - hi)} late"))
            if seats or chairs:
                out.append(Breach("break", 3600.0,
                                  f"riders would be on board vehicle {vs.id} during its break at {hhmm(start)}"))
            here, clock = loc, start + brk.duration
            continue
        r = requests[rid]
        pickup = kind == VisitKind.PICKUP
        loc = r.pickup if pickup else r.dropoff
        window = r.pickup_window if pickup else r.dropoff_window
        start = max(clock + float(t[here, loc]), window[0])
        if start > window[1] + SLACK_S:
            what = "pickup" if pickup else "drop-off"
            out.append(Breach("window", start - window[1],
                              f"the {what} window {hhmm(window[0])}-{hhmm(window[1])} of {rid} would be missed by "
                              f"{_minutes(start - window[1])}"))
        service = r.pickup_service if pickup else r.dropoff_service
        if pickup:
            left[rid] = start + service
            seats += r.load[0]
            chairs += r.load[1] if len(r.load) > 1 else 0
            if seats > vs.vehicle.seats:
                out.append(Breach("capacity", seats - vs.vehicle.seats,
                                  f"{seats} seats would be taken at {rid}'s pickup, vehicle {vs.id} has "
                                  f"{vs.vehicle.seats}"))
            if chairs > vs.vehicle.wheelchair_places:
                out.append(Breach("capacity", chairs - vs.vehicle.wheelchair_places,
                                  f"{chairs} wheelchair places would be taken at {rid}'s pickup, vehicle {vs.id} has "
                                  f"{vs.vehicle.wheelchair_places}"))
        else:
            began = left.get(rid)
            if began is not None and r.max_ride is not None and start - began > r.max_ride + SLACK_S:
                over = start - began - r.max_ride
                out.append(Breach("ride", over, f"{rid}'s ride limit of {_minutes(r.max_ride)} would be exceeded by "
                                                f"{_minutes(over)}"))
            seats -= r.load[0]
            chairs -= r.load[1] if len(r.load) > 1 else 0
        here, clock = loc, start + service
    back = clock + float(t[here, cache.index(vs.shift.return_depot.node)])
    if back > vs.shift.end + SLACK_S:
        out.append(Breach("shift", back - vs.shift.end,
                          f"vehicle {vs.id} would be back at its depot at {hhmm(back)}, {_minutes(back - vs.shift.end)}"
                          f" after its shift ends ({hhmm(vs.shift.end)})"))
    return out


def _minutes(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes >= 1 else f"{seconds:.0f} s"


def explain(vs: VehicleState, cache: TravelCache, booking: Booking, request: Request, now: int) -> str:
    """One sentence (or several, joined by "; ") on why ``vs`` cannot take ``booking`` within ``request``."""
    reasons = fixed_reasons(vs, booking)
    shift = shift_reason(vs, request.pickup_window)
    if shift is not None:
        reasons.append(shift)
    if not reasons:
        reasons = [b.text for b in insertion_breaches(vs, cache, request, now)]
    if not reasons:  # the early timing fits but the exact scheduler did not (the plan is late already)
        reasons = [f"vehicle {vs.id}'s plan already runs behind its promises; no order of stops fits"]
    return "; ".join(reasons)
